"""The charts' data, as plotly traces: a result's kernel times, compile phases and roofline, and a sweep's Pareto chart.
static/js/charts.js only draws them."""
from __future__ import annotations

from wino_core.columns import split
from wino_core.peaks import roofline

ROLE_ORDER = ("conv", "weight transform", "input tiles", "input transform", "batched product", "output", "output copy", "other")
ROLE_COLOURS = {"conv": "#4c78a8", "weight transform": "#f58518", "input transform": "#54a24b", "batched product": "#e45756",
                "output": "#b279a2", "input tiles": "#88d27a", "output copy": "#d6a5c9", "other": "#9d9da0"}

def chart_data(runs:dict) -> dict:
  """Kernel time per mode: one stacked bar per kernel (median), one colour per kernel role across modes, and the min–max
  of the per-run total as whiskers on the total only; compile vs run per mode. Plotly traces, plus the y-scale to open on
  (log when the modes differ more than 5×). A bar's `meta` is its kernel's index in its mode: on a log scale, where
  stacked heights misstate shares, the page sets the bars of a mode side by side by it."""
  ok = {m: r for m, r in runs.items() if r["status"] == "ok"}
  searched = any("search" in (r.get("compile_split_s") or {}) for r in ok.values())
  kernel_traces = []
  phases = {"schedule": [], **({"search": []} if searched else {}), "codegen": [], "compiler": [], "first run": [], "kernel time (median)": []}
  seen_roles = set()
  for mode, r in ok.items():
    for i, k in enumerate(r["kernels"]):
      t, role = k["time_s"], k.get("role", "other")
      kernel_traces.append({"type": "bar", "name": role, "legendgroup": role, "showlegend": role not in seen_roles, "x": [mode], "meta": i,
                            "y": [t["median"] * 1e3], "marker": {"color": ROLE_COLOURS.get(role, ROLE_COLOURS["other"])},
                            "hovertemplate": f"#{i} {k['name']} ({role})<br>median %{{y:.4f}} ms<br>min {t['min']*1e3:.4f} · max {t['max']*1e3:.4f} ms<extra>{mode}</extra>"})
      seen_roles.add(role)
  totals = {m: r["kernel_time_s"] for m, r in ok.items() if r.get("kernel_time_s")}
  if totals:
    kernel_traces.append({"type": "scatter", "mode": "markers", "name": "total (min–max of runs)", "x": list(totals),
                          "y": [t["median"] * 1e3 for t in totals.values()], "marker": {"color": "#111827", "symbol": "line-ew-open", "size": 18},
                          "error_y": {"type": "data", "symmetric": False, "array": [(t["max"] - t["median"]) * 1e3 for t in totals.values()],
                                      "arrayminus": [(t["median"] - t["min"]) * 1e3 for t in totals.values()], "color": "#111827"},
                          "hovertemplate": "total: median %{y:.4f} ms<extra>%{x}</extra>"})
  medians = [t["median"] for t in totals.values() if t["median"] > 0]
  scale = "log" if len(medians) > 1 and max(medians) / min(medians) > 5 else "linear"
  for mode, r in ok.items():
    split = r.get("compile_split_s") or {}
    for p in ("schedule", "search", "codegen", "compiler"):
      if p in phases: phases[p].append(split.get(p, 0) * 1e3)
    phases["first run"].append((r.get("first_run_s") or 0) * 1e3)
    phases["kernel time (median)"].append(r["kernel_time_s"]["median"] * 1e3)
  phase_traces = [{"type": "bar", "name": p, "x": list(ok), "y": ys} for p, ys in phases.items()]
  return {"kernels": kernel_traces, "phases": phase_traces, "kernel_scale": scale}

MODE_COLOURS = {"baseline": "#4c78a8", "old": "#f58518", "new": "#54a24b"}
ROLE_SYMBOLS = {"conv": "circle", "weight transform": "diamond", "input transform": "square", "batched product": "star",
                "output": "triangle-up", "input tiles": "square-open", "output copy": "triangle-up-open", "other": "x"}

def roofline_chart(runs:dict, peak:dict|None, model:str|None) -> dict:
  """Every kernel as a point (arithmetic intensity, achieved FLOP/s), one colour per mode and one marker per kernel role
  (a legend entry each, so a point says its role without hovering), log-log; with the device's peak, the roofline:
  min(peak FLOP/s, bandwidth × intensity)."""
  traces, roles = [], set()
  for mode, r in runs.items():
    pts = [(k, rf) for k in r.get("kernels", []) if (rf:=roofline(k, None))]
    roles |= {k.get("role", "other") for k, _ in pts}
    if pts: traces.append({"type": "scatter", "mode": "markers", "name": mode, "legendgroup": mode, "showlegend": False, "x": [rf["intensity"] for _, rf in pts],
                           "y": [rf["flops"] for _, rf in pts], "text": [f"{k['name']} ({k.get('role', '')})" for k, _ in pts],
                           "marker": {"size": 11, "color": MODE_COLOURS.get(split(mode)[0]), "line": {"width": 1, "color": "#fff"},
                                      "symbol": [ROLE_SYMBOLS.get(k.get("role"), ROLE_SYMBOLS["other"]) for k, _ in pts]},
                           "hovertemplate": "%{text}<br>%{x:.2f} FLOP/byte · %{y:.3s}FLOP/s<extra>" + mode + "</extra>"})
  if peak and traces:
    xs = [x for t in traces for x in t["x"]]
    lo, hi = min(xs) / 4, max(xs) * 4
    ridge = peak["flops"] / peak["bytes"]
    line = [x for x in (lo, ridge, hi) if lo <= x <= hi] or [lo, hi]
    traces.append({"type": "scatter", "mode": "lines", "name": "roofline", "x": line, "y": [min(peak["flops"], peak["bytes"] * x) for x in line],
                   "line": {"color": "#111827", "dash": "dot"}, "hoverinfo": "skip"})
  # the legend, entries with no point of their own: a circle per mode's colour (toggling its points), a grey marker per role
  def key(name:str, group:str, marker:dict) -> dict:
    return {"type": "scatter", "mode": "markers", "name": name, "x": [None], "y": [None], "legendgroup": group, "hoverinfo": "skip",
            "marker": {"size": 11, **marker}}
  traces += [key(t["name"], t["name"], {"color": t["marker"]["color"], "symbol": "circle"}) for t in traces if t["mode"] == "markers"]
  traces += [key(role, "roles", {"color": "#6b7280", "symbol": ROLE_SYMBOLS.get(role, ROLE_SYMBOLS["other"])})
             for role in sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER))]
  return {"traces": traces, "title": f"Roofline{' of ' + model if model else ''}" + ("" if peak else " (no peak known for this device: achieved only)"),
          "source": peak["source"] if peak else None}

def sweep_chart(view:dict) -> dict:
  """A sweep's chart, as a Pareto chart: each distinct conv's time in the network (median × multiplicity) per mode,
  grouped, largest first (by the reference mode: baseline's, else the first mode's), and the cumulative share of that
  mode's total on a second axis."""
  rows, modes, t = view["rows"], view["request"]["modes"], view["totals"]
  ref = t["share_of"]
  order = sorted(range(len(rows)), key=lambda i: -rows[i]["time_s"].get(ref, 0) * rows[i]["multiplicity"]) if ref else list(range(len(rows)))
  x = [f"{i + 1}. {rows[i]['names'][0]}" + (f" ×{rows[i]['multiplicity']}" if rows[i]["multiplicity"] > 1 else "") for i in order]
  bars = [{"type": "bar", "name": m, "x": x, "marker": {"color": MODE_COLOURS.get(m)},
           "y": [rows[i]["time_s"][m] * rows[i]["multiplicity"] * 1e3 if m in rows[i]["time_s"] else None for i in order],
           "hovertemplate": f"%{{x}}<br>{m}: %{{y:.3f}} ms in the network<extra></extra>"} for m in modes]
  share = {"type": "scatter", "mode": "lines+markers", "name": f"cumulative share of {ref}'s total", "yaxis": "y2", "x": x,
           "y": [c["share"] * 100 for c in t["cumulative_share"]], "line": {"color": "#111827"},
           "hovertemplate": "up to %{x}: %{y:.1f}% of the total<extra></extra>"} if ref else None
  return {"bars": bars, "share": share}
