"""A sweep's table, from its stored layer comparisons: per distinct conv its time in each mode, what NEW did and the
verdicts, and the network's totals (each conv times its multiplicity)."""
from __future__ import annotations

def layer_row(layer:dict, outcome:dict|None) -> dict:
  """One distinct conv of a sweep: its layers, and `outcome` (comparison_outcome of its stored comparison) once done."""
  row = {"names": layer["names"], "multiplicity": len(layer["names"]), "spec": layer["spec"], "comparison": layer["comparison"],
         "status": layer["status"], "message": layer.get("message", ""), "time_s": {}, "new": None, "why": "", "worst": None,
         "new_old": None, "new_base": None, "verdicts": {}}
  return {**row, **(outcome or {})}

def comparison_outcome(comparison:dict) -> dict:
  """What a sweep's row says of a layer's comparison: per mode the median kernel time, NEW fired / fell back / does
  not apply (with NEW's reason), the ratios with their verdicts and the worst error verdict. A stored comparison never
  changes, so neither does this: the app keeps it by the comparison's id."""
  from wino_core.verdict import verdict
  runs = comparison["runs"]
  out = {"time_s": (t:={m: r["kernel_time_s"]["median"] for m, r in runs.items() if r["status"] == "ok" and r.get("kernel_time_s")})}
  if (new:=runs.get("new")) is not None:
    wino = new.get("winograd") or {}
    reason = wino.get("reason") or ""
    out["new"] = "failed" if new["status"] not in ("ok", "not_applicable") else "fired" if wino.get("fired") else \
                 "does not apply" if new["status"] == "not_applicable" or reason.startswith("NEW does not apply") else "fell back"
    out["why"] = "" if wino.get("fired") else (wino.get("reason") or new.get("message") or "")
  v = verdict(comparison)
  out["worst"] = v["worst"]
  out["new_old"] = t["new"] / t["old"] if "new" in t and t.get("old") else None
  out["new_base"] = t["new"] / t["baseline"] if "new" in t and t.get("baseline") else None
  # each ratio's verdict as the comparison's page says it: faster / slower / within noise, or n/a with why (NEW fell back)
  pairs = {(s["a"], s["b"]): {"verdict": s["verdict"], "label": s.get("label")} for s in v["speedups"]}
  out["verdicts"] = {k: pairs.get((a, b)) for k, a, b in (("new_old", "new", "old"), ("new_base", "new", "baseline"))}
  return out

def totals(rows:list[dict], modes) -> dict:
  """The network's conv time per mode (each distinct conv times its multiplicity), complete only where every layer
  ran in that mode; the speed-ups between the modes' totals; and each layer's cumulative share of baseline's total
  (or the first mode's), largest first."""
  total = {m: sum(r["time_s"].get(m, 0) * r["multiplicity"] for r in rows) for m in modes}
  complete = {m: all(m in r["time_s"] for r in rows) for m in modes}
  ref = next((m for m in ("baseline", *modes) if m in total and total[m] > 0), None)
  share = []
  if ref:
    acc = 0.0
    for r in sorted(rows, key=lambda r: -r["time_s"].get(ref, 0) * r["multiplicity"]):
      acc += r["time_s"].get(ref, 0) * r["multiplicity"]
      share.append({"layer": r["names"][0], "share": acc / total[ref]})
  ratio = lambda a, b: total[a] / total[b] if a in total and b in total and total[b] > 0 and complete[a] and complete[b] else None
  return {"time_s": total, "complete": complete, "share_of": ref, "cumulative_share": share,
          "new_old": ratio("new", "old"), "new_base": ratio("new", "baseline"), "old_base": ratio("old", "baseline")}
