"""The result page's charts in headless Chromium: plotly's toolbars out of the tab order, kernels side by side on a log
scale, readable log ticks, and roofline points that say their kernel role."""
import pytest
from tests.serving import page_errors  # server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")

@pytest.fixture(scope="module")
def page(browser, result_url):
  """the session's baseline-vs-OLD result (tests/conftest.py): baseline's conv and OLD's four kernels"""
  p = browser.new_page(viewport={"width": 1366, "height": 900})
  errors = page_errors(p)
  p.goto(result_url)
  p.wait_for_selector("#chart-roofline .main-svg")
  yield p
  assert not errors, errors
  p.close()

def test_tab_goes_from_the_charts_to_the_kernels_past_plotly_toolbars(page):
  assert page.locator('.modebar-btn[data-title="Share chart..."]').count() == 0  # no upload to plotly's cloud
  page.focus("#chart-scale")
  page.keyboard.press("Tab")
  assert page.evaluate("!document.activeElement.closest('.modebar')")
  assert page.evaluate("document.activeElement.closest('#kernels') !== null")

def test_on_a_log_scale_each_kernel_stands_beside_the_others(page):
  if page.get_attribute("#chart-scale", "aria-pressed") != "true": page.click("#chart-scale")
  page.wait_for_function("document.getElementById('chart-kernels')._fullLayout.yaxis.type === 'log'")
  lefts = page.evaluate("[...document.querySelectorAll('#chart-kernels .bars path')].map(p => Math.round(p.getBoundingClientRect().x))")
  assert len(lefts) == 5 and len(set(lefts)) == 5  # baseline's conv and OLD's four kernels, none stacked on another
  page.click("#chart-scale")  # linear: stacked again, one column per mode
  page.wait_for_function("document.getElementById('chart-kernels')._fullLayout.yaxis.type === 'linear'")
  lefts = page.evaluate("[...document.querySelectorAll('#chart-kernels .bars path')].map(p => Math.round(p.getBoundingClientRect().x))")
  assert len(set(lefts)) == 2

def test_log_axes_label_few_ticks_in_full(page):
  for axis in ("xtick", "ytick"):
    labels = page.evaluate(f"[...document.querySelectorAll('#chart-roofline .{axis} text')].map(t => t.textContent)")
    assert 2 <= len(labels) <= 6, (axis, labels)

def test_roofline_points_say_their_kernel_role(page):
  legend = page.evaluate("[...document.querySelectorAll('#chart-roofline .legendtext')].map(t => t.textContent)")
  assert {"baseline", "old", "conv", "input transform", "weight transform", "batched product", "output"} <= set(legend)
  shapes = page.evaluate("new Set([...document.querySelectorAll('#chart-roofline .scatterlayer .points path')].map(p => p.getAttribute('d'))).size")
  assert shapes >= 5  # a marker per role: circle, diamond, square, star, triangle
