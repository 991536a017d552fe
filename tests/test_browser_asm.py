"""Assembly on the result page in headless Chromium: every kernel's assembly and instruction mix are on the page, the
level switch (lvl) shows and diffs the assembly of OLD vs NEW and round-trips through the URL and the standalone
export, and a click on a source line selects the UOps of its kernel's AST that made it, and back."""
import json, re, urllib.request
import pytest
from tests.serving import compare_via_api
from tests.serving import page_errors  # server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")

@pytest.fixture(scope="module")
def comparison(server) -> dict:
  """OLD and NEW (forced: four kernels each, paired by role) of one tiny conv"""
  body = {"spec": {"batch": 1, "cin": 4, "cout": 4, "h": 8, "w": 8, "padding": 1}, "modes": ["old", "new"], "device": "CPU",
          "repeat": 1, "force_new": True}
  return compare_via_api(server, body)

@pytest.fixture()
def page(browser, comparison):
  ctx = browser.new_context(viewport={"width": 1400, "height": 900})
  p = ctx.new_page()
  p.errors = page_errors(p)
  yield p
  ctx.close()

def product_pair(page) -> int:
  return page.evaluate("() => [...document.querySelectorAll('#diff-pair option')].findIndex((o) => o.text.startsWith('batched product'))")

def test_every_kernel_has_its_assembly_and_mix_in_the_json_and_the_page(page, server, comparison):
  for mode, r in comparison["runs"].items():
    for k in r["kernels"]:
      assert k["assembly"]["levels"]["asm"].strip() and k["assembly"]["mix"]["counts"]["instructions"] > 0, (mode, k["name"])
  page.goto(f"{server.url}/c/{comparison['id']}", wait_until="domcontentloaded")
  # OLD and NEW side by side: every kernel of both laid out, each with its assembly and mix
  cards = page.evaluate("""() => [...document.querySelectorAll('#side-body .kernel:not(.none)')].map((k) =>
    ({mode: k.dataset.mode, asm: (k.querySelector('.klevel-asm code') || {}).textContent || '', mix: k.querySelectorAll('.kmix .mix-item').length,
      stage: (k.querySelector('.stage') || {}).textContent}))""")
  assert len(cards) == sum(len(r["kernels"]) for r in comparison["runs"].values())
  assert all(re.search(r"\bret\b", c["asm"]) and c["mix"] > 0 for c in cards), cards
  assert sorted(c["stage"] for c in cards if c["mode"] == "new") == ["GHAT", "MHAT", "XHAT", "output"]
  # the pair's mix shows the right kernel's counts against the left one's
  assert page.locator("#side-body tr.pair .kernel[data-side=b] .kmix .delta").count() > 0
  assert not page.errors, page.errors

def test_the_asm_diff_of_old_vs_new_and_its_key_in_the_url_and_the_export(page, server, comparison, tmp_path):
  page.goto(f"{server.url}/c/{comparison['id']}?a=old&b=new#diff", wait_until="domcontentloaded")
  pair = product_pair(page)
  page.select_option("#diff-pair", str(pair))
  page.wait_for_url(re.compile(rf"pair={pair}"))
  source_rows = page.locator("#diff-table .diff-side[data-side=a] tr").count()
  page.select_option("#diff-form select[name=lvl]", "asm")
  page.wait_for_url(re.compile(r"lvl=asm"))
  page.wait_for_function("() => document.getElementById('diff-summary').textContent.startsWith('assembly')")
  left = page.locator("#diff-table .diff-side[data-side=a]").inner_text()
  assert re.search(r"\b(vfmadd\w+|vmulps|mulss|vaddps)\b", left) and "data1_" not in left, left[:400]
  assert page.locator("#diff-table .diff-side[data-side=a] tr").count() != source_rows
  # both sides show the assembly, and both level pickers say so
  assert page.locator("#kernels .kernel[data-side=a] .klevel-asm").first.is_visible()
  assert not page.locator("#kernels .kernel[data-side=a] .klevel-source").first.is_visible()
  assert page.eval_on_selector_all("select.pick-level", "els => els.map((e) => e.value)") == ["asm", "asm"]
  # normalized registers: the summary is the server's, under the other matching
  raw = page.locator("#diff-summary").inner_text()
  page.check("#diff-form input[name=norm]")
  page.wait_for_url(re.compile(r"norm=1"))
  got = json.loads(urllib.request.urlopen(f"{server.url}/c/{comparison['id']}/diffs.json?a=old&b=new&lvl=asm").read())
  summary = got["rows"][got["diffs"][f"old|new|{pair}|01|asm"]]["summary"]
  expect = "identical (as matched)" if summary["identical"] else f"{summary['changed']} changed, {summary['added']} added, {summary['removed']} removed lines"
  page.wait_for_function("(t) => document.getElementById('diff-summary').textContent.endsWith(t)", arg=expect)
  assert raw != page.locator("#diff-summary").inner_text() or summary["identical"]
  # Back: the source again
  page.go_back()
  page.go_back()
  page.wait_for_function("() => !location.search.includes('lvl=')")
  assert page.locator("#kernels .kernel[data-side=a] .klevel-source").first.is_visible()
  # the export opens from disk in the asm view it was taken in
  path = tmp_path / "export.html"
  path.write_bytes(urllib.request.urlopen(f"{server.url}/c/{comparison['id']}.html?a=old&b=new&pair={pair}&lvl=asm").read())
  page.goto(path.as_uri(), wait_until="domcontentloaded")
  page.wait_for_function("() => document.getElementById('diff-summary').textContent.startsWith('assembly')")
  assert page.eval_on_selector_all("select.pick-level", "els => els.map((e) => e.value)") == ["asm", "asm"]
  assert re.search(r"\b(vfmadd\w+|vmulps|mulss|vaddps)\b", page.locator("#diff-table .diff-side[data-side=b]").inner_text())
  assert not page.errors, page.errors

def test_a_source_line_selects_its_uops_and_a_node_marks_its_lines(page, server, comparison):
  page.goto(f"{server.url}/c/{comparison['id']}?a=old&b=new", wait_until="domcontentloaded")
  card = page.locator("#kernels .kernel[data-side=b]").first
  index = int(card.get_attribute("data-index"))
  # a line that loads from the kernel's input buffer (data1): its INDEX node, and nothing else, is selected
  line = card.locator(".klevel-source code a[id*='-L']").evaluate_all("""(as) => as.map((a) => {
      let t = '', n = a.nextSibling; while (n && !(n.id && /-L\\d+$/.test(n.id))) { t += n.textContent; n = n.nextSibling; }
      return [+a.id.split('-L')[1], t]; }).find(([no, t]) => /\\*\\(data1_\\d+\\+/.test(t) && !t.includes('data0'))""")
  assert line, "a load line"
  no = line[0]
  card.locator(f"[id$='-k{index}-L{no}'] + a + span").click()
  page.wait_for_url(re.compile(rf"gb=new%3Aast%3A{index}"))
  pane = page.locator('.graph-pane[data-side="b"]')
  page.wait_for_function("() => document.querySelector('.graph-pane[data-side=\"b\"]').dataset.lineHits > 0", timeout=30_000)
  hits = pane.locator(".gn.line-hit")
  assert hits.count() >= 1
  assert "INDEX" in pane.locator(".g-details h3").inner_text()  # the load's node
  assert pane.locator(".g-details").locator(f"button[data-line='{no}']").count() == 1
  # and back: the selected node's lines are marked in the card
  assert card.locator(f"a.line-uop[id$='-k{index}-L{no}']").count() == 1
  # another node (the STORE) marks its own lines, not the load's
  store = pane.locator(".gn", has_text="STORE").first
  store.press("Enter")  # (the keyboard way: the node may sit outside the pane's view)
  page.wait_for_function(f"() => !document.querySelector('#kernels .kernel[data-side=b] a.line-uop[id$=\"-k{index}-L{no}\"]')")
  marked = card.locator("a.line-uop").evaluate_all("(as) => as.map((a) => a.id)")
  assert marked, "the STORE's line"
  assert not page.errors, page.errors
