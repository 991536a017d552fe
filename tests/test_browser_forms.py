"""The forms in headless Chromium after a bad submit: the fields to blame marked, the focus on the first of them."""
import pytest
# server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")

def test_a_size_over_the_cap_blames_h_and_w_keeps_them_on_one_row_and_focuses_h(browser, server):
  p = browser.new_page(viewport={"width": 1366, "height": 900})
  p.goto(server.url + "/")
  p.fill("#f-h", "100000")
  p.fill("#f-w", "100000")
  p.click("#submit")
  p.wait_for_selector("#err-h")
  assert "h and w make it too large" in p.locator("#err-h").inner_text()
  assert p.locator("#err-w").count() == 0 and p.locator("#err-batch").count() == 0  # said once, on the fields to blame
  assert [p.locator(f"#f-{k}").get_attribute("aria-invalid") for k in ("batch", "h", "w")] == [None, "true", "true"]
  assert p.locator("#f-w").get_attribute("aria-describedby") == "err-h"
  assert p.evaluate("document.activeElement.id") == "f-h"
  assert p.locator("#f-w").bounding_box()["y"] == p.locator("#f-h").bounding_box()["y"]  # the message does not push W down
  p.fill("#f-h", "32")
  p.fill("#f-w", "32")
  p.fill("#f-groups", "5")
  p.click("#submit")
  p.wait_for_selector("#err-groups")
  assert p.evaluate("document.activeElement.id") == "f-groups" and p.locator("#f-groups").get_attribute("aria-invalid") == "true"
  p.close()

def test_the_sweep_form_enables_its_custom_layers_only_for_custom_and_focuses_a_bad_field(browser, server):
  p = browser.new_page()
  p.goto(server.url + "/sweep")
  assert p.locator("#f-layers").is_disabled()  # resnet18 is picked: the box would be ignored
  p.select_option("#f-model", "custom")
  assert p.locator("#f-layers").is_enabled()
  p.select_option("#f-model", "resnet18")
  assert p.locator("#f-layers").is_disabled()
  p.fill("#f-batch", "0")
  p.click("#submit")
  p.wait_for_selector("#err-batch")
  assert "must be at least 1, got 0" in p.locator("#err-batch").inner_text()
  assert p.evaluate("document.activeElement.id") == "f-batch" and p.locator("#f-batch").get_attribute("aria-invalid") == "true"
  p.close()
