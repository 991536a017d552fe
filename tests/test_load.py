"""Load on a real production server (`wino-dash serve`: waitress, access log on) over loopback: many readers of a
permalink and of its JSON, slow clients beside them, a burst of submissions. Figures are printed, never asserted
(timings depend on the machine); errors, lost jobs and starved clients are asserted."""
import json, os, socket, statistics, threading, time, urllib.error, urllib.request
import pytest

# CI runs a small size that fits 2 cores; docs/reliability.md has the full one:
#   WINO_DASH_LOAD_CLIENTS=50 WINO_DASH_LOAD_SECONDS=30 pytest tests/test_load.py -s   (then 200 clients)
SECONDS = float(os.environ.get("WINO_DASH_LOAD_SECONDS", "5"))
CLIENTS = int(os.environ.get("WINO_DASH_LOAD_CLIENTS", "20"))
SLOW_CLIENTS = 10

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
def permalink(server) -> str:
  status, body = post(server.url + "/api/compare", {"spec": {"cin": 4, "cout": 4, "h": 8, "w": 8}, "modes": ["baseline", "old", "new"], "repeat": 2})
  assert status == 202 and wait_done(server.url + body["status_url"])["state"] == "done"
  return f"/c/{body['id']}"

def load(url:str, clients:int, seconds:float) -> dict:
  """`clients` threads, each requesting `url` back to back for `seconds`: requests, errors and latency quantiles."""
  latencies, errors, end = [], [], time.monotonic() + seconds
  def client():
    while time.monotonic() < end:
      st = time.perf_counter()
      try:
        with urllib.request.urlopen(url, timeout=60) as r:
          r.read()
          if r.status != 200: errors.append(r.status)
      except Exception as e: errors.append(repr(e))
      latencies.append(time.perf_counter() - st)
  threads = [threading.Thread(target=client) for _ in range(clients)]
  for t in threads: t.start()
  for t in threads: t.join()
  q = statistics.quantiles(latencies, n=100)
  return {"requests": len(latencies), "errors": errors, "p50": q[49], "p99": q[98], "max": max(latencies)}

def report(what:str, clients:int, r:dict) -> str:
  return (f"{what}: {clients} clients, {SECONDS:g} s, {r['requests']} requests ({r['requests']/SECONDS:.0f}/s), {len(r['errors'])} errors, "
          f"p50 {r['p50']*1e3:.1f} ms, p99 {r['p99']*1e3:.1f} ms, max {r['max']*1e3:.1f} ms")

@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads RSS from /proc (Linux)")
@pytest.mark.parametrize("suffix", ["", ".json"], ids=["page", "json"])
def test_clients_reading_a_permalink(server, permalink, suffix, capsys):
  url = server.url + permalink + suffix
  urllib.request.urlopen(url, timeout=30).read()  # the first render
  rss_before = rss_mb(server.proc.pid)
  r = load(url, CLIENTS, SECONDS)
  with capsys.disabled(): print(f"\n{report('load on ' + permalink + suffix, CLIENTS, r)}; server RSS {rss_before:.0f} -> {rss_mb(server.proc.pid):.0f} MB")
  assert not r["errors"], r["errors"][:5]
  assert r["requests"] > CLIENTS

def test_slow_clients_do_not_stop_others_being_served(server, permalink, capsys):
  """Slowloris: connections that send their request one byte a second hold a socket each, never a request thread."""
  request = f"GET {permalink} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
  socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(SLOW_CLIENTS)]
  stop = threading.Event()
  def trickle(sock:socket.socket):
    for i in range(len(request)):
      if stop.wait(1): return
      sock.send(request[i:i+1])
  trickling = [threading.Thread(target=trickle, args=(s,)) for s in socks]
  for t in trickling: t.start()
  try:
    time.sleep(1.5)  # every slow connection is open and part-way through its request
    r = load(server.url + permalink, CLIENTS, SECONDS)
    still_open = []
    for s in socks:  # the server kept each slow connection (nothing to read yet, not closed)
      s.setblocking(False)
      try: still_open.append(s.recv(1, socket.MSG_PEEK) != b"")
      except BlockingIOError: still_open.append(True)
  finally:
    stop.set()
    for t in trickling: t.join()
    for s in socks: s.close()
  with capsys.disabled(): print(f"\n{report(f'with {SLOW_CLIENTS} clients sending a byte a second', CLIENTS, r)}")
  assert all(still_open) and not r["errors"], r["errors"][:5]
  assert r["requests"] > CLIENTS

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
