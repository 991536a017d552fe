"""The verdict on a comparison: is each mode's result correct, which mode is fastest, and is each speed difference
real or run-to-run noise. Plain functions over the comparison's JSON, so the page, the API and the CLI say the same.

Correctness. Every mode is checked against a float64 reference; the error is the max abs error over the output's
largest magnitude. What to expect follows the precision the run actually used (RunResult.precision: the dtypes of
its input, of what its kernels wrote in between, of its output) and how it computed:
  expected = u(output) + G * (u(intermediates) + u(float32) * sqrt(K))
    u       unit roundoff: 2^-24 float32, 2^-11 float16, 2^-8 bfloat16; of the coarsest dtype of that kind of buffer
            (no intermediates: 0). Inputs are rounded to the dtype before the reference sees them, so they add nothing.
    K       terms summed per output, (cin/groups)*kh*kw; sums accumulate in float32, so rounding grows like sqrt(K)
    G       1 for a direct conv; 32 for Winograd F(4x4,3x3), whose transforms (entries up to 8, tiles of 36 points)
            amplify rounding by one to two orders of magnitude (measured: NEW/OLD float16 1.2-1.8e-2 on the bench shapes)
  So a Winograd that keeps float32 intermediates under float16 storage (NEW's CPU layout) is held to about u(float16),
  one that stores half (OLD, NEW's GPU layout) to about 33 u(float16). A run stored without its precision is taken
  to have kept everything in the spec's dtype (intermediates only for Winograd).
  correct    error <= 4 * expected
  suspicious error <= 64 * expected (and < 10% of the output's scale)
  wrong      beyond that, or not finite, or over 10% of the output's scale (never an acceptable rounding error; bfloat16
             Winograd with bfloat16 intermediates, expected ~0.13, is correct only below it)
Each mode's error is also shown as a multiple of baseline's error in the same run (same dtype, same inputs).

Fallbacks. An OLD or NEW that did not fire ran the direct conv, baseline's kernel (borrowed_from): it is never a
candidate for fastest, and a pair with such a side reads "n/a" with a label ("NEW fell back: baseline's kernel") in
place of faster/slower: its ratio times baseline's kernel, not the mode.

Speed. Each mode is timed in several fresh processes, run in interleaved rounds (baseline, OLD, NEW, then NEW, OLD,
baseline, ...), and every timed run is kept, grouped per process (kernel_time_s.processes). Two processes of one kernel
differ by more than the runs inside one process do (what else runs on the machine, memory placement, clocks), so the
unit of evidence is the process: each process's median run, and for a pair of modes A vs B the log ratio of their
process medians round by round (a paired t-test; unpaired Welch across two comparisons, which share no rounds). The
spread of those ratios holds the scatter between processes and within each. A is "faster"/"slower" only when the 99%
interval of the ratio (Student's t on the log ratios; 99% as a comparison has three pairs) excludes 1; otherwise the
difference is "within noise". Pairs whose kernels are identical (same sources) time the same code: they read "same
kernels" and are the noise reference; any other pair is faster or slower only beyond what they show.
Comparisons stored with one process per mode fall back to that process's runs (Mann-Whitney U + bootstrap of the ratio
of medians, which sees no scatter between processes: labelled so), and those without samples to the min-max ranges.
"""
from __future__ import annotations
import functools, math
import numpy as np

UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}
WINOGRAD_GROWTH = 32.0
CORRECT_X, SUSPICIOUS_X, NEVER_OK = 4.0, 64.0, 0.1
ALPHA, BOOTSTRAP_N, CONFIDENCE = 0.05, 2000, 0.95
# three pairs per comparison, each at 99%: an A/A comparison reads "within noise" on every pair about 97% of the time
PROCESS_CONFIDENCE = 0.99
METHOD = ("each mode timed in several fresh processes, interleaved in rounds; the median run of each process, and a 99% "
          "Student-t interval of the ratio of process medians (paired by round; Welch across two comparisons) that must "
          "exclude 1; pairs with identical kernels are the noise reference")
LEGACY_METHOD = ("one process per mode: Mann-Whitney U test (two-sided, p < 0.05) on the per-run totals of that process and a "
                 "95% bootstrap interval of the ratio of medians; it sees no scatter between processes")
PAIRS = (("new", "old"), ("new", "baseline"), ("old", "baseline"))

# ***** correctness *****

def run_precision(spec:dict, run:dict, winograd:bool) -> dict:
  """The dtypes the run kept its output and intermediates in: its own record, else (stored before it was kept) the
  spec's dtype everywhere, intermediates only for a Winograd."""
  p = run.get("precision") or {}
  if p.get("output"): return {"output": p["output"], "intermediate": p.get("intermediate") or [], "emulated": p.get("emulated") or []}
  return {"output": [spec["dtype"]], "intermediate": [spec["dtype"]] if winograd else [], "emulated": []}

def _u(dtypes:list[str]) -> float: return max((UNIT_ROUNDOFF.get(d, 0.0) for d in dtypes), default=0.0)

def expected_error(spec:dict, winograd:bool, precision:dict|None=None) -> float:
  kh, kw = spec["kernel"]
  k_terms = (spec["cin"] // spec["groups"]) * kh * kw
  p = precision or run_precision(spec, {}, winograd)
  return _u(p["output"]) + (WINOGRAD_GROWTH if winograd else 1.0) * (_u(p["intermediate"]) + UNIT_ROUNDOFF["float32"] * math.sqrt(k_terms))

def ran_winograd(mode:str, run:dict) -> bool: return bool((run.get("winograd") or {}).get("fired"))  # baseline's fires under a flag

def _precision_text(spec:dict, p:dict, wino:bool) -> str:
  emulated = f" (emulated: {', '.join(p['emulated'])} in memory, float32 arithmetic)" if p["emulated"] else ""
  mids = f", {'/'.join(p['intermediate'])} intermediates" if p["intermediate"] else ""
  return f"{spec['dtype']}{emulated}, {'Winograd' if wino else 'direct'}{mids}"

def error_verdict(spec:dict, mode:str, run:dict, baseline_err:float|None=None) -> dict:
  """{'verdict': correct|suspicious|wrong|none, 'error', 'tolerance' (the correct bound), 'limit' (the wrong bound),
  'vs_baseline' (this error over baseline's), 'rule'}."""
  err = run.get("max_rel_err")
  if run.get("status") != "ok" or err is None: return {"verdict": "none", "error": None, "tolerance": None, "limit": None, "vs_baseline": None, "rule": ""}
  wino = ran_winograd(mode, run)
  p = run_precision(spec, run, wino)
  exp = expected_error(spec, wino, p)
  limit = min(SUSPICIOUS_X * exp, NEVER_OK)
  tol = min(CORRECT_X * exp, limit)
  verdict = "wrong" if not math.isfinite(err) or err > limit else "correct" if err <= tol else "suspicious"
  rule = f"{_precision_text(spec, p, wino)}: correct ≤ {tol:.1e}, wrong > {limit:.1e}"
  vs = err / baseline_err if baseline_err and math.isfinite(err) and run.get("mode", mode) != "baseline" else None
  return {"verdict": verdict, "error": err, "tolerance": tol, "limit": limit, "vs_baseline": vs, "rule": rule}

# ***** speed across processes *****

def process_medians(run:dict) -> dict[int, float] | None:
  """{round: that process's median run} of a mode timed in several processes, or None (stored before they were)."""
  kt = run.get("kernel_time_s") or {}
  if not (procs:=kt.get("processes")): return None
  rounds = kt.get("rounds") or list(range(len(procs)))
  return {r: float(np.median(p)) for r, p in zip(rounds, procs) if p}

def process_t_interval(ga:dict[int, float], gb:dict[int, float], paired:bool) -> dict:
  """The ratio A/B of process medians with its 95% Student-t interval and two-sided p, on log times: paired round by
  round when both ran in the same rounds (>= 2 shared), else Welch's unequal-variance form."""
  common = sorted(set(ga) & set(gb)) if paired else []
  if len(common) >= 2:
    d = np.log([ga[r] for r in common]) - np.log([gb[r] for r in common])
    mean, se, df = float(d.mean()), float(d.std(ddof=1)) / math.sqrt(len(d)), len(d) - 1
  else:
    la, lb = np.log(list(ga.values())), np.log(list(gb.values()))
    va, vb = la.var(ddof=1) / len(la), lb.var(ddof=1) / len(lb)
    mean, se = float(la.mean() - lb.mean()), math.sqrt(va + vb)
    df = (va + vb)**2 / (va**2 / (len(la) - 1) + vb**2 / (len(lb) - 1)) if va + vb > 0 else len(la) + len(lb) - 2
  if se == 0: p, half = (1.0 if mean == 0 else 0.0), 0.0
  else: p, half = t_two_sided_p(mean / se, df), t_quantile(1 - (1 - PROCESS_CONFIDENCE) / 2, df) * se
  return {"ratio": math.exp(mean), "p": p, "interval": [math.exp(mean - half), math.exp(mean + half)], "confidence": PROCESS_CONFIDENCE,
          "processes": [len(ga), len(gb)], "paired": len(common) >= 2}

def t_two_sided_p(t:float, df:float) -> float:
  """P(|T| >= |t|) for Student's t with df degrees of freedom: I_x(df/2, 1/2) at x = df/(df+t^2)."""
  return _betainc(df / 2, 0.5, df / (df + t * t))

@functools.lru_cache(maxsize=256)
def t_quantile(q:float, df:float) -> float:
  """The q-quantile (q > 0.5) of Student's t, by bisection on the two-sided p."""
  lo, hi = 0.0, 1e6
  for _ in range(80):
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if t_two_sided_p(mid, df) > 2 * (1 - q) else (lo, mid)
  return (lo + hi) / 2

def _betainc(a:float, b:float, x:float) -> float:
  """The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz's method)."""
  if x <= 0: return 0.0
  if x >= 1: return 1.0
  if x > (a + 1) / (a + b + 2): return 1.0 - _betainc(b, a, 1.0 - x)
  front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)) / a
  tiny, f, c, d = 1e-300, 1.0, 1.0, 0.0
  for i in range(400):
    m = i // 2
    if i == 0: num = 1.0
    elif i % 2 == 0: num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
    else: num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
    d = 1.0 + num * d
    d = 1.0 / (d if abs(d) > tiny else tiny)
    c = 1.0 + num / c
    c = c if abs(c) > tiny else tiny
    f *= c * d
    if abs(1.0 - c * d) < 1e-12: break
  return front * (f - 1.0)

def same_kernels(a_run:dict, b_run:dict) -> bool:
  """Both runs launched the same kernels (same sources, in order) on the same device: timing them is an A/A test."""
  ka, kb = a_run.get("kernels") or [], b_run.get("kernels") or []
  return bool(ka) and a_run.get("device") == b_run.get("device") and [k.get("source") for k in ka] == [k.get("source") for k in kb]

NOISY_SHARE = 0.25  # other processes using over a quarter of the machine's cores while a mode was timed: a noisy run
def machine_load(runs:dict) -> dict:
  """What the machine was doing while the modes were timed, from each process's record (run['machine']):
  {'noisy' (None: not recorded), 'other_cpu' (the most cores other processes kept busy during one process), 'loadavg'
  (the highest 1-minute load average seen), 'cpus', 'processes', 'rule'}."""
  recs = [m for r in runs.values() for m in (r.get("machine") or []) if r.get("status") == "ok" and "failed" not in m]
  if not recs: return {"noisy": None, "other_cpu": None, "loadavg": None, "cpus": None, "processes": 0, "rule": ""}
  cpus = max(m.get("cpus") or 1 for m in recs)
  other = max(m.get("other_cpu") or 0.0 for m in recs)  # None where /proc is missing
  load = max((v for m in recs for v in (m.get("loadavg") or []) if v is not None), default=0.0)
  rule = f"noisy when other processes kept over {NOISY_SHARE:.0%} of the {cpus} cores busy, or the load average passed {cpus}"
  return {"noisy": other > NOISY_SHARE * cpus or load > cpus, "other_cpu": other, "loadavg": load, "cpus": cpus,
          "processes": len(recs), "rule": rule}

# ***** speed *****

def run_samples(run:dict) -> list[float] | None:
  """The per-run totals of a mode's kernel times, or None when the run stored only min/median/max."""
  kt = run.get("kernel_time_s") or {}
  return list(kt["samples"]) if kt.get("samples") else None

def mann_whitney_p(a:list[float], b:list[float]) -> float:
  """Two-sided p-value of the Mann-Whitney U test, normal approximation with tie correction."""
  n1, n2 = len(a), len(b)
  both = np.concatenate([np.asarray(a, float), np.asarray(b, float)])
  order = both.argsort(kind="mergesort")
  ranks = np.empty(len(both))
  sorted_vals = both[order]
  i = 0
  while i < len(both):  # average ranks over ties
    j = i
    while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]: j += 1
    ranks[order[i:j + 1]] = (i + j) / 2 + 1
    i = j + 1
  u1 = ranks[:n1].sum() - n1 * (n1 + 1) / 2
  _, counts = np.unique(both, return_counts=True)
  n = n1 + n2
  var = n1 * n2 / 12 * ((n + 1) - (counts**3 - counts).sum() / (n * (n - 1)))
  if var <= 0: return 1.0
  z = (abs(u1 - n1 * n2 / 2) - 0.5) / math.sqrt(var)  # continuity correction
  return min(1.0, math.erfc(max(z, 0) / math.sqrt(2)))

def bootstrap_ratio_interval(a:list[float], b:list[float], seed:int=0) -> tuple[float, float]:
  """95% interval of median(a)/median(b) from resampling each side with replacement."""
  rng = np.random.default_rng(seed)
  ra = np.median(rng.choice(np.asarray(a, float), (BOOTSTRAP_N, len(a))), axis=1)
  rb = np.median(rng.choice(np.asarray(b, float), (BOOTSTRAP_N, len(b))), axis=1)
  lo, hi = np.quantile(ra / rb, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
  return float(lo), float(hi)

def speed_pair(a_run:dict, b_run:dict, paired:bool=True) -> dict:
  """A vs B: {'ratio' (A's time over B's), 'verdict' faster|slower|within noise, 'p', 'interval', 'method', and for
  runs timed in several processes 'processes' [n A, n B] and 'paired'}. `paired`: both runs come from one comparison,
  so their processes ran in the same rounds."""
  ka, kb = a_run["kernel_time_s"], b_run["kernel_time_s"]
  ga, gb = process_medians(a_run), process_medians(b_run)
  if ga and gb and len(ga) >= 2 and len(gb) >= 2:
    t = process_t_interval(ga, gb, paired)
    real = not t["interval"][0] <= 1.0 <= t["interval"][1]
    return {**t, "verdict": ("faster" if t["ratio"] < 1 else "slower") if real else "within noise", "method": "processes"}
  ratio = ka["median"] / kb["median"] if kb["median"] > 0 else math.inf
  sa, sb = run_samples(a_run), run_samples(b_run)
  if sa and sb and len(sa) >= 3 and len(sb) >= 3:
    p, (lo, hi) = mann_whitney_p(sa, sb), bootstrap_ratio_interval(sa, sb)
    real = p < ALPHA and not lo <= 1.0 <= hi
    return {"ratio": ratio, "verdict": ("faster" if ratio < 1 else "slower") if real else "within noise", "p": p,
            "interval": [lo, hi], "confidence": CONFIDENCE, "method": "one process per mode (within-process scatter only)"}
  # stored before samples were kept: only the ranges can say anything
  apart = ka["max"] < kb["min"] or kb["max"] < ka["min"]
  return {"ratio": ratio, "verdict": ("faster" if ratio < 1 else "slower") if apart else "within noise", "p": None,
          "interval": None, "confidence": None, "method": "min-max ranges (no samples stored)"}

# ***** whose kernels a mode ran: a fallback is never crowned *****

def borrowed_from(column:str, run:dict) -> str|None:
  """Whose kernels a column ran when they are not its mode's own: an OLD or NEW that did not fire ran the direct conv,
  baseline's kernel. None when they are its own (baseline's always; OLD's and NEW's when they fired; no report)."""
  mode, report = run.get("mode") or column.split("@")[0].split("+")[0], run.get("winograd")
  if mode == "baseline" or run.get("status") != "ok" or report is None or report.get("fired"): return None
  return "baseline"

def fallback_label(pair:tuple[str, str], runs:dict) -> str|None:
  """'NEW fell back: baseline's kernel' when a side of the pair ran another mode's kernels, else None."""
  fell = [c for c in pair if borrowed_from(c, runs[c])]
  if not fell: return None
  names = " and ".join(c.split("@")[0].split("+")[0].upper() + c[len(c.split("@")[0].split("+")[0]):] for c in fell)
  return f"{names} fell back: baseline's kernel{'s' if len(fell) > 1 else ''}"

def label_fallbacks(speedups:list[dict], runs:dict) -> list[dict]:
  """A pair with a fallback on a side reads 'n/a' with its label: its ratio times baseline's kernel, not the mode."""
  return [{**s, "verdict": "n/a", "label": label} if (label:=fallback_label((s["a"], s["b"]), runs)) else s for s in speedups]

# ***** the whole verdict *****

def verdict(comparison:dict) -> dict:
  """{'errors': {mode: error_verdict}, 'worst': the worst error verdict, 'fastest': mode or None (never one that ran
  another mode's kernels), 'fastest_is_clear': whether it beats every other candidate beyond noise, 'candidates': the
  modes that ran kernels of their own, 'borrowed': {mode: whose kernels it ran}, 'speedups': [{a, b, identical, ...speed_pair, label when a side fell back}], 'reference': the ratios
  identical kernels showed (speed_pairs), 'machine': machine_load, 'method'}."""
  spec, runs = comparison["spec"], comparison["runs"]
  base = runs.get("baseline")
  base_err = base.get("max_rel_err") if base and base.get("status") == "ok" else None
  errors = {m: error_verdict(spec, m, r, base_err) for m, r in runs.items()}
  rank = {"none": -1, "correct": 0, "suspicious": 1, "wrong": 2}
  worst = max((e["verdict"] for e in errors.values()), key=rank.get, default="none")
  timed = {m: r for m, r in runs.items() if r.get("status") == "ok" and r.get("kernel_time_s")}
  borrowed = {m: o for m, r in timed.items() if (o:=borrowed_from(m, r))}
  pairs = comparison.get("verdict_pairs") or PAIRS  # two stored comparisons side by side pair each mode with itself
  speedups, reference = speed_pairs(timed, [(a, b) for a, b in pairs if a in timed and b in timed])
  speedups = label_fallbacks(speedups, runs)
  candidates = {m: r for m, r in timed.items() if m not in borrowed}
  fastest = min(candidates, key=lambda m: candidates[m]["kernel_time_s"]["median"]) if candidates else None
  versus = speed_pairs(candidates, [(fastest, m) for m in candidates if m != fastest], reference)[0] if fastest is not None else []
  clear = fastest is not None and len(candidates) > 1 and all(s["verdict"] == "faster" for s in versus)
  legacy = any(s["method"] != "processes" for s in speedups)
  return {"errors": errors, "worst": worst, "fastest": fastest, "fastest_is_clear": clear, "candidates": list(candidates),
          "borrowed": borrowed, "speedups": speedups, "reference": reference, "machine": machine_load(runs),
          "method": LEGACY_METHOD if legacy else METHOD}

def speed_pairs(timed:dict, pairs:list[tuple[str, str]], reference:list[float]|None=None) -> tuple[list[dict], list[float] | None]:
  """Each pair's speed_pair, with pairs of identical kernels marked 'same kernels' and used as the noise reference:
  ([{a, b, identical, ...speed_pair}], the reference band [lo, hi] of ratios identical kernels showed (with `reference`,
  one found before), or None). A pair of different kernels is faster or slower only when its whole interval lies beyond
  that band."""
  out = []
  for a, b in pairs:
    s = {"a": a, "b": b, "identical": same_kernels(timed[a], timed[b]),
         **speed_pair(timed[a], timed[b], paired=timed[a].get("comparison") == timed[b].get("comparison"))}
    out.append(s)
  refs = [s["interval"] for s in out if s["identical"] and s["interval"]] + ([reference] if reference else [])
  band = [min(1.0, *(lo for lo, _ in refs)), max(1.0, *(hi for _, hi in refs))] if refs else None
  for s in out:
    if s["identical"]: s["verdict"] = "same kernels"
    elif band and s["interval"] and s["verdict"] != "within noise" and not (s["interval"][1] < band[0] or s["interval"][0] > band[1]):
      s["verdict"], s["within_reference"] = "within noise", True  # real by its own test, but identical kernels differ as much
  return out, band

def summary_line(v:dict) -> str:
  """One line for the CLI: fastest mode, each speed-up with its noise verdict (or why it is n/a), the worst error verdict."""
  parts = []
  if v["fastest"]: parts.append(f"fastest: {v['fastest']}" + ("" if v["fastest_is_clear"] or len(v["candidates"]) < 2 else " (not beyond noise)"))
  if v["borrowed"]: parts.append(", ".join(v["borrowed"]) + " ran baseline's kernel (did not fire)")
  for s in v["speedups"]: parts.append(f"{s['a']}/{s['b']} n/a ({s['label']})" if s.get("label") else f"{s['a']}/{s['b']} {s['ratio']:.2f}× ({s['verdict']})")
  parts.append("errors: " + ", ".join(f"{m} {e['verdict']}" for m, e in v["errors"].items()))
  if (load:=v.get("machine") or {}).get("noisy"):
    parts.append(f"noisy run: other processes kept up to {load['other_cpu']:.1f} of {load['cpus']} cores busy, load average up to {load['loadavg']:.1f}")
  return "verdict: " + "; ".join(parts)

def outcome(comparison:dict, request:dict) -> dict:
  """What a history row says about a comparison: NEW fired / fell back / forced, the fastest mode, NEW/OLD, the worst
  error verdict, and whether it is a re-run."""
  v, new = verdict(comparison), comparison["runs"].get("new")
  wino = (new or {}).get("winograd") or {}
  if new is None: fired = None
  elif new.get("status") != "ok": fired = "failed"
  else: fired = ("forced" if request.get("force_new") else "fired") if wino.get("fired") else "fell back"
  new_old = next((s for s in v["speedups"] if (s["a"], s["b"]) == ("new", "old")), None)
  return {"new": fired, "fastest": v["fastest"], "fastest_is_clear": v["fastest_is_clear"], "worst": v["worst"],
          "new_old": None if new_old is None else {"ratio": new_old["ratio"], "verdict": new_old["verdict"], "label": new_old.get("label")},
          "rerun": bool(request.get("rerun")), "forced": bool(request.get("force_new"))}
