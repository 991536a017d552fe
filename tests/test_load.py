"""Load on a real server over loopback: many readers of permalinks, a burst of submissions. Figures are printed,
never asserted (timings depend on the machine); errors and lost jobs are asserted."""
import json, os, statistics, threading, time, urllib.error, urllib.request
import pytest
from tests.serving import Server

SECONDS = float(os.environ.get("WINO_DASH_LOAD_SECONDS", "30"))
CLIENTS = 50

def rss_mb(pid:int) -> float:
  with open(f"/proc/{pid}/status") as f: return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

def post(url:str, body:dict) -> tuple[int, dict]:
  req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
  try:
    with urllib.request.urlopen(req, timeout=60) as r: return r.status, json.loads(r.read())
  except urllib.error.HTTPError as e: return e.code, json.loads(e.read())

def wait_done(url:str, timeout:float=300) -> dict:
  end = time.monotonic() + timeout
  while time.monotonic() < end:
    j = json.loads(urllib.request.urlopen(url, timeout=30).read())
    if j["state"] in ("done", "failed"): return j
    time.sleep(0.3)
  raise AssertionError("job did not finish")

@pytest.fixture(scope="module")
def server(tmp_path_factory):
  s = Server(str(tmp_path_factory.mktemp("load") / "db.sqlite3")).start()
  yield s
  s.kill()

@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads RSS from /proc (Linux)")
def test_fifty_clients_reading_permalinks(server, capsys):
  status, body = post(server.url + "/api/compare", {"spec": {"cin": 4, "cout": 4, "h": 8, "w": 8}, "modes": ["baseline", "old", "new"], "repeat": 2})
  assert status == 202 and wait_done(server.url + body["status_url"])["state"] == "done"
  paths = [f"/c/{body['id']}", f"/c/{body['id']}.json", f"/c/{body['id']}?a=baseline&b=new&view=unified", "/history"]
  for p in paths: urllib.request.urlopen(server.url + p, timeout=30).read()  # first renders
  rss_before = rss_mb(server.proc.pid)
  latencies, errors, end = [], [], time.monotonic() + SECONDS
  def client(i:int):
    n = i
    while time.monotonic() < end:
      st = time.perf_counter()
      try:
        with urllib.request.urlopen(server.url + paths[n % len(paths)], timeout=30) as r:
          r.read()
          if r.status != 200: errors.append(r.status)
      except Exception as e: errors.append(repr(e))
      latencies.append(time.perf_counter() - st)
      n += 1
  threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
  for t in threads: t.start()
  for t in threads: t.join()
  rss_after = rss_mb(server.proc.pid)
  q = statistics.quantiles(latencies, n=100)
  with capsys.disabled():
    print(f"\nload: {CLIENTS} clients, {SECONDS:g} s, {len(latencies)} requests ({len(latencies)/SECONDS:.0f}/s), {len(errors)} errors, "
          f"p50 {q[49]*1e3:.1f} ms, p99 {q[98]*1e3:.1f} ms, max {max(latencies)*1e3:.1f} ms; server RSS {rss_before:.0f} -> {rss_after:.0f} MB")
  assert not errors, errors[:5]
  assert len(latencies) > CLIENTS

def test_burst_of_twenty_submissions_completes_or_is_refused(server, capsys):
  results, barrier = [], threading.Barrier(20)
  def submit(i:int):
    barrier.wait()
    results.append(post(server.url + "/api/compare", {"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6, "seed": 100 + i},
                                                        "modes": ["baseline", "old"], "repeat": 1}))
  threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
  for t in threads: t.start()
  for t in threads: t.join()
  accepted = [b for s, b in results if s == 202]
  refused = [b for s, b in results if s == 429]
  assert len(accepted) + len(refused) == 20, [s for s, _ in results]
  assert accepted and all("queue full" in b["error"] for b in refused)
  for b in accepted:  # none lost: every accepted job finishes and its permalink is there
    assert wait_done(server.url + b["status_url"])["state"] == "done"
    assert json.loads(urllib.request.urlopen(server.url + f"/c/{b['id']}.json", timeout=30).read())["id"] == b["id"]
  with capsys.disabled(): print(f"\nburst: 20 concurrent submissions, {len(accepted)} accepted and completed, {len(refused)} refused (queue full)")
