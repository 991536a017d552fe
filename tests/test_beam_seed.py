"""BEAM seeded: each kernel's search starts from the opts it gets without BEAM (its pins, else tinygrad's heuristics)
rather than from the bare kernel, and the start is itself a candidate. Tiny kernels, BEAM=1: a few candidates each."""
import sqlite3
from dataclasses import replace
import numpy as np
import pytest
from tinygrad import Tensor
from tinygrad.helpers import Context
from tinygrad.codegen.opt import Opt, OptOps
from tinygrad.uop.ops import Ops
from wino_core.compare import parse_request
from wino_core.search import Search, SearchCache, opts_json, parse_search, search_kernels
from wino_core.spec import SpecError
from wino_core.tinygrad_compat import pipeline

PIPE = pipeline()

def search(linear, seed:bool, cache=None):
  # cold, as in the child (CACHELEVEL=0): tinygrad's own disk cache of BEAM results would answer an unseeded search
  with Context(CACHELEVEL=0): return search_kernels(linear, "CPU", 1, cache, "test", parallel=0, budget_s=120, on_progress=lambda p: None, seed=seed)

def applied(compiled) -> list[list[dict]]:
  """each compiled kernel's opts, read off its program"""
  return [opts_json(c.src[0].src[0].arg.applied_opts) for c in PIPE.calls(compiled)]

def pinned(linear, pins):
  """the LINEAR with every kernel's opts pinned, as NEW pins its transforms' (KernelInfo.opts_to_apply)"""
  return linear.substitute({c: c.replace(src=(c.src[0].replace(arg=replace(c.src[0].arg, opts_to_apply=pins)), *c.src[1:]))
                            for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK})

def run_and_read(linear, var_vals, out:Tensor) -> np.ndarray:
  PIPE.run(PIPE.compile(linear), var_vals)
  return out.numpy()

@pytest.mark.parametrize("raw", ["beam=2+seed", {"beam": 2, "seed": True}, " BEAM=2 +seed "])
def test_parse_seeded(raw):
  s = parse_search(raw)
  assert s == Search(beam=2, seed=True) and s.label == "BEAM=2 seeded" and parse_search(s.value) == s == parse_search(s.to_dict())

@pytest.mark.parametrize("raw", [{"seed": True}, {"beam": 1, "seed": "yes"}, "noopt+seed", {"noopt": True, "seed": True}])
def test_a_seed_needs_a_beam(raw):
  with pytest.raises(SpecError) as e: parse_search(raw)
  assert "search" in e.value.errors

def test_unseeded_keeps_its_dict_and_the_seed_is_part_of_the_id():
  assert Search(beam=2).to_dict() == {"beam": 2} and Search(beam=2).value == "beam=2"
  base = {"spec": {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}, "modes": ["baseline"], "device": "CPU"}
  assert parse_request({**base, "search": {"beam": 2}}).id != parse_request({**base, "search": {"beam": 2, "seed": True}}).id

def test_a_pinned_kernel_is_searched_from_its_pins_and_the_cache_keeps_both_starts(tmp_path):
  a = Tensor.rand(4, 8).realize()
  out = (a * 2).sum(1)
  linear, var_vals = PIPE.schedule(out)
  pins = (Opt(OptOps.UPCAST, 0, 2),)
  linear = pinned(linear, pins)
  cache = SearchCache(str(tmp_path / "cache.sqlite3"))
  seeded, info, _ = search(linear, True, cache)
  assert info[0]["state"] == "searched" and info[0]["candidates"] > 0
  assert info[0]["opts"][:1] == opts_json(pins), "the search starts from the pins"
  assert applied(PIPE.compile(seeded))[0] == info[0]["opts"]
  np.testing.assert_allclose(run_and_read(seeded, var_vals, out), (a.numpy() * 2).sum(1), rtol=1e-6)
  # tinygrad's own BEAM applies a kernel's pins and does not search it
  plain, info2, _ = search(linear, False, cache)
  assert info2[0] | {"seconds": 0} == {"state": "searched", "candidates": 0, "opts": opts_json(pins), "seconds": 0}
  assert cache.count() == 2
  assert search(linear, True, cache)[1][0]["state"] == "reused"

def test_an_unpinned_kernel_is_searched_from_the_heuristics():
  a = Tensor.rand(4, 8).realize()
  out = (a * 3).sum(1)
  linear, var_vals = PIPE.schedule(out)
  heuristics = applied(PIPE.compile(linear))[0]
  assert heuristics, "tinygrad's heuristics give this kernel opts on the CPU"
  seeded, info, _ = search(linear, True)
  assert info[0]["opts"][:len(heuristics)] == heuristics
  np.testing.assert_allclose(run_and_read(seeded, var_vals, out), (a.numpy() * 3).sum(1), rtol=1e-6)
  # the same kernel searched again from the bare kernel, in the same process: searched, not tinygrad's program of the seeded search
  assert search(linear, False)[1][0]["candidates"] > 0

def test_the_start_is_a_candidate():
  # one element: no opt applies, so tinygrad's BEAM times nothing; seeded, the start itself is timed
  linear, _ = PIPE.schedule(Tensor([3.0]) + 1)
  assert search(linear, False)[1][0]["candidates"] == 0
  assert search(linear, True)[1][0]["candidates"] > 0

def test_the_cache_reads_rows_from_before_seeds(tmp_path):
  path = str(tmp_path / "cache.sqlite3")
  with sqlite3.connect(path) as db:
    db.execute("CREATE TABLE beam (ast TEXT, device TEXT, tinygrad TEXT, beam INTEGER, opts TEXT NOT NULL, "
               "seconds REAL, candidates INTEGER, created REAL, PRIMARY KEY (ast, device, tinygrad, beam))")
    db.execute("INSERT INTO beam VALUES ('k', 'CPU', '0.14.0', 2, '[]', 1.5, 7, 0)")
  cache = SearchCache(path)
  assert cache.get(("k", "CPU", "0.14.0", 2, 0)) == {"opts": [], "seconds": 1.5, "candidates": 7}
  assert cache.get(("k", "CPU", "0.14.0", 2, 1)) is None

def test_history_tells_seeded_from_unseeded(tmp_path):
  from app.store import Store
  store = Store(str(tmp_path / "db.sqlite3"))
  cmp = {"spec": {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "kernel": [3, 3], "groups": 1, "dtype": "float32"}, "device": "CPU",
         "tinygrad": "0.14.0", "runs": {}}
  for cid, search in (("a" * 16, {"beam": 2}), ("b" * 16, {"beam": 2, "seed": True})):
    store.put_comparison(cid, {"search": search}, cmp)
  assert [r["id"] for r in store.list_comparisons(search=parse_search("beam=2").to_dict())] == ["a" * 16]
  assert [r["id"] for r in store.list_comparisons(search=parse_search("beam=2+seed").to_dict())] == ["b" * 16]

def test_the_cli_wants_a_width_for_a_seed_and_the_reproducer_carries_it():
  import subprocess, sys
  from wino_core.reproducer import reproducer_script
  from wino_core.spec import parse_spec
  p = subprocess.run([sys.executable, "-m", "app.cli", "compare", "--size", "6", "--beam-seed"], capture_output=True, text=True, timeout=120)
  assert p.returncode != 0 and "needs a beam width" in p.stderr + p.stdout and "Traceback" not in p.stderr
  script = reproducer_script(parse_spec({"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}), ["baseline"], "CPU", search={"beam": 1, "seed": True})
  namespace = {}
  exec(compile(script.split("\nif __name__")[0], "reproducer", "exec"), namespace)
  assert namespace["SEARCH"] == {"beam": 1, "seed": True} and callable(namespace["seeded_beam"])

def test_a_seeded_run_through_the_child(tmp_path):
  from wino_core.run import RunSettings, run_mode
  from wino_core.spec import parse_spec
  spec = parse_spec({"batch": 1, "cin": 2, "cout": 2, "h": 4, "w": 4, "padding": 1})
  heur = run_mode(spec, "baseline", "CPU", repeat=1, warmup=0)
  r = run_mode(spec, "baseline", "CPU", repeat=1, warmup=0, search=Search(beam=1, seed=True),
               settings=RunSettings(search_cache=str(tmp_path / "cache.sqlite3"), parallel=0))
  assert heur.ok and r.ok and r.search == {"beam": 1, "seed": True} and r.max_rel_err < 1e-5
  k, h = r.kernels[0], heur.kernels[0]
  assert k["search"]["state"] == "searched" and k["opts"][:len(h["opts"])] == h["opts"]
