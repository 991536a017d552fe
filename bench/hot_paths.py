"""The hot paths of issue 27, measured through Flask's test client (no network, one thread):

- the form (`GET /`) with three tinygrad checkouts registered (each a worktree of a ref of a local clone, made as
  `wino-dash tinygrad add --git CLONE --ref REF --name N` makes them): the form shows every checkout's identity;
- a finished sweep's JSON (`GET /s/<id>.json`, what its page polls each second while it runs) and its page: resnet50
  at batch 1, 23 distinct convs, each layer's comparison a copy of one real comparison of the seeds' shape (baseline,
  OLD, NEW on CPU; made once by this script, or --comparison FILE) stored through the app's own runner.

Prints min and median wall time over -n requests after a first one (shown apart: it fills what is kept). Run it with
the code under test first on PYTHONPATH to compare two commits on the same checkouts, e.g.
  PYTHONPATH=/tmp/before python bench/hot_paths.py --work /tmp/hot --clone ~/src/tinygrad --refs master,refs/pull/1/head,v0.10.0
"""
from __future__ import annotations
import argparse, json, os, statistics, sys, time

def timed(get, n:int) -> tuple[float, list[float]]:
  t = time.perf_counter(); get(); first = time.perf_counter() - t
  ts = []
  for _ in range(n):
    t = time.perf_counter(); get(); ts.append(time.perf_counter() - t)
  return first, ts

def report(what:str, first:float, ts:list[float]):
  print(f"{what}: first {first*1e3:.1f} ms, then min {min(ts)*1e3:.1f} ms, median {statistics.median(ts)*1e3:.1f} ms over {len(ts)}")

def checkouts(work:str, clone:str, refs:list[str]) -> str:
  """The envs home with one checkout per ref (made once, kept for the next run)."""
  from wino_core.envs import add_git, list_envs
  home = os.path.join(work, "form", "tinygrad")
  have = {e.name for e in list_envs(home)}
  for i, ref in enumerate(refs):
    if f"co-{i}" not in have: add_git(home, clone, ref, f"co-{i}")
  return home

def comparison(work:str, path:str|None) -> dict:
  """One real comparison of the seeds' shape, made here once (a minute of CPU) unless given."""
  path = path or os.path.join(work, "seeds-comparison.json")
  if not os.path.exists(path):
    from wino_core.compare import compare, parse_request
    cmp = compare(parse_request({"spec": {}, "modes": ["baseline", "old", "new"], "device": "CPU", "repeat": 3}))
    with open(path, "w") as f: json.dump(cmp, f)
  with open(path) as f: return json.load(f)

def main():
  ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  ap.add_argument("--work", required=True, help="a directory to keep the checkouts, stores and the comparison in")
  ap.add_argument("--clone", help="a local tinygrad clone holding --refs (the form bench is skipped without it)")
  ap.add_argument("--refs", default="master", help="three refs, comma-separated")
  ap.add_argument("--comparison", help="a comparison JSON to store as each layer's (default: made once into --work)")
  ap.add_argument("-n", type=int, default=20)
  a = ap.parse_args()
  from app import create_app
  from app.in_process_runner import InProcessRunner
  from app.store import Store
  import wino_core
  print(f"code: {os.path.dirname(os.path.dirname(os.path.abspath(wino_core.__file__)))}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores")
  if a.clone:
    home = checkouts(a.work, os.path.abspath(a.clone), a.refs.split(","))
    app = create_app({"DATABASE": os.path.join(a.work, "form", "db.sqlite3"), "TINYGRAD_ENVS": home})
    c = app.test_client()
    def form():
      r = c.get("/")
      assert r.status_code == 200 and all(f"co-{i}: checkout" in r.get_data(as_text=True) for i in range(3))  # each identity shown
    report("GET / with 3 checkouts", *timed(form, a.n))
  template = comparison(a.work, a.comparison)
  def stored(req, *args, **kw): return {**template, "spec": req.spec.to_dict()}
  db = os.path.join(a.work, f"sweep-{os.getpid()}.sqlite3")
  app = create_app({"DATABASE": db, "RUNNER": InProcessRunner(Store(db), run_comparison=stored), "MAX_SWEEP_LAYERS": 64})
  c = app.test_client()
  r = c.post("/api/sweeps", json={"model": "resnet50", "batch": 1, "modes": ["baseline", "old", "new"], "device": "CPU"}).get_json()
  end = time.monotonic() + 300
  while Store(db).get_sweep(r["id"])["state"] != "done":
    if time.monotonic() > end: sys.exit("the sweep did not finish")
    time.sleep(0.2)
  rows = c.get(r["status_url"]).get_json()["rows"]
  print(f"sweep of {len(rows)} distinct convs, each comparison {len(json.dumps(template)) / 1e3:.0f} KB of JSON")
  app = create_app({"DATABASE": db})  # a fresh app: nothing kept yet
  c = app.test_client()
  report("GET /s/<id>.json (the poll)", *timed(lambda: c.get(r["status_url"]), a.n))
  report("GET /s/<id> (the page)", *timed(lambda: c.get(f"/s/{r['id']}"), a.n))

if __name__ == "__main__": main()
