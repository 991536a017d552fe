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

Speed. Every timed run is kept (the sum over a mode's kernels, per repetition). For a pair of modes A vs B:
  the Mann-Whitney U test (two-sided, normal approximation with tie correction) on the two sets of per-run totals, and
  the ratio of medians with a 95% bootstrap interval (2,000 resamples of each side, fixed seed).
  A is "faster"/"slower" only when p < 0.05 AND the interval excludes 1; otherwise the difference is "within noise".
Old comparisons stored without samples fall back to the min-max ranges: overlapping ranges read as "within noise".
"""
from __future__ import annotations
import math
import numpy as np

UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}
WINOGRAD_GROWTH = 32.0
CORRECT_X, SUSPICIOUS_X, NEVER_OK = 4.0, 64.0, 0.1
ALPHA, BOOTSTRAP_N, CONFIDENCE = 0.05, 2000, 0.95
METHOD = ("Mann-Whitney U test (two-sided, p < 0.05) on the per-run kernel-time totals, and a 95% bootstrap interval "
          "of the ratio of medians (2,000 resamples) that must exclude 1")
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

def speed_pair(a_run:dict, b_run:dict) -> dict:
  """A vs B: {'ratio' (median A / median B), 'verdict' faster|slower|within noise, 'p', 'interval', 'method'}."""
  ka, kb = a_run["kernel_time_s"], b_run["kernel_time_s"]
  ratio = ka["median"] / kb["median"] if kb["median"] > 0 else math.inf
  sa, sb = run_samples(a_run), run_samples(b_run)
  if sa and sb and len(sa) >= 3 and len(sb) >= 3:
    p, (lo, hi) = mann_whitney_p(sa, sb), bootstrap_ratio_interval(sa, sb)
    real = p < ALPHA and not lo <= 1.0 <= hi
    return {"ratio": ratio, "verdict": ("faster" if ratio < 1 else "slower") if real else "within noise", "p": p,
            "interval": [lo, hi], "method": "mann-whitney+bootstrap"}
  # stored before samples were kept: only the ranges can say anything
  apart = ka["max"] < kb["min"] or kb["max"] < ka["min"]
  return {"ratio": ratio, "verdict": ("faster" if ratio < 1 else "slower") if apart else "within noise", "p": None,
          "interval": None, "method": "min-max ranges (no samples stored)"}

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
  another mode's kernels), 'fastest_is_clear': whether it beats every other candidate beyond noise, 'candidates': the modes that ran kernels
  of their own, 'borrowed': {mode:
  whose kernels it ran}, 'speedups': [{a, b, ...speed_pair, label when a side fell back}], 'method'}."""
  spec, runs = comparison["spec"], comparison["runs"]
  base = runs.get("baseline")
  base_err = base.get("max_rel_err") if base and base.get("status") == "ok" else None
  errors = {m: error_verdict(spec, m, r, base_err) for m, r in runs.items()}
  rank = {"none": -1, "correct": 0, "suspicious": 1, "wrong": 2}
  worst = max((e["verdict"] for e in errors.values()), key=rank.get, default="none")
  timed = {m: r for m, r in runs.items() if r.get("status") == "ok" and r.get("kernel_time_s")}
  borrowed = {m: o for m, r in timed.items() if (o:=borrowed_from(m, r))}
  pairs = comparison.get("verdict_pairs") or PAIRS  # two stored comparisons side by side pair each mode with itself
  speedups = label_fallbacks([{"a": a, "b": b, **speed_pair(timed[a], timed[b])} for a, b in pairs if a in timed and b in timed], runs)
  candidates = {m: r for m, r in timed.items() if m not in borrowed}
  fastest = min(candidates, key=lambda m: candidates[m]["kernel_time_s"]["median"]) if candidates else None
  clear = fastest is not None and len(candidates) > 1 and \
          all(speed_pair(candidates[fastest], candidates[m])["verdict"] == "faster" for m in candidates if m != fastest)
  return {"errors": errors, "worst": worst, "fastest": fastest, "fastest_is_clear": clear, "candidates": list(candidates),
          "borrowed": borrowed, "speedups": speedups, "method": METHOD}

def summary_line(v:dict) -> str:
  """One line for the CLI: fastest mode, each speed-up with its noise verdict (or why it is n/a), the worst error verdict."""
  parts = []
  if v["fastest"]: parts.append(f"fastest: {v['fastest']}" + ("" if v["fastest_is_clear"] or len(v["candidates"]) < 2 else " (not beyond noise)"))
  if v["borrowed"]: parts.append(", ".join(v["borrowed"]) + " ran baseline's kernel (did not fire)")
  for s in v["speedups"]: parts.append(f"{s['a']}/{s['b']} n/a ({s['label']})" if s.get("label") else f"{s['a']}/{s['b']} {s['ratio']:.2f}× ({s['verdict']})")
  parts.append("errors: " + ", ".join(f"{m} {e['verdict']}" for m, e in v["errors"].items()))
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
