"""The verdict: error classes per dtype and method, and the noise test on timed samples (synthetic, so the answer is known)."""
import math
import numpy as np
import pytest
from wino_core import verdict as V

SPEC = {"batch": 1, "cin": 64, "cout": 64, "h": 16, "w": 16, "kernel": [3, 3], "groups": 1, "dtype": "float32"}

def run(err=None, samples=None, fired=None, status="ok"):
  r = {"status": status, "max_rel_err": err, "winograd": None if fired is None else {"fired": fired}}
  if samples is not None:
    r["kernel_time_s"] = {"min": min(samples), "median": float(np.median(samples)), "max": max(samples), "samples": list(samples)}
  return r

def noisy(median:float, spread:float, n:int=10, seed:int=0) -> list[float]:
  return list(median + spread * np.random.default_rng(seed).uniform(-1, 1, n))

def test_faster_when_the_samples_are_apart():
  a, b = noisy(1.0e-3, 0.02e-3, seed=1), noisy(1.5e-3, 0.02e-3, seed=2)
  s = V.speed_pair(run(samples=a), run(samples=b))
  assert s["verdict"] == "faster" and s["p"] < 0.01 and s["interval"][1] < 1 and s["ratio"] == pytest.approx(2 / 3, rel=0.05)
  assert V.speed_pair(run(samples=b), run(samples=a))["verdict"] == "slower"

def test_within_noise_when_the_ranges_overlap():
  # the case: 2.105 vs 2.270 ms medians whose runs overlap must not read as a win
  rng = np.random.default_rng(3)
  a, b = list(2.105e-3 + rng.normal(0, 0.3e-3, 10)), list(2.270e-3 + rng.normal(0, 0.3e-3, 10))
  s = V.speed_pair(run(samples=a), run(samples=b))
  assert s["verdict"] == "within noise" and s["interval"][0] <= 1 <= s["interval"][1]
  assert V.speed_pair(run(samples=a), run(samples=a))["verdict"] == "within noise"

def test_mann_whitney_matches_known_values():
  # complete separation of 10 vs 10: U = 0, exact two-sided p = 1.1e-5, normal approximation 1.8e-4
  assert V.mann_whitney_p(list(range(10)), list(range(10, 20))) == pytest.approx(1.8e-4, rel=0.1)
  assert V.mann_whitney_p([1.0] * 5, [1.0] * 5) == 1.0  # all tied: no evidence either way

def test_old_rows_without_samples_use_the_ranges():
  a = {"status": "ok", "kernel_time_s": {"min": 1.0, "median": 1.1, "max": 1.2}}
  b = {"status": "ok", "kernel_time_s": {"min": 1.15, "median": 1.3, "max": 1.4}}
  c = {"status": "ok", "kernel_time_s": {"min": 2.0, "median": 2.1, "max": 2.2}}
  assert V.speed_pair(a, b)["verdict"] == "within noise" and V.speed_pair(a, b)["p"] is None
  assert V.speed_pair(a, c)["verdict"] == "faster" and "no samples" in V.speed_pair(a, c)["method"]

@pytest.mark.parametrize("dtype,winograd,err,want", [
  ("float32", False, 1e-6, "correct"), ("float32", False, 3e-5, "suspicious"), ("float32", False, 1e-2, "wrong"),
  ("float32", True, 2e-5, "correct"),   # NEW's measured float32 error on the bench shapes
  ("float16", True, 1.5e-2, "correct"), # NEW and OLD's measured float16 error
  ("float16", False, 1.5e-2, "suspicious"),  # the same error from a direct conv is not expected
  ("float16", True, 0.5, "wrong"), ("float32", True, math.inf, "wrong"), ("float32", True, math.nan, "wrong"),
])
def test_error_verdict_per_dtype_and_method(dtype, winograd, err, want):
  e = V.error_verdict({**SPEC, "dtype": dtype}, "new", run(err=err, fired=winograd))
  assert e["verdict"] == want, e
  assert e["tolerance"] < e["limit"] <= V.NEVER_OK and dtype in e["rule"]

def test_tolerance_grows_with_the_reduction():
  small, big = V.expected_error({**SPEC, "cin": 4}, False), V.expected_error({**SPEC, "cin": 512}, False)
  assert big / small == pytest.approx(math.sqrt(512 / 4), rel=0.2)

def test_whole_verdict_marks_fastest_and_pairs():
  cmp = {"spec": SPEC, "runs": {
    "baseline": run(err=1e-6, samples=noisy(3e-3, 0.05e-3, seed=4)),
    "old": run(err=3e-6, samples=noisy(2e-3, 0.05e-3, seed=5), fired=True),
    "new": run(err=2e-6, samples=noisy(1e-3, 0.05e-3, seed=6), fired=True)}}
  v = V.verdict(cmp)
  assert v["fastest"] == "new" and v["fastest_is_clear"] and v["worst"] == "correct"
  assert [(s["a"], s["b"], s["verdict"]) for s in v["speedups"]] == [("new", "old", "faster"), ("new", "baseline", "faster"), ("old", "baseline", "faster")]
  assert v["errors"]["new"]["vs_baseline"] == pytest.approx(2.0)
  line = V.summary_line(v)
  assert line.startswith("verdict: fastest: new;") and "new/old 0.50× (faster)" in line and "new correct" in line

def test_a_failed_mode_has_no_verdict_and_is_not_timed():
  cmp = {"spec": SPEC, "runs": {"baseline": run(err=1e-6, samples=noisy(3e-3, 1e-5)), "new": run(status="error")}}
  v = V.verdict(cmp)
  assert v["errors"]["new"]["verdict"] == "none" and v["speedups"] == [] and v["fastest"] == "baseline" and not v["fastest_is_clear"]

def test_tolerance_follows_the_precision_the_run_used():
  # float16 storage, Winograd: a run that kept float32 intermediates (NEW's CPU layout) is held to about u(float16); one
  # that stored half ones (OLD, NEW's GPU layout) to about 33 u(float16)
  half = {**SPEC, "dtype": "float16"}
  f32_mids = {"input": ["float16"], "intermediate": ["float32"], "output": ["float16"], "emulated": []}
  half_mids = {**f32_mids, "intermediate": ["float16"]}
  tight, loose = (V.error_verdict(half, "new", {**run(err=1.5e-2, fired=True), "precision": p}) for p in (f32_mids, half_mids))
  assert loose["verdict"] == "correct" and tight["verdict"] != "correct" and tight["tolerance"] * 10 < loose["tolerance"]
  assert "float32 intermediates" in tight["rule"] and "float16 intermediates" in loose["rule"]
  assert V.error_verdict(half, "new", {**run(err=4e-4, fired=True), "precision": f32_mids})["verdict"] == "correct"
  # stored before the precision was kept: the spec's dtype everywhere, as before
  assert V.error_verdict(half, "new", run(err=1.5e-2, fired=True))["tolerance"] == pytest.approx(loose["tolerance"])

def test_bfloat16_unit_roundoff():
  bf16 = {**SPEC, "dtype": "bfloat16"}
  assert V.expected_error(bf16, False) == pytest.approx(2**-8 + 2**-24 * math.sqrt(64 * 9))
  assert V.error_verdict(bf16, "baseline", run(err=3e-3))["verdict"] == "correct"
  assert V.error_verdict({**SPEC, "dtype": "float16"}, "baseline", run(err=3e-3))["verdict"] != "correct"
  e = V.error_verdict(bf16, "old", run(err=0.09, fired=True))  # bf16 Winograd on bf16 intermediates: up to the 10% wall
  assert e["verdict"] == "correct" and e["tolerance"] <= e["limit"] == V.NEVER_OK

def test_a_fallback_is_never_crowned_and_its_pairs_say_so():
  # NEW fell back to the direct conv (cost model) and timed fastest: its ratios time baseline's kernel, not NEW
  cmp = {"spec": SPEC, "runs": {
    "baseline": {**run(err=1e-6, samples=noisy(1.05e-3, 0.01e-3, seed=7)), "mode": "baseline"},
    "old": {**run(err=3e-6, samples=noisy(1.7e-3, 0.01e-3, seed=8), fired=True), "mode": "old"},
    "new": {**run(err=1e-6, samples=noisy(1.0e-3, 0.01e-3, seed=9), fired=False), "mode": "new"}}}
  v = V.verdict(cmp)
  assert v["fastest"] == "baseline" and v["borrowed"] == {"new": "baseline"} and v["candidates"] == ["baseline", "old"]
  labelled = {(s["a"], s["b"]): s for s in v["speedups"]}
  assert labelled[("new", "old")]["verdict"] == labelled[("new", "baseline")]["verdict"] == "n/a"
  assert labelled[("new", "old")]["label"] == "NEW fell back: baseline's kernel"
  assert labelled[("old", "baseline")]["verdict"] == "slower" and "label" not in labelled[("old", "baseline")]
  line = V.summary_line(v)
  assert "fastest: new" not in line and line.startswith("verdict: fastest: baseline;") and "new/old n/a (NEW fell back: baseline's kernel)" in line
  o = V.outcome(cmp, {})
  assert o["new"] == "fell back" and o["fastest"] == "baseline" and o["new_old"]["verdict"] == "n/a" and o["new_old"]["label"]

def test_two_fallbacks_crown_neither():
  # a 5x5 conv: OLD and NEW both ran baseline's kernel; OLD's run happened to time fastest
  spec = {**SPEC, "kernel": [5, 5]}
  cmp = {"spec": spec, "runs": {
    "baseline": run(err=1e-6, samples=noisy(1.1e-3, 0.01e-3, seed=10)),
    "old": run(err=1e-6, samples=noisy(1.0e-3, 0.01e-3, seed=11), fired=False),
    "new": run(err=1e-6, samples=noisy(1.05e-3, 0.01e-3, seed=12), fired=False)}}
  v = V.verdict(cmp)
  assert v["fastest"] == "baseline" and not v["fastest_is_clear"] and v["borrowed"] == {"old": "baseline", "new": "baseline"}
  assert all(s["verdict"] == "n/a" for s in v["speedups"])
  assert next(s for s in v["speedups"] if (s["a"], s["b"]) == ("new", "old"))["label"] == "NEW and OLD fell back: baseline's kernels"
  assert V.summary_line(v).startswith("verdict: fastest: baseline; old, new ran baseline's kernel")
# ***** across processes *****

def procs_run(groups, rounds=None, sources=("k0",), device="CPU", **extra):
  flat = [t for g in groups for t in g]
  return {"status": "ok", "device": device, "kernels": [{"source": s} for s in sources], **extra,
          "kernel_time_s": {"min": min(flat), "median": float(np.median(flat)), "max": max(flat), "samples": flat,
                            "processes": [list(g) for g in groups], "rounds": rounds or list(range(len(groups)))}}

def processes(rng, median:float, between:float, within:float=0.02, n:int=5, runs:int=10) -> list[list[float]]:
  """n processes of `runs` runs: each process off by its own factor (what else ran, where its memory landed)."""
  return [list(median * math.exp(rng.normal(0, between)) * np.exp(rng.normal(0, within, runs))) for _ in range(n)]

def test_t_distribution_matches_tables():
  assert V.t_quantile(0.975, 1) == pytest.approx(12.706, abs=1e-3) and V.t_quantile(0.975, 4) == pytest.approx(2.776, abs=1e-3)
  assert V.t_quantile(0.995, 4) == pytest.approx(4.604, abs=1e-3) and V.t_quantile(0.975, 1e6) == pytest.approx(1.960, abs=1e-3)
  assert V.t_two_sided_p(2.776, 4) == pytest.approx(0.05, abs=1e-4) and V.t_two_sided_p(0.0, 3) == pytest.approx(1.0)

def test_identical_kernels_in_scattered_processes_read_within_noise():
  # the A/A: one kernel in processes that each run 0-20% off; the runs inside one process agree closely, so
  # a test on one process per side (the old method) calls most such pairs a win; the process-level one almost never
  rng = np.random.default_rng(7)
  trials = [(processes(rng, 1e-3, 0.1), processes(rng, 1e-3, 0.1)) for _ in range(200)]
  new = sum(V.speed_pair(procs_run(a), procs_run(b))["verdict"] != "within noise" for a, b in trials) / len(trials)
  one = sum(V.speed_pair(procs_run(a[:1]), procs_run(b[:1]))["verdict"] != "within noise" for a, b in trials) / len(trials)
  assert new <= 0.03 and one >= 0.5, (new, one)

def test_a_real_difference_across_processes_is_found():
  rng = np.random.default_rng(8)
  a, b = processes(rng, 0.6e-3, 0.05), processes(rng, 1e-3, 0.05)
  s = V.speed_pair(procs_run(a), procs_run(b))
  assert s["verdict"] == "faster" and s["method"] == "processes" and s["processes"] == [5, 5] and s["paired"]
  assert s["interval"][0] < s["ratio"] < s["interval"][1] < 1 and s["ratio"] == pytest.approx(0.6, rel=0.1) and s["confidence"] == 0.99

def test_pairs_by_round_within_a_comparison_and_not_across_two():
  # a drift that both modes share round by round cancels when they are paired; two comparisons share no rounds
  drift = [1.0, 1.3, 0.8, 1.5, 1.1]
  a = [[0.9e-3 * d] * 5 for d in drift]
  b = [[1.0e-3 * d * f] * 5 for d, f in zip(drift, [1.0, 1.01, 0.99, 1.0, 1.01])]
  assert V.speed_pair(procs_run(a), procs_run(b))["verdict"] == "faster"
  s = V.speed_pair(procs_run(a, comparison="B"), procs_run(b, comparison="A"), paired=False)
  assert s["verdict"] == "within noise" and not s["paired"]

def test_one_process_per_mode_falls_back_and_says_so():
  rng = np.random.default_rng(9)
  s = V.speed_pair(procs_run(processes(rng, 1e-3, 0.1, n=1)), procs_run(processes(rng, 1e-3, 0.1, n=1)))
  assert s["method"].startswith("one process per mode") and s["confidence"] == 0.95
  old = run(samples=noisy(1e-3, 1e-5))  # stored before processes were kept
  assert V.speed_pair(old, old)["method"].startswith("one process per mode")
  v = V.verdict({"spec": SPEC, "runs": {"old": run(err=1e-6, samples=noisy(1e-3, 1e-5)), "new": run(err=1e-6, samples=noisy(2e-3, 1e-5))}})
  assert v["method"] == V.LEGACY_METHOD and v["machine"]["noisy"] is None

def test_identical_kernels_are_the_noise_reference():
  # two comparisons of one conv (compare these two): baseline's kernel did not change, yet B ran 30% faster than A
  rng = np.random.default_rng(10)
  base_a, base_b = processes(rng, 1e-3, 0.02), processes(rng, 0.7e-3, 0.02)
  new_a, new_b = processes(rng, 0.5e-3, 0.02), processes(rng, 0.37e-3, 0.02)  # NEW changed, and B's machine was faster
  runs = {"baseline@A": procs_run(base_a, sources=("conv",), comparison="A"), "new@A": procs_run(new_a, sources=("wino v1",), comparison="A"),
          "baseline@B": procs_run(base_b, sources=("conv",), comparison="B"), "new@B": procs_run(new_b, sources=("wino v2",), comparison="B")}
  v = V.verdict({"spec": SPEC, "runs": runs, "verdict_pairs": [("baseline@B", "baseline@A"), ("new@B", "new@A")]})
  same, new = v["speedups"]
  assert same["identical"] and same["verdict"] == "same kernels" and not new["identical"]
  assert v["reference"][0] <= same["interval"][0] and v["reference"][1] == 1.0
  assert new["interval"][1] < 1 and new["verdict"] == "within noise" and new["within_reference"]  # its 0.74x is B's machine
  assert "(within noise)" in V.summary_line(v) and "(same kernels)" in V.summary_line(v)

def test_the_same_kernels_never_make_a_fastest_mode():
  rng = np.random.default_rng(11)
  runs = {"baseline": {**procs_run(processes(rng, 1e-3, 0.01), sources=("conv",)), "max_rel_err": 1e-7},
          "new": {**procs_run(processes(rng, 0.8e-3, 0.01), sources=("conv",)), "max_rel_err": 1e-7}}
  v = V.verdict({"spec": SPEC, "runs": runs})
  assert v["speedups"][0]["verdict"] == "same kernels" and not v["fastest_is_clear"]

def test_a_busy_machine_is_a_noisy_run():
  quiet = {"cpus": 2, "other_cpu": 0.1, "loadavg": [0.3, 0.4], "wall_s": 0.3}
  busy = {**quiet, "other_cpu": 1.6}
  runs = lambda rec: {"new": {**procs_run([[1e-3] * 3] * 2), "max_rel_err": 1e-7, "machine": [quiet, rec]}}
  assert V.verdict({"spec": SPEC, "runs": runs(quiet)})["machine"]["noisy"] is False
  v = V.verdict({"spec": SPEC, "runs": runs(busy)})
  assert v["machine"]["noisy"] and v["machine"]["other_cpu"] == pytest.approx(1.6) and "noisy run" in V.summary_line(v)
  assert V.verdict({"spec": SPEC, "runs": runs({**quiet, "loadavg": [None, 3.5]})})["machine"]["noisy"]
