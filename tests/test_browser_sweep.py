"""A sweep through the page in headless Chromium: the form, the live page that turns into the table, the chart, and a
layer's link to its own comparison."""
import queue, re, threading
import pytest
from werkzeug.serving import make_server
from app import create_app
from app.in_process_runner import InProcessRunner
from app.store import Store
from tests.serving import page_errors  # server and browser: tests/conftest.py, one each per session

playwright = pytest.importorskip("playwright.sync_api")

def test_a_custom_network_sweep_from_the_form(browser, server):
  p = browser.new_page()
  errors = page_errors(p)
  p.goto(server.url + "/sweep")
  p.select_option("#f-model", "custom")
  p.fill("#f-layers", "stem 2 3 3 1 1 7\nblock 8 8 3 1 1 12\nblock2 8 8 3 1 1 12")
  p.fill("#f-batch", "1")
  p.click("#submit")
  p.wait_for_url(re.compile(r"/s/[0-9a-f]{16}$"))
  p.wait_for_selector("#sweep-state.state-done", timeout=420_000)  # the page reloads itself as layers finish (minutes on a loaded CPU)
  rows = p.locator("table.sweep-layers tbody tr")
  assert rows.count() == 2
  assert rows.nth(1).locator("td.names").inner_text() == "block, block2" and rows.nth(1).locator("td").nth(2).inner_text() == "2"
  for m in ("baseline", "old"):
    assert p.locator(f'#totals tr[data-mode="{m}"] td.total').inner_text().endswith("ms")
  assert "OLD/baseline" in p.locator("#speedups").inner_text()
  # NEW leaves the stem, too small, to the direct conv (its cost model): its ratios time baseline's kernel, n/a; on the
  # blocks it fires, and each ratio says its noise verdict
  for k in ("new_old", "new_base"):
    assert rows.nth(0).locator(f'td[data-ratio="{k}"]').inner_text() == "n/a"
    assert rows.nth(1).locator(f'td[data-ratio="{k}"] .speed').inner_text() in ("faster", "slower", "within noise")
  p.wait_for_selector("#chart-sweep .main-svg")
  href = rows.nth(0).locator("a.layer-link").get_attribute("href")
  rows.nth(0).locator("a.layer-link").click()
  p.wait_for_url(re.compile(re.escape(href) + "$"))
  assert "2→3 7×7" in p.locator("h1").inner_text()
  assert not errors, errors
  p.close()

class Stalled(InProcessRunner):
  """Queues jobs and never runs them: a sweep that waits behind other work."""
  def _queue_for(self, device:str) -> queue.Queue: return queue.Queue()

def test_a_queued_sweep_says_waiting_not_zero(browser, tmp_path):
  db = str(tmp_path / "db.sqlite3")
  app = create_app({"DATABASE": db, "TESTING": True, "RUNNER": Stalled(Store(db))})
  http = make_server("127.0.0.1", 0, app, threaded=True)
  threading.Thread(target=http.serve_forever, daemon=True).start()
  try:
    r = app.test_client().post("/api/sweeps", json={"model": "custom", "layers": "a 2 3 3 1 1 6\nb 2 2 3 1 1 6", "modes": ["baseline", "old"],
                                                    "device": "CPU"}).get_json()
    p = browser.new_page()
    errors = page_errors(p)
    p.goto(f"http://127.0.0.1:{http.server_port}{r['url']}")
    for m in ("baseline", "old"):
      assert p.locator(f'#totals tr[data-mode="{m}"] td.total').inner_text() == "waiting"
      assert p.locator(f'#totals tr[data-mode="{m}"] td.complete').inner_text().startswith("not yet: 0 of 2")
    assert p.locator("#sweep-chart-waiting").is_visible() and p.locator("#chart-sweep").count() == 0  # no empty axes
    assert not errors, errors
    p.close()
  finally:
    http.shutdown()
    app.extensions["wino"]["sweeps"].close()
