"""History in headless Chromium: "compare these two" is enabled at exactly two ticked; /two otherwise says why."""
import re
import pytest
from tests.serving import compare_via_api
# server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")
TINY = {"spec": {"batch": 1, "cin": 1, "cout": 2, "h": 6, "w": 6, "padding": 1}, "modes": ["baseline", "old"], "device": "CPU", "repeat": 3}

@pytest.fixture(scope="module")
def pair(server):
  """A tiny comparison and its re-run: two of one spec."""
  return [compare_via_api(server, TINY), compare_via_api(server, {**TINY, "rerun": 1})]

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
