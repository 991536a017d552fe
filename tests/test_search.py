"""The search setting: BEAM as a phase of its own with a cache of our own, NOOPT, opts per kernel, and the budget."""
import json, subprocess, sys
import pytest
from app import create_app
from wino_core.compare import parse_request
from wino_core.run import RunSettings, run_mode
from wino_core.search import HEURISTICS, Search, SearchCache, parse_search
from wino_core.spec import SpecError, parse_spec
from tests.test_app import wait_done

TINY = {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}

@pytest.mark.parametrize("raw,want", [(None, HEURISTICS), ({}, HEURISTICS), ("none", HEURISTICS), ({"beam": 2}, Search(beam=2)),
                                      ("beam=3", Search(beam=3)), ({"noopt": True}, Search(noopt=True)), ("NOOPT", Search(noopt=True))])
def test_parse_search(raw, want): assert parse_search(raw) == want

@pytest.mark.parametrize("raw", [{"beam": 5}, {"beam": -1}, {"beam": "2"}, {"beam": True}, {"beam": 2, "noopt": True}, {"colour": 1}, "beam=x", [2]])
def test_bad_search_names_the_field(raw):
  with pytest.raises(SpecError) as e: parse_search(raw)
  assert "search" in e.value.errors

def test_search_is_part_of_the_id_and_heuristics_keep_the_old_one():
  base = {"spec": TINY, "modes": ["baseline", "old"], "device": "CPU"}
  ids = {json.dumps(s): parse_request({**base, **({"search": s} if s is not None else {})}).id for s in (None, {}, {"beam": 1}, {"beam": 2}, {"noopt": True})}
  assert ids["null"] == ids["{}"] and len(set(ids.values())) == 4
  assert "search" not in parse_request(base).to_dict(), "a comparison without a search setting keeps the id it had before"

def test_beam_runs_as_its_own_phase_and_a_second_run_reuses_it(tmp_path):
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "SEARCH_PARALLEL": 0})
  c = app.test_client()
  body = {"spec": TINY, "modes": ["baseline", "new"], "device": "CPU", "repeat": 2, "search": {"beam": 1}}
  first = c.post("/api/compare", json=body).get_json()
  assert wait_done(c, first["status_url"])["state"] == "done"
  runs = c.get(f"/c/{first['id']}.json").get_json()["runs"]
  base_k, new_k = runs["baseline"]["kernels"][0], runs["new"]["kernels"][0]
  assert runs["baseline"]["search"] == {"beam": 1} and runs["baseline"]["compile_split_s"]["search"] > 0
  assert base_k["search"]["state"] == "searched" and base_k["search"]["candidates"] > 0
  # NEW leaves a conv this small to the direct conv: the same kernel, so its search comes from the cache
  assert new_k["name"] == base_k["name"] and new_k["search"]["state"] == "reused" and new_k["opts"] == base_k["opts"]
  html = c.get(f"/c/{first['id']}").get_data(as_text=True)
  assert "BEAM searched now" in html and "BEAM search reused" in html and 'id="search">BEAM=1<' in html and "+ BEAM search" in html
  again = c.post("/api/compare", json={**body, "rerun": 1}).get_json()
  assert again["id"] != first["id"] and wait_done(c, again["status_url"])["state"] == "done"
  rerun = c.get(f"/c/{again['id']}.json").get_json()["runs"]
  assert all(k["search"]["state"] == "reused" for r in rerun.values() for k in r["kernels"]), "nothing searched again (not: it took less time)"
  assert rerun["baseline"]["kernels"][0]["opts"] == base_k["opts"]
  assert SearchCache(app.config["SEARCH_CACHE"]).count() == 1

def test_opts_per_kernel_and_noopt_shows_the_raw_kernels():
  spec = parse_spec(TINY)
  heur = run_mode(spec, "old", "CPU", repeat=1, warmup=0)
  raw = run_mode(spec, "old", "CPU", repeat=1, warmup=0, search=Search(noopt=True))
  assert heur.ok and raw.ok and raw.search == {"noopt": True}
  assert any(k["opts"] for k in heur.kernels) and all(k["opts"] == [] for k in raw.kernels)
  assert all({"op", "axis", "arg"} <= set(o) for k in heur.kernels for o in k["opts"])
  assert [k["name"] for k in heur.kernels] != [k["name"] for k in raw.kernels]

def test_a_search_over_its_budget_ends_the_run_with_a_message(tmp_path):
  r = run_mode(parse_spec(TINY), "baseline", "CPU", repeat=1, warmup=0, search=Search(beam=1),
               settings=RunSettings(search_budget_s=0.0, search_cache=str(tmp_path / "cache.sqlite3"), parallel=0))
  assert r.status == "timeout" and "ran out of its budget of 0 s at kernel 1 of 1" in r.message
  assert SearchCache(str(tmp_path / "cache.sqlite3")).count() == 0, "nothing half-searched is kept"

def test_cache_clear_from_the_cli(tmp_path):
  path = str(tmp_path / "cache.sqlite3")
  SearchCache(path).put(("ast", "CPU", "0.14.0", 1, 0), [{"op": "UPCAST", "axis": 0, "arg": 4}], 1.0, 10)
  p = subprocess.run([sys.executable, "-m", "app.cli", "cache", "clear", "--path", path], capture_output=True, text=True, timeout=60)
  assert p.returncode == 0 and "cleared 1 BEAM results" in p.stdout and SearchCache(path).count() == 0

def test_history_filters_on_the_search_and_the_reproducer_carries_it(tmp_path):
  from app.store import Store
  from wino_core.reproducer import reproducer_script
  store = Store(str(tmp_path / "db.sqlite3"))
  cmp = {"spec": {**TINY, "kernel": [3, 3], "groups": 1, "dtype": "float32"}, "device": "CPU", "tinygrad": "0.14.0", "runs": {}}
  for cid, search in (("a" * 16, None), ("b" * 16, {"beam": 2}), ("c" * 16, {"noopt": True})):
    store.put_comparison(cid, {**({"search": search} if search else {})}, cmp)
  assert [r["id"] for r in store.list_comparisons(search={})] == ["a" * 16]
  assert [r["id"] for r in store.list_comparisons(search={"beam": 2})] == ["b" * 16]
  assert [r["id"] for r in store.list_comparisons(search={"noopt": True})] == ["c" * 16]
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True})
  html = app.test_client().get("/history?search=beam%3D2").get_data(as_text=True)
  assert "b" * 16 in html and "a" * 16 not in html and "BEAM=2" in html
  assert app.test_client().get("/history?search=beam%3D9").status_code == 400
  script = reproducer_script(parse_spec(TINY), ["baseline"], "CPU", search={"noopt": True})
  p = subprocess.run([sys.executable, "-c", script, "--mode", "baseline"], capture_output=True, text=True, timeout=120)
  assert "SEARCH = {'noopt': True}" in script and "opts: []" in p.stdout, p.stderr[-500:]
