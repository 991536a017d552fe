"""A sweep through the page in headless Chromium: the form, the live page that turns into the table, the chart, and a
layer's link to its own comparison."""
import re
import pytest
from tests.test_browser import browser, page_errors, server  # noqa: F401 (fixtures: one server and one Chromium per module)

playwright = pytest.importorskip("playwright.sync_api")

def test_a_custom_network_sweep_from_the_form(browser, server):  # noqa: F811
  p = browser.new_page()
  errors = page_errors(p)
  p.goto(server.url + "/sweep")
  p.select_option("#f-model", "custom")
  p.fill("#f-layers", "stem 2 3 3 1 1 7\nblock 3 3 3 1 1 7\nblock2 3 3 3 1 1 7")
  p.uncheck("#f-mode-new")
  p.fill("#f-batch", "1")
  p.click("#submit")
  p.wait_for_url(re.compile(r"/s/[0-9a-f]{16}$"))
  p.wait_for_selector("#sweep-state.state-done", timeout=180_000)  # the page reloads itself as layers finish
  rows = p.locator("table.sweep-layers tbody tr")
  assert rows.count() == 2
  assert rows.nth(1).locator("td.names").inner_text() == "block, block2" and rows.nth(1).locator("td").nth(2).inner_text() == "2"
  for m in ("baseline", "old"):
    assert p.locator(f'#totals tr[data-mode="{m}"] td.total').inner_text().endswith("ms")
  assert "OLD/baseline" in p.locator("#speedups").inner_text()
  p.wait_for_selector("#chart-sweep .main-svg")
  href = rows.nth(0).locator("a.layer-link").get_attribute("href")
  rows.nth(0).locator("a.layer-link").click()
  p.wait_for_url(re.compile(re.escape(href) + "$"))
  assert "2→3 7×7" in p.locator("h1").inner_text()
  assert not errors, errors
  p.close()
