"""History in headless Chromium: "compare these two" is enabled at exactly two ticked; /two otherwise says why."""
import re
import pytest
# server, browser and result_url: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")

@pytest.fixture(scope="module")
def pair(browser, result_url):
  """The session's baseline-vs-OLD result and its re-run (the page's Re-run button): two of one spec."""
  p = browser.new_page()
  p.goto(result_url)
  p.click("#rerun")
  p.wait_for_url(lambda u: re.search(r"/c/[0-9a-f]{16}$", u) and u != result_url, timeout=180_000)
  ids = [result_url.rsplit("/", 1)[1], p.url.rsplit("/", 1)[1]]
  p.close()
  return [{"id": i} for i in ids]

def test_compare_these_two_is_enabled_only_with_two_ticked(browser, server, pair):
  p = browser.new_page()
  p.goto(server.url + "/history")
  go = p.locator("#compare-two-go")
  boxes = [p.locator(f'tr[data-id="{c["id"]}"] input[name="id"]') for c in pair]
  assert go.is_disabled()
  boxes[0].check()
  assert go.is_disabled()
  boxes[1].check()
  assert go.is_enabled()
  boxes[0].uncheck()
  assert go.is_disabled()
  boxes[0].check()
  go.click()
  p.wait_for_url(re.compile(r"/two\?id="))
  assert p.locator("#two").is_visible()
  # a hand-made link with one id: the app's error page, saying what it needs
  r = p.goto(server.url + f"/two?id={pair[0]['id']}")
  assert r.status == 400 and "exactly two different comparisons" in p.locator(".error-message").inner_text()
  assert p.locator("header.top nav").is_visible()
  p.close()
