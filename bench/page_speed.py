"""Result-page interaction times in headless Chromium against a real `wino-dash serve`: DOMContentLoaded and load of a
permalink, and the time from a control's change to its view being shown (a diff option toggled, a mode picked), each a
few times, medians printed. With --shots DIR it also takes the README's screenshot of the split diff at a laptop's
1366 px (diff.png). Usage: python bench/page_speed.py [--db FILE] [--rounds N] [--shots DIR]"""
from __future__ import annotations
import argparse, os, statistics, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tests.serving import CHROMIUM_ARGS, Server, chromium_path, compare_via_api

# the view is shown: the URL holds the key, the document has loaded, and the diff is not waiting for data. The control
# is changed by a script in the page (a click, a select's change event): no Playwright round trips inside the time
DONE = """([key, value]) => new URLSearchParams(location.search).get(key) === value && document.readyState === 'complete' &&
  !document.querySelector('#diff-table[aria-busy="true"]')"""

def timed(page, action, key:str, value:str) -> float:
  t0 = time.perf_counter()
  action()
  page.wait_for_function(DONE, arg=[key, value], timeout=60_000, polling=10)
  return (time.perf_counter() - t0) * 1e3

def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--db", help="a server database to reuse (the comparison is run once into it)")
  ap.add_argument("--rounds", type=int, default=5)
  ap.add_argument("--shots", help="a directory to write diff.png into")
  args = ap.parse_args()
  from playwright.sync_api import sync_playwright
  db = args.db or os.path.join(tempfile.mkdtemp(), "db.sqlite3")
  server = Server(db).start()
  try:
    # the seeds' shape (1x16->16, 32x32, padding 1) in all three modes, as the issue tried it
    c = compare_via_api(server, {"spec": {}, "modes": ["baseline", "old", "new"], "device": "CPU", "repeat": 3})
    url = f"{server.url}/c/{c['id']}"
    with sync_playwright() as p:
      browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
      page = browser.new_page(viewport={"width": 1366, "height": 900})
      page.goto(url)  # warm the server's page cache and the HTTP cache
      loads, toggles, picks = [], [], []
      for _ in range(args.rounds):
        page.goto("about:blank")
        page.goto(url, wait_until="load")
        loads.append(page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0]; "
                                   "return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"))
      for i in range(args.rounds):
        ws = "1" if i % 2 == 0 else "0"
        toggles.append(timed(page, lambda: page.evaluate("document.querySelector('input[name=\"ws\"]').click()"), "ws", ws))
      for i in range(args.rounds):
        mode = "baseline" if i % 2 == 0 else "old"
        picks.append(timed(page, lambda: page.evaluate("""(m) => { const s = document.querySelector('#pick-modes select[name="a"]');
          s.value = m; s.dispatchEvent(new Event('change', {bubbles: true})); }""", mode), "a", mode))
      if args.shots:
        shot = browser.new_page(viewport={"width": 1366, "height": 900})
        shot.goto(url + "?a=old&b=new&pair=2&ctx=3#diff", wait_until="networkidle")
        shot.evaluate("document.getElementById('diff').scrollIntoView()")
        shot.screenshot(path=os.path.join(args.shots, "diff.png"))
      browser.close()
    med = statistics.median
    print(f"comparison {c['id']} ({url}), {args.rounds} rounds, viewport 1366x900")
    print(f"DOMContentLoaded  median {med(l[0] for l in loads):.0f} ms  (each: {', '.join(f'{l[0]:.0f}' for l in loads)})")
    print(f"load event        median {med(l[1] for l in loads):.0f} ms  (each: {', '.join(f'{l[1]:.0f}' for l in loads)})")
    print(f"diff toggle (ws)  median {med(toggles):.0f} ms  (each: {', '.join(f'{t:.0f}' for t in toggles)})")
    print(f"mode pick (left)  median {med(picks):.0f} ms  (each: {', '.join(f'{t:.0f}' for t in picks)})")
  finally:
    server.kill()

if __name__ == "__main__": main()
