"""One request, every path: the request and one RunSettings are what travel to compare() and run_mode(), so a setting
given to the server, the sweep or the CLI reaches each mode's child (the queue worker's path is in tests/test_rq.py).
A search budget of 0 s is the probe: a BEAM run that gets it ends at once with a message naming the budget."""
import json, subprocess, sys, time
from app import create_app
from wino_core.run import RunSettings
from wino_core.search import Search
from wino_core.sweep_request import parse_sweep, run_sweep

TINY = {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}
OVER_BUDGET = "ran out of its budget of 0 s"

def test_the_in_process_runner_hands_its_settings_to_every_mode(tmp_path):
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "SEARCH_BUDGET_S": 0, "SEARCH_PARALLEL": 0})
  c = app.test_client()
  r = c.post("/api/compare", json={"spec": TINY, "modes": ["baseline", "old"], "repeat": 1, "search": {"beam": 1}}).get_json()
  while c.get(r["status_url"]).get_json()["state"] not in ("done", "failed"): time.sleep(0.1)
  runs = c.get(f"/c/{r['id']}.json").get_json()["runs"]
  assert all(x["status"] == "timeout" and OVER_BUDGET in x["message"] for x in runs.values()), runs

def test_a_sweep_hands_its_settings_to_every_layer():
  req = parse_sweep({"model": "custom", "layers": "a 2 2 3 1 1 6", "modes": ["baseline"], "repeat": 1, "search": {"beam": 1}})
  phases = []
  run_sweep(req, RunSettings(search_budget_s=0, parallel=0), lambda i, layer, mode, phase: phases.append(phase))
  assert phases[-1] == "timeout", phases

def test_the_cli_hands_its_flags_to_every_mode():
  p = subprocess.run([sys.executable, "-m", "app.cli", "compare", "--cin", "2", "--cout", "2", "--size", "6", "--repeat", "1",
                      "--modes", "baseline", "--beam", "1", "--search-budget", "0", "--json"], capture_output=True, text=True, timeout=120)
  assert p.returncode == 0, p.stderr
  r = json.loads(p.stdout)["runs"]["baseline"]
  assert r["status"] == "timeout" and OVER_BUDGET in r["message"]
  p = subprocess.run([sys.executable, "-m", "app.cli", "sweep", "custom", "--layers", "a 2 2 3 1 1 6", "--modes", "baseline",
                      "--repeat", "1", "--beam", "1", "--search-budget", "0"], capture_output=True, text=True, timeout=120)
  assert p.returncode == 0 and "baseline: timeout" in p.stderr, p.stderr

def test_a_jobs_limit_covers_each_modes_search_budget():
  s = RunSettings(timeout_s=10, search_budget_s=100)
  assert s.mode_limit_s(Search(beam=2)) == 110 and s.mode_limit_s(Search()) == 10
  assert s.job_limit_s(("baseline", "old", "new"), Search(beam=2)) >= 3 * 110
  assert RunSettings.from_dict(s.to_dict()) == s
