"""The standalone export opened from disk: the mode pickers and every diff option work with no server, and each view
shows what the live page shows for the same URL (same rows, same marks, same kernels side by side)."""
import urllib.request
import pytest
from tests.serving import page_errors  # server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")

@pytest.fixture(scope="module")
def comparison(three_modes) -> dict:
  """the session's tiny comparison of all three modes, NEW forced (tests/conftest.py)"""
  return three_modes

VIEW = """() => ({
  rows: [...document.querySelectorAll('#diff-table tr')].map((r) => [r.className, ...[...r.cells].map((c) => c.className + '|' + c.textContent)]),
  marks: [...document.querySelectorAll('#diff-table ins.w, #diff-table del.w')].map((m) => m.tagName + m.textContent),
  summary: document.getElementById('diff-summary').textContent.trim().replace(/\\s+/g, ' '),
  labels: ['diff-label-a', 'diff-label-b', 'side-label-a', 'side-label-b'].map((id) => document.getElementById(id).textContent.trim().replace(/\\s+/g, ' ')),
  pairs: [...document.querySelectorAll('#diff-pair option')].map((o) => o.textContent.trim().replace(/\\s+/g, ' ')),
  kernels: [...document.querySelectorAll('#side-body .kernel')].map((k) => (k.dataset.side || '') + ':' + (k.dataset.name || 'none')),
  lines: document.querySelectorAll('#side-body [id^="a-k"], #side-body [id^="b-k"]').length,
})"""

def test_the_exported_file_switches_modes_and_diff_options_offline(browser, server, comparison, tmp_path):
  cid = comparison["id"]
  f = tmp_path / "export.html"
  f.write_bytes(urllib.request.urlopen(f"{server.url}/c/{cid}.html?a=old&b=new", timeout=60).read())
  assert f.stat().st_size < 12e6  # plotly.js and ELK are 6.5 MB; every kernel's source and assembly, and their diffs, the rest
  offline, live = browser.new_page(), browser.new_page()
  errors = page_errors(offline)
  offline.goto(f.as_uri())
  def check(query:str):
    live.goto(f"{server.url}/c/{cid}?{query}")
    want, got = live.evaluate(VIEW), offline.evaluate(VIEW)
    assert got == want, query
    assert want["rows"] and want["kernels"] and want["lines"]
    return got
  first = check("a=old&b=new")
  # each control, changed in the file, gives the live page's view of the same URL
  offline.check('input[name="view"][value="unified"]')
  check("a=old&b=new&view=unified")
  offline.uncheck('input[name="words"][type="checkbox"]')
  check("a=old&b=new&view=unified&words=0")
  offline.check('input[name="words"][type="checkbox"]')
  offline.check('input[name="norm"]')
  offline.fill("#diff-ctx", "2")
  offline.press("#diff-ctx", "Enter")
  with_ctx = check("a=old&b=new&view=unified&norm=1&ctx=2")
  assert any(r[0] == "skip" for r in with_ctx["rows"]), "context 2 hides equal lines"
  offline.select_option('#pick-modes select[name="a"]', "baseline")
  after = check("a=baseline&b=new&view=unified&norm=1&ctx=2")
  assert after["kernels"] != first["kernels"] and after["labels"][0].startswith("baseline")
  offline.select_option("#diff-pair", "1")
  offline.check('input[name="view"][value="split"]')
  offline.check('input[name="ws"]')
  check("a=baseline&b=new&pair=1&view=split&norm=1&ctx=2&ws=1")
  # the other modes' sources are there too: the same mode on both sides
  offline.select_option('#pick-modes select[name="a"]', "old")
  offline.select_option('#pick-modes select[name="b"]', "old")
  same = check("a=old&b=old&pair=0&view=split&norm=1&ctx=2&ws=1")
  assert same["summary"].startswith("identical")
  # a pair the other way round: the file carries it mirrored from old↔new, the page diffs it itself
  offline.select_option('#pick-modes select[name="a"]', "new")
  offline.uncheck('input[name="ws"]')
  offline.uncheck('input[name="norm"]')
  reverse = check("a=new&b=old&view=split&norm=0&ctx=2&ws=0")
  assert not reverse["summary"].startswith("identical")
  assert not errors, errors

def test_a_line_link_opens_in_the_file(browser, server, comparison, tmp_path):
  f = tmp_path / "export.html"
  f.write_bytes(urllib.request.urlopen(f"{server.url}/c/{comparison['id']}.html?a=baseline&b=new", timeout=60).read())
  p = browser.new_page()
  errors = page_errors(p)
  p.goto(f.as_uri() + "#b-k1-L3")
  line = p.locator("#b-k1-L3")
  assert "line-target" in line.get_attribute("class") and line.evaluate("e => e.closest('details').open")
  assert p.locator('.kernel[data-side="b"]').count() == len(comparison["runs"]["new"]["kernels"])
  assert not errors, errors
