"""Queue mode on one machine: throughput of 10 comparisons through 1 worker vs 2 workers, and the overhead of the queue
path (server → Redis → worker → collector → store) against the in-process runner for one comparison.

  python bench/queue_throughput.py          # needs redis-server on PATH; about two minutes on 2 cores

Each comparison is a tiny conv (2→2 channels, 6x6) in baseline and OLD, repeat 1, so the child processes (tinygrad
import, cold compile) dominate: the ratio says how well two device queues overlap, not how fast a kernel is. Two
workers on one machine share its CPU cores: fine for throughput, which is all this measures.
"""
import os, statistics, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tests.serving import Server, free_port
from tests.test_rq import WorkerProc, http, until

N, OVERHEAD_RUNS = 10, 5
SPEC = {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}
_seed = iter(range(1000, 10**6))

def body(device:str) -> dict: return {"spec": {**SPEC, "seed": next(_seed)}, "modes": ["baseline", "old"], "device": device, "repeat": 1}

WINDOW = 4  # in flight at once: under the server's 5 queued jobs per client, and enough to keep two queues busy

def through(post, get, devices:list[str], n:int, done:list|None=None) -> float:
  """Wall time from submitting the first of n comparisons (round-robin over devices) until the last is done."""
  st, sent, pending = time.perf_counter(), 0, set()
  while sent < n or pending:
    while sent < n and len(pending) < WINDOW:
      pending.add(post(body(devices[sent % len(devices)])))
      sent += 1
    for u in list(pending):
      if (j:=get(u))["state"] == "failed": raise RuntimeError(j["message"])
      if j["state"] == "done":
        pending.discard(u)
        if done is not None: done.append(j["id"])
    time.sleep(0.05)
  return time.perf_counter() - st

def main():
  tmp = tempfile.mkdtemp(prefix="wino-bench-")
  port = free_port()
  url = f"redis://127.0.0.1:{port}/0"
  redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                           stdout=subprocess.DEVNULL)
  log = open(os.path.join(tmp, "workers.log"), "ab")
  workers, server = [WorkerProc(url, "w1", log)], Server(os.path.join(tmp, "q.sqlite3"), args=("--queue", url)).start()
  try:
    post = lambda b: http(server.url + "/api/compare", b)[1]["status_url"]
    get = lambda u: http(server.url + u)[1]
    live = lambda *names: until(lambda: {f"{n}/CPU" for n in names} <= {d["name"] for d in http(server.url + "/api/devices")[1]["devices"]}, 60, "workers")
    live("w1")
    through(post, get, ["w1/CPU"], 1)  # warm: first imports, page cache
    one = through(post, get, ["w1/CPU"], N)
    workers.append(WorkerProc(url, "w2", log))
    live("w1", "w2")
    two = through(post, get, ["w1/CPU", "w2/CPU"], N)

    # one comparison, queue path vs in-process path, alternated so both see the same machine load
    from app import create_app
    client = create_app({"DATABASE": os.path.join(tmp, "inproc.sqlite3")}).test_client()
    in_post = lambda b: client.post("/api/compare", json={**b, "device": "CPU"}).get_json()["status_url"]
    in_get = lambda u: client.get(u).get_json()
    from app.store import Store
    store, queue_s, inproc_s, extra_s = Store(server.db), [], [], []
    for _ in range(OVERHEAD_RUNS):
      queue_s.append(through(post, get, ["w1/CPU"], 1, done:=[]))
      extra_s.append(queue_s[-1] - store.get_comparison(done[0])["worker"]["wall_s"])  # beyond the worker's own run
      inproc_s.append(through(in_post, in_get, ["CPU"], 1))
  finally:
    for w in workers: w.stop()
    server.kill()
    redis.terminate()
  q, p, x = (statistics.median(v) for v in (queue_s, inproc_s, extra_s))
  print(f"{N} comparisons: 1 worker {one:.1f} s, 2 workers {two:.1f} s -> throughput ratio {one / two:.2f}x  ({os.cpu_count()} cores)")
  print(f"one comparison, median of {OVERHEAD_RUNS}: queue path {q:.2f} s, in-process {p:.2f} s ({q / p:.2f}x); "
        f"queue path beyond the worker's own run: {x:.2f} s (submit, Redis, fork, collector poll, store)")

if __name__ == "__main__": main()
