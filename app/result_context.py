"""The result page's view model: which modes side by side, the summary rows, the chosen diff options, the data the
panes are laid out from. Everything the page shows is decided here from the stored comparison and the URL query, so a
link opens the exact view; the standalone export is the same page with everything inlined."""
from __future__ import annotations
import datetime, json

from app.assets import LAYOUT_LIB, STANDALONE_JS, inline_assets
from app.charts import chart_data, roofline_chart
from app.filters import script_json
from app.highlight import SOURCE_EXT, highlight_source, kernel_name_html
from app.kernel_diffs import kernel_text, levels_of, mode_diffs, offline_diffs
from wino_core.columns import variables
from wino_core.diff import pair_kernels
from wino_core.peaks import peak_for, roofline
from wino_core.spec import parse_spec
from wino_core.search import parse_search
from wino_core.verdict import verdict

LEVEL_LABELS = {"source": "source", "asm": "assembly", "ptx": "PTX", "sass": "SASS"}
VIEW_KEYS = ("a", "b", "pair", "view", "ws", "norm", "words", "ctx", "lvl", "ga", "gb")  # the page's view, as the URL gives it

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
