"""The result page's view in headless Chromium: the split diff at a laptop's width, each control changing only its own
key and its view in the page (no reload, Back works), graph panes that follow the mode picks, the export's graph panes,
line links and the copy-link button. Each test failed on the page before its fix (see the commit that added it)."""
import re, urllib.request
import pytest
from tests.serving import page_errors  # server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")
LAPTOP = {"width": 1366, "height": 800}

@pytest.fixture(scope="module")
def comparison(three_modes) -> dict:
  """the session's tiny comparison of all three modes, NEW forced (its rewrite graphs): tests/conftest.py"""
  return three_modes

@pytest.fixture()
def page(browser, comparison):
  ctx = browser.new_context(viewport=LAPTOP)
  p = ctx.new_page()
  p.errors = page_errors(p)
  yield p
  ctx.close()

def url(server, comparison, query:str="") -> str: return f"{server.url}/c/{comparison['id']}{'?' + query if query else ''}"
def keys(page) -> set[str]: return set(re.findall(r"[?&]([^=&#]+)=", page.url.split("#")[0]))

def test_the_split_diff_shows_both_sides_at_a_laptops_width(page, server, comparison):
  page.goto(url(server, comparison, "a=old&b=new&pair=2") + "#diff")  # OLD's and NEW's product kernels: long lines
  box = page.evaluate("""() => {
    const nos = [...document.querySelectorAll('#diff-table td.no')].filter((c) => c.textContent.trim()).map((c) => c.getBoundingClientRect());
    const lefts = [...new Set(nos.map((r) => Math.round(r.left)))].sort((x, y) => x - y);
    const label = (id) => document.getElementById(id).getBoundingClientRect();
    const longest = Math.max(...[...document.querySelectorAll('#diff-table td:not(.no)')].map((c) => c.textContent.length));
    return {lefts, labelA: label('diff-label-a').left, labelB: label('diff-label-b').left, width: innerWidth,
            page: document.documentElement.scrollWidth, longest};
  }""")
  assert box["longest"] > 80, box  # lines about as wide as half the screen: the case that pushed the right side off-screen
  assert box["page"] <= box["width"], box  # the page itself never scrolls sideways
  assert len(box["lefts"]) == 2, box  # one column of line numbers per side
  a, b = box["lefts"]
  assert b < box["width"] * 0.75, box  # the right side starts on screen, about half-way
  assert abs(a - box["labelA"]) <= 8 and abs(b - box["labelB"]) <= 8, box  # each heading stands over its column
  assert not page.errors, page.errors

def test_enter_in_the_context_field_writes_only_its_key(page, server, comparison):
  page.goto(url(server, comparison))
  page.fill("#diff-ctx", "2")
  page.press("#diff-ctx", "Enter")
  page.wait_for_url(re.compile(r"ctx=2"))
  assert keys(page) == {"ctx"}, page.url
  page.locator("#diff-form button[type=submit]").click()  # Apply with nothing changed: no key is added
  page.wait_for_timeout(300)
  assert keys(page) == {"ctx"}, page.url

def graph_mode(page, side:str) -> str:
  pane = page.locator(f'.graph-pane[data-side="{side}"]')
  pane.scroll_into_view_if_needed()
  page.wait_for_selector(f'.graph-pane[data-side="{side}"][data-state="ready"]', timeout=30_000)
  return pane.locator(".g-mode").input_value() + ":" + pane.locator(".g-which").input_value()

def test_graph_panes_follow_the_mode_picks_unless_the_url_pins_them(page, server, comparison):
  page.goto(url(server, comparison) + "#graphs")
  assert graph_mode(page, "a") == "old:kernel_graph" and graph_mode(page, "b") == "new:kernel_graph"
  assert not keys(page) & {"ga", "gb"}, "opening a plain link writes nothing into it"
  page.select_option('#pick-modes select[name="a"]', "baseline")
  page.wait_for_url(re.compile(r"a=baseline"))
  page.wait_for_function("() => document.querySelector('.graph-pane[data-side=\"a\"] .g-mode').value === 'baseline'")
  assert graph_mode(page, "a") == "baseline:kernel_graph" and graph_mode(page, "b") == "new:kernel_graph"
  # a pane picked by hand is pinned in the URL (its own key only) and stays when the mode picks change
  page.select_option('.graph-pane[data-side="b"] .g-which', "ast:0")
  page.wait_for_url(re.compile(r"gb=new%3Aast%3A0"))
  assert "ga" not in keys(page)
  page.select_option('#pick-modes select[name="b"]', "old")
  page.wait_for_url(re.compile(r"b=old"))
  page.wait_for_timeout(300)
  assert graph_mode(page, "b") == "new:ast:0"
  assert not page.errors, page.errors

def test_the_export_opens_with_the_graph_panes_it_was_taken_with(page, server, comparison, tmp_path):
  f = tmp_path / "export.html"
  f.write_bytes(urllib.request.urlopen(url(server, comparison).replace(f"/c/{comparison['id']}", f"/c/{comparison['id']}.html")
                                       + "?ga=new:rewrite:after&gb=old:ast:2", timeout=60).read())
  page.goto(f.as_uri())
  assert graph_mode(page, "a") == "new:rewrite:after" and graph_mode(page, "b") == "old:ast:2"
  assert not page.errors, page.errors

def test_a_line_link_scrolls_to_and_highlights_its_line(page, server, comparison):
  n = comparison["runs"]["new"]["kernels"][3]["source"].count("\n") + 1
  line = min(20, n)
  page.goto(url(server, comparison) + f"#b-k3-L{line}")
  page.wait_for_load_state("load")
  m = page.evaluate("""(id) => {
    const anchor = document.getElementById(id), pre = anchor.closest('pre'), mark = pre.querySelector('.line-mark');
    if (!mark) return null;
    const num = anchor.nextElementSibling.getBoundingClientRect(), r = mark.getBoundingClientRect(), p = pre.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, width: r.width, preWidth: p.width, numMid: (num.top + num.bottom) / 2, height: innerHeight,
            colour: getComputedStyle(mark).backgroundColor};
  }""", f"b-k3-L{line}")
  assert m is not None, "no highlight on the linked line"
  assert m["top"] <= m["numMid"] <= m["bottom"], m  # on the linked line
  assert m["width"] >= 0.9 * m["preWidth"] - 20, m  # across the whole line, not only its number
  assert 0 <= m["top"] and m["bottom"] <= m["height"], m  # scrolled into view
  assert m["colour"] not in ("rgba(0, 0, 0, 0)", "transparent"), m
  assert not page.errors, page.errors

def test_copy_link_copies_the_view(browser, server, comparison):
  ctx = browser.new_context(viewport=LAPTOP, permissions=["clipboard-read", "clipboard-write"])
  p = ctx.new_page()
  p.goto(url(server, comparison, "a=baseline&b=new&view=unified") + "#diff")
  p.click("#copy-link")
  assert p.evaluate("navigator.clipboard.readText()") == p.url
  ctx.close()
