"""Navigation and sharing in a real browser: Back, the bfcache, URL state per control, keyboard use. Each test here
failed on the dashboard before these were fixed (see the commit that added it)."""
import re, time
import pytest

playwright = pytest.importorskip("playwright.sync_api")
SMALL = (("cin", "2"), ("cout", "3"), ("h", "7"), ("w", "7"))
# server, browser and result_url (a baseline-vs-OLD result the form made): tests/conftest.py, one each per session

@pytest.fixture()
def page(browser):
  ctx = browser.new_context()
  p = ctx.new_page()
  yield p
  ctx.close()

def submit_form(page, server, seed:str) -> str:
  page.goto(server.url + "/")
  for name, value in (*SMALL, ("seed", seed)): page.fill(f"#f-{name}", value)
  page.uncheck("#f-mode-new")
  page.click("#submit")
  page.wait_for_url(re.compile(r"/c/[0-9a-f]{16}"), timeout=180_000)
  return page.url

def test_back_from_the_result_reaches_the_form_not_the_job(page, server):
  submit_form(page, server, "2")
  page.go_back()
  time.sleep(1.5)  # a job page restored from the cache would poll and bounce back to the result within this
  assert page.url.rstrip("/") == server.url, page.url
  assert page.locator("#submit").is_visible()

def test_a_boolean_option_round_trips_and_leaves_the_others(page, result_url):
  page.goto(result_url)
  assert page.locator('input[name="words"][type="checkbox"]').is_checked()
  page.uncheck('input[name="words"][type="checkbox"]')
  page.wait_for_url(re.compile(r"words=0"))
  page.check('input[name="ws"]')
  page.wait_for_url(re.compile(r"ws=1"))
  assert "words=0" in page.url
  page.check('input[name="words"][type="checkbox"]')
  page.wait_for_url(re.compile(r"words=1"))
  assert page.locator('input[name="words"][type="checkbox"]').is_checked() and page.locator('input[name="ws"]').is_checked()
  assert "ws=1" in page.url

def test_controls_follow_the_url_after_back(page, result_url):
  page.goto(result_url)
  page.check('input[name="view"][value="unified"]')
  page.wait_for_url(re.compile(r"view=unified"))
  page.go_back()
  page.wait_for_url(lambda u: "view=unified" not in u)
  assert page.locator("#diff-table.diff-split").is_visible()
  assert page.locator('input[name="view"][value="split"]').is_checked()
  assert not page.locator('input[name="view"][value="unified"]').is_checked()

def test_each_control_changes_only_its_own_key(page, result_url):
  page.goto(result_url + "?gb=old:kernel_graph&norm=1")
  page.check('input[name="ws"]')
  page.wait_for_url(re.compile(r"ws=1"))
  assert "gb=old%3Akernel_graph" in page.url and "norm=1" in page.url, page.url
  page.select_option('#pick-modes select[name="a"]', "old")
  page.wait_for_url(re.compile(r"a=old"))
  assert "ws=1" in page.url and "norm=1" in page.url and "gb=old%3Akernel_graph" in page.url, page.url

def test_keyboard_on_the_pair_select_and_the_graph_nodes(page, result_url):
  page.goto(result_url)
  pair = page.locator("#diff-pair")
  pair.focus()
  start = int(pair.input_value())
  before = page.url
  page.keyboard.press("ArrowDown")
  time.sleep(1.0)
  assert page.url == before, "an arrow key only moves the choice"
  assert page.evaluate("document.activeElement.id") == "diff-pair"
  page.keyboard.press("Enter")
  page.wait_for_url(re.compile(rf"pair={start + 1}\b"))
  for _ in range(50):  # the focus comes back just after the load event
    if page.evaluate("document.activeElement.id") == "diff-pair": break
    time.sleep(0.1)
  assert page.evaluate("document.activeElement.id") == "diff-pair", "the control keeps the focus after the reload"
  page.locator("#graphs").scroll_into_view_if_needed()  # the graphs are laid out when they come near the screen
  node = page.locator('#graphs .graph-pane[data-side="a"] .gn').first
  node.wait_for(timeout=30_000)
  assert node.get_attribute("tabindex") == "0"
  node.focus()
  page.keyboard.press("Enter")
  assert page.locator('#graphs .graph-pane[data-side="a"] .g-details h3').inner_text().startswith("#")

def test_a_kernel_typed_as_3x_says_what_is_wrong(page, server):
  page.goto(server.url + "/")
  page.fill("#f-kernel", "3x")
  page.click("#submit")
  assert "'3x' has a size missing" in page.locator("#err-kernel").inner_text()

def test_line_links_download_and_the_chart_scale(page, result_url):
  page.goto(result_url.split("?")[0] + "#b-k1-L3")
  line = page.locator("#b-k1-L3")
  assert line.get_attribute("class") == "line-target"
  assert page.locator('.kernel[data-side="b"]').nth(1).locator("details.klevel-source").get_attribute("open") is not None, "the linked kernel opens"
  kernel = page.locator('.kernel[data-side="b"]').first
  with page.expect_download() as dl:
    kernel.locator("button.k-download").click()
  name = kernel.get_attribute("data-name")
  assert dl.value.suggested_filename == name + ".c"
  text = open(dl.value.path()).read()
  assert "void" in text and not text.lstrip().startswith("1"), "the source as written, without line numbers"
  assert page.locator("#diff-table td").first.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"
  page.locator("#charts").scroll_into_view_if_needed()  # plotly loads when the charts come near the screen
  page.wait_for_selector("#chart-kernels .main-svg", timeout=20_000)
  before = page.locator("#chart-scale").inner_text()
  page.click("#chart-scale")
  assert page.locator("#chart-scale").inner_text() != before
