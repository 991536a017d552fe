"""Real browser tests: headless Chromium (Playwright) against a real server on loopback."""
import re
import pytest
from tests.serving import page_errors

playwright = pytest.importorskip("playwright.sync_api")
# server, browser and result_url (the form submitted, the job page turned into the result): tests/conftest.py, one each per session

def test_result_shows_both_modes_kernels_diff_and_chart(result_url, browser):
  page = browser.new_page()
  errors = page_errors(page)
  page.goto(result_url)
  assert page.locator('.kernel[data-side="a"]').count() == 1      # baseline: the conv kernel
  assert page.locator('.kernel[data-side="b"]').count() == 4      # OLD: Winograd's four kernels
  assert page.locator(".kernel .hl").first.is_visible()
  assert page.locator("#diff-table tr").count() > 10 and page.locator("#diff-summary").is_visible()
  page.wait_for_selector("#chart-kernels .main-svg", timeout=20_000)
  assert page.locator("#chart-kernels .bars path").count() >= 5   # one bar per kernel: 1 + 4
  assert page.locator("#chart-phases .main-svg").count() >= 1
  assert not errors, errors
  page.close()

def test_diff_options_change_the_url_and_the_view(result_url, browser):
  page = browser.new_page()
  page.goto(result_url)
  # lazily loaded panes (plotly, ELK) move the toolbar while they lay out: under load a click at the box's old place
  # missed it ("Clicking the checkbox did not change its state"); click once the page has settled
  page.wait_for_load_state("networkidle")
  page.check('input[name="view"][value="unified"]')
  page.wait_for_url(re.compile(r"view=unified"))
  assert page.locator("#diff-table.diff-unified").is_visible()
  page.check('input[name="norm"]')
  page.wait_for_url(re.compile(r"norm=1"))
  link = page.url
  page.close()
  again = browser.new_page()
  again.goto(link)  # the link opens the exact view
  assert again.locator("#diff-table.diff-unified").is_visible() and again.locator('input[name="norm"]').is_checked()
  again.close()

def test_permalink_opens_in_a_fresh_context(result_url, browser):
  ctx = browser.new_context()
  page = ctx.new_page()
  errors = page_errors(page)
  page.goto(result_url)
  assert page.locator("#cid").inner_text() in result_url
  page.wait_for_selector("#chart-kernels .main-svg", timeout=20_000)
  assert not errors, errors
  ctx.close()

def test_invalid_form_shows_error_next_to_field(server, browser):
  page = browser.new_page()
  page.goto(server.url + "/")
  page.fill("#f-groups", "5")
  page.click("#submit")
  assert "must divide cin 16" in page.locator("#err-groups").inner_text()
  page.close()
