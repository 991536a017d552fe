"""The result page's view model: which modes side by side, kernels paired by role, the chosen diff, chart data.
Everything the page shows is decided here from the stored comparison and the URL query, so a link opens the exact view."""
from __future__ import annotations
import datetime, functools, json, re

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from wino_core.columns import split, variables
from wino_core.diff import diff_kernels, mirror, pair_kernels
from wino_core.peaks import peak_for, roofline
from wino_core.spec import parse_spec
from wino_core.search import parse_search
from wino_core.verdict import verdict

LEVEL_LABELS = {"source": "source", "asm": "assembly", "ptx": "PTX", "sass": "SASS"}
LEXERS = {"c": "c", "cuda": "cuda", "metal": "cpp", "opencl": "c", "hip": "cpp", "ptx": "ptx", "llvm": "llvm", "wgsl": "wgsl"}
SOURCE_EXT = {"c": "c", "cuda": "cu", "metal": "metal", "opencl": "cl", "hip": "hip", "ptx": "ptx", "llvm": "ll", "wgsl": "wgsl"}
ROLE_ORDER = ("conv", "weight transform", "input tiles", "input transform", "batched product", "output", "output copy", "other")
FORMATTER = HtmlFormatter(cssclass="hl", linenos="inline", wrapcode=True)
LAYOUT_LIB = "vendor/elkjs-0.12.1/elk.bundled.js"  # under static/: the graph layout, loaded by js/graph-worker.js

@functools.lru_cache(maxsize=128)
def highlight_source(source:str, language:str, anchor:str|None=None) -> Markup:
  """The source, highlighted; with `anchor` (e.g. "a-k2") every line gets an id "a-k2-L14" and its number links to it."""
  try: lexer = get_lexer_by_name(LEXERS.get(language, language))
  except ClassNotFound: lexer = get_lexer_by_name("text")
  if anchor is None: return Markup(highlight(source, lexer, FORMATTER))
  html = highlight(source, lexer, HtmlFormatter(cssclass="hl", linenos="inline", wrapcode=True, lineanchors=anchor, anchorlinenos=True))
  # pygments writes "a-k2-14"; "a-k2-L14" reads as a line
  return Markup(re.sub(rf'(id="|name="|href="#){re.escape(anchor)}-(\d+)"', rf'\1{anchor}-L\2"', html))

def pygments_css() -> str: return FORMATTER.get_style_defs(".hl")

def kernel_name_html(kernel:dict) -> Markup:
  """tinygrad's kernel name with each number coloured by its axis kind, as tinygrad's DEBUG output does (plain where the
  axes were not captured: a 0.11-era tinygrad)."""
  if not kernel.get("axes"): return Markup('<span class="kname">{}</span>').format(kernel["name"])
  prefix = escape(kernel["name"].split("_")[0])
  parts = [Markup('<span class="ax ax-{k}" title="{k} axis of size {n}">{n}</span>').format(k=kind, n=n) for n, kind in kernel.get("axes", [])]
  return Markup('<span class="kname">{}{}</span>').format(prefix, Markup("").join(Markup("_") + p for p in parts))

def _choose_modes(runs:dict, args, two:dict|None=None, pairs:list|None=None) -> tuple[str, str]:
  """Side by side: ?a=&b= from the link, else OLD vs NEW when both ran (for two comparisons: NEW, or the first mode both
  ran, from each), else the first two."""
  modes = list(runs)
  a, b = args.get("a"), args.get("b")
  if a in runs and b in runs: return a, b
  if two and two["common"]:
    m = next(m for m in ("new", "old", *two["common"]) if m in two["common"])
    return f"{m}@A", f"{m}@B"
  if pairs: return pairs[0][1], pairs[0][0]  # columns on several tinygrads: the first verdict pair, its reference on the left
  if "old" in runs and "new" in runs: return "old", "new"
  return modes[0], modes[-1]

def _int_arg(args, key:str, default:int|None, lo:int, hi:int) -> int|None:
  v = args.get(key, "")
  return max(lo, min(hi, int(v))) if v.strip().isdigit() else default


def opt_text(o:dict) -> str:
  """One of tinygrad's Opts as it reads in DEBUG output: UPCAST(axis 2, 4); a TC's arg is (tc select, opt level, use tc)."""
  arg = ",".join(map(str, o["arg"])) if isinstance(o["arg"], list) else o["arg"]
  return f"{o['op']}({'' if o['axis'] is None else 'axis ' + str(o['axis']) + ', '}{arg})"

def _last(args, key:str, default:str="") -> str:
  """A form sends a checkbox as a hidden 0 and then, when checked, a 1: the last value is the one the user chose."""
  values = args.getlist(key) if hasattr(args, "getlist") else [args[key]] if key in args else []
  return values[-1] if values else default

def diff_options(args) -> dict:
  return {"view": "unified" if _last(args, "view") == "unified" else "split", "ws": _last(args, "ws") == "1",
          "norm": _last(args, "norm") == "1", "words": _last(args, "words", "1") == "1", "ctx": _int_arg(args, "ctx", None, 0, 1000)}

def _tiles_text(rewrite:dict) -> str:
  t = rewrite["tiles"]
  return (f"{t['tiles_y']}×{t['tiles_x']} tiles of 4×4 over a {t['out_h']}×{t['out_w']} output, batch {t['batch']}, "
          f"{t['cin']}→{t['cout']} channels{', groups ' + str(t['groups']) if t['groups'] > 1 else ''} — {rewrite['description']}")

def summary_row(mode:str, r:dict) -> dict:
  wino = r.get("winograd") or {}
  if mode == "baseline": fired = "—"
  elif not wino: fired = "—"
  elif wino.get("fired"):
    # a column's flags (baseline@pr-12763+WINO=1): what they made of the conv is the whole story
    fired = f"fired {wino['reason']}" if variables(mode) and wino.get("reason") else "fired" + "".join(f"; {_tiles_text(w)}" for w in wino.get("rewrites", []))
  else: fired = wino.get("reason") or "did not fire"
  # an ok run's message beyond its Winograd reason: what an older tinygrad did not let wino-dash capture
  note = (r.get("message") or "").replace(wino.get("reason") or "\0", "").strip("; ") if r["status"] == "ok" else ""
  return {"mode": mode, "status": r["status"], "message": r.get("message", ""), "note": note, "kernels": len(r.get("kernels", [])),
          "kernel_time": r.get("kernel_time_s"), "compile_s": r.get("compile_s"), "split": r.get("compile_split_s") or {},
          "first_run_s": r.get("first_run_s"), "abs_err": r.get("max_abs_err"), "rel_err": r.get("max_rel_err"), "fired": fired}

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

def script_json(obj) -> Markup:
  """JSON to embed in <script type="application/json">: no '<' at all, so no text in it can close the tag."""
  return Markup(json.dumps(obj).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

VIEW_KEYS = ("a", "b", "pair", "view", "ws", "norm", "words", "ctx", "lvl", "ga", "gb")  # the page's view, as the URL gives it
# a kernel's levels: its source, and the assembly wino_core.assembly captured (asm on CPUs, PTX and SASS on CUDA)
ASM_LEVELS = ("asm", "ptx", "sass")

def kernel_text(k:dict, lvl:str) -> str:
  """A kernel's text at a level: its source, or one of its assembly levels ("" where it has none)."""
  return k["source"] if lvl == "source" else ((k.get("assembly") or {}).get("levels") or {}).get(lvl, "")

def levels_of(runs:dict) -> list[str]:
  """The levels some kernel of the comparison has, source first."""
  have = {lvl for r in runs.values() for k in r.get("kernels") or [] for lvl in ((k.get("assembly") or {}).get("levels") or {})}
  return ["source", *(lvl for lvl in ASM_LEVELS if lvl in have)]

def result_context(c:dict, args, standalone:bool=False, diffs_url:str="", diffs:str|None=None) -> dict:
  """What the result page and the export show. The kernels and diff panes are laid out in the browser (js/kernels.js)
  from `view_data`: the live page carries the diffs of the pair of modes it opens on and fetches others from
  `diffs_url`; the export carries them all, its `offline_diffs` (computed here unless given)."""
  runs = c["runs"]
  spec = parse_spec(c["spec"])
  search = parse_search((c.get("request") or {}).get("search"))
  a, b = _choose_modes(runs, args, c.get("two"), None if c.get("two") else c.get("verdict_pairs"))
  peak = peak_for(c.get("device_model"), spec.dtype)
  opts = diff_options(args)
  def label(mode:str) -> str:
    r = runs[mode]
    return f"{mode} · {r.get('device') or c['device']} · {spec.dtype} · tinygrad {r.get('tinygrad') or c['tinygrad']}"
  # the defaults of keys the URL leaves out: the modes chosen here, and the view an export was taken in
  view = {**{k: _last(args, k) for k in VIEW_KEYS if k in args}, "a": a, "b": b}
  # the live page carries the source diffs of its pair of modes, and those of the level the URL asks for
  levels = list(dict.fromkeys(["source", *([view["lvl"]] if view.get("lvl") in levels_of(runs) else [])]))
  data = view_data(runs, label, view, json.loads(diffs or offline_diffs(runs)) if standalone else mode_diffs(runs, [(a, b)], levels))
  return {"c": c, "spec": spec, "runs": runs, "a": a, "b": b, "opts": opts, "label": label, "verdict": verdict(c), "levels": data["levels"], "level_labels": LEVEL_LABELS,
          "summary": [summary_row(m, r) for m, r in runs.items()],
          "charts": script_json(chart_data(runs) | {"roofline": roofline_chart(runs, peak, c.get("device_model"))}), "highlight": highlight_source, "ext": SOURCE_EXT, "kernel_name": kernel_name_html,
          "created": datetime.datetime.fromtimestamp(c["created"], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
          "rerun_query": spec.to_query() + "&modes=" + ",".join(runs) + "&device=" + c["device"] + ("&force_new=1" if c.get("request", {}).get("force_new") else "")
                         + ("" if search.is_default else "&search=" + search.value),
          "search": search, "search_value": search.value, "opt_text": opt_text, "envs": list((c.get("tinygrad_envs") or {}).values()),
          "plain_columns": [m for m in runs if "@" not in m],
          "graphs": {m: r.get("graphs") for m, r in runs.items()}, "layout_lib": LAYOUT_LIB,
          "peak": peak, "roofline": lambda k: roofline(k, peak),
          "standalone": standalone, "assets": inline_assets(STANDALONE_JS) if standalone else None,
          "view_data": script_json({**data, "diffs_url": diffs_url})}

STANDALONE_JS = ("view.js", "charts.js", "kernels.js", "sources.js", "graphs.js")

def _spans(segments:list|None) -> list[int]|None:
  """Segments as lengths: [first is a change (0/1), len, len, ...], equal and changed spans alternating (the line's
  text is known, and merged segments always alternate)."""
  return None if segments is None else [int(segments[0][0] != "equal"), *(len(t) for _, t in segments)] if segments else []

def _row(r:dict) -> list:
  """A split diff row, compact: [kind, a_no, b_no, a_spans, b_spans]; the lines' text is the sources' (the export
  carries each kernel's source once)."""
  return [r["kind"], r["a_no"], r["b_no"], _spans(r["a_segments"]), _spans(r["b_segments"])]

def mode_diffs(runs:dict, which:list[tuple[str, str]], levels:list[str]|None=None) -> dict:
  """The diff of every kernel pair of the ordered pairs of modes `which`, whole files (every row), under the four
  matchings (whitespace, normalized names), by the same wino_core.diff as everywhere; the page's script only lays the
  rows out (split or unified, word marks on or off, context lines). Each unordered pair of sources is diffed once: b
  against a is a against b mirrored, exactly as diff_kernels makes it. Equal diffs are kept once: "diffs" maps a key
  a|b|pair|ws norm to an index in "rows", and a|b|pair|ws norm|lvl for each assembly level (normalizing renumbers its
  registers and addresses), of `levels` (default: every level there is; an assembly diff takes several times a source's)."""
  kernels = {m: r.get("kernels") or [] for m, r in runs.items()}
  made: dict[tuple, dict] = {}
  def diff(left:str, right:str, ws:int, norm:int, asm:bool) -> dict:
    if (key:=(right, left, ws, norm, asm)) in made: return mirror(made[key])
    return made.setdefault((left, right, ws, norm, asm), diff_kernels(left, right, ignore_whitespace=bool(ws), normalize=bool(norm), asm=asm))
  diffs, unique = {}, {}
  for a, b in which:
    for i, p in enumerate(pair_kernels(kernels[a], kernels[b])):
      for lvl in levels_of(runs) if levels is None else levels:
        left = kernel_text(kernels[a][p["a"]], lvl) if p["a"] is not None else ""
        right = kernel_text(kernels[b][p["b"]], lvl) if p["b"] is not None else ""
        for ws in (0, 1):
          for norm in (0, 1):
            d = diff(left, right, ws, norm, lvl != "source")
            text = json.dumps({"rows": [_row(r) for r in d["split"]], "summary": d["summary"]})
            diffs[f"{a}|{b}|{i}|{ws}{norm}" + ("" if lvl == "source" else f"|{lvl}")] = unique.setdefault(text, len(unique))
  return {"diffs": diffs, "rows": [json.loads(t) for t in unique]}

def offline_diffs(runs:dict) -> str:
  """The export's diffs, of every ordered pair of modes, as JSON: the same for every view of a comparison, so the
  caller can keep it by id."""
  return json.dumps(mode_diffs(runs, [(a, b) for a in runs for b in runs]))

def view_data(runs:dict, label, view:dict, diffs:dict) -> dict:
  """What the kernels and diff panes are laid out from: every mode's kernels (name, role, source, assembly levels; their
  cards are <template>s in the page), the levels there are, the kernel pairs of every ordered pair of modes,
  `mode_diffs` of some of them and the view's defaults."""
  kernels = {m: r.get("kernels") or [] for m, r in runs.items()}
  levels = levels_of(runs)
  return {"view": view, "a": view["a"], "b": view["b"], "modes": list(runs), "labels": {m: label(m) for m in runs}, "levels": levels,
          "kernels": {m: [{"name": k["name"], "role": k["role"], "source": k["source"],
                           "levels": {lvl: kernel_text(k, lvl) for lvl in levels[1:] if kernel_text(k, lvl)}} for k in ks] for m, ks in kernels.items()},
          "pairs": {f"{a}|{b}": pair_kernels(kernels[a], kernels[b]) for a in runs for b in runs}, **diffs}

def inline_assets(js_files:tuple[str, ...]) -> dict:
  """Everything the standalone export needs, as text to inline: it must open from disk with no server."""
  import os
  static = os.path.join(os.path.dirname(__file__), "static")
  def read(*p): return open(os.path.join(*p), encoding="utf-8").read()
  def safe(js:str) -> str: return js.replace("</script", "<\\/script")  # an inline script ends at the first </script
  return {"css": read(static, "css", "wino.css") + pygments_css(), "plotly": safe(read(plotly_js_path())),
          "js": safe("\n".join(read(static, "js", f) for f in js_files)),
          # the layout worker's source, ELK first: the page builds a blob: worker from it (a file:// page cannot load one by URL)
          "graph_worker": safe(read(static, LAYOUT_LIB) + "\n" + read(static, "js", "graph-worker.js"))}

def plotly_js_path() -> str:
  import os, plotly
  return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")

def two_comparisons(cx:dict, cy:dict) -> dict:
  """Two stored comparisons of one spec as one comparison whose columns are mode@A and mode@B (A the older), so the
  result page's kernels, diff, charts and graphs work on them unchanged; the verdict pairs each mode with itself, unpaired
  (`comparison`: their processes ran in different rounds), and pairs whose kernels are identical are its noise reference."""
  if cx["spec"] != cy["spec"]:
    raise ValueError(f"{cx['id']} and {cy['id']} are different convs ({parse_spec(cx['spec']).describe()} vs "
                     f"{parse_spec(cy['spec']).describe()}): only comparisons of the same spec can be put side by side")
  (a, b) = sorted((cx, cy), key=lambda c: c["created"])
  runs = {f"{m}@{tag}": {**r, "device": r.get("device") or c["device"], "tinygrad": r.get("tinygrad") or c["tinygrad"], "comparison": tag}
          for tag, c in (("A", a), ("B", b)) for m, r in c["runs"].items()}
  common = [m for m in a["runs"] if m in b["runs"]]
  return {"id": f"{a['id']} vs {b['id']}", "spec": a["spec"], "device": a["device"], "tinygrad": a["tinygrad"], "runs": runs,
          "created": b["created"], "request": {}, "two": {"A": a, "B": b, "common": common},
          "verdict_pairs": [(f"{m}@B", f"{m}@A") for m in common]}

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
