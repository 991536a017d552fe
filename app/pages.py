"""The HTML pages: new comparison, job progress, result (the permalink), history, exports."""
from __future__ import annotations
import time
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from app import service
from app.jobs import QueueFull
from app.result_context import result_context
from wino_core.result import MODES
from wino_core.search import parse_search
from wino_core.spec import DTYPES, FIELDS, ConvSpec, SpecError, parse_spec

bp = Blueprint("pages", __name__)
ID_CHARS = set("0123456789abcdef")

def valid_id(cid:str, what:str="comparison") -> str:
  if len(cid) != 16 or not set(cid) <= ID_CHARS: abort(404, f"no {what} {cid[:40]!r}: an id is 16 hex digits")
  return cid

def form_defaults(spec:ConvSpec|None=None) -> dict:
  d = (spec or ConvSpec()).to_dict()
  return {**d, "kernel": "x".join(map(str, d["kernel"])), "padding": ",".join(map(str, d["padding"])) if isinstance(d["padding"], list) else d["padding"]}

SEARCHES = (("none", "none: tinygrad's heuristics"), *((f"beam={n}", f"BEAM={n}") for n in range(1, 5)),
            *((f"beam={n}+seed", f"BEAM={n} seeded: from each kernel's own opts") for n in range(1, 5)), ("noopt", "NOOPT: no optimizations"))

FORM_ORDER = (*FIELDS, "modes", "tinygrad", "search", "device")  # the form's fields as they appear: the first bad one takes the focus

def render_form(values:dict, errors:dict, modes, device:str|None, status:int=200, search:str="none", tinygrad:str|None=None):
  """`modes`: columns; the plain ones tick the mode boxes, `mode@env` and `mode+NAME=VALUE` ones go to the "more columns" field."""
  from wino_core.columns import describe_env, is_plain
  info = service.devices()
  envs = service.tinygrad_envs()
  return render_template("new.html", values=values, errors=errors, order=FORM_ORDER, modes=[m for m in modes if is_plain(m)], all_modes=MODES, dtypes=DTYPES,
                         devices=info["devices"], device=device, probe_error=info.get("error"), searches=SEARCHES,
                         search=search if search in dict(SEARCHES) else "none", envs=envs, describe_env=describe_env,
                         tinygrad=tinygrad or "", columns=", ".join(m for m in modes if not is_plain(m))), status

@bp.get("/")
def new():
  """The form, prefilled from the query (a shared link, "edit and compare") or with the seeds' shape."""
  from wino_core.columns import split
  modes = [m for m in request.args.get("modes", "").split(",") if split(m)[0] in MODES] or list(MODES)
  try: values, errors = form_defaults(ConvSpec.from_query(request.query_string.decode()) if request.args else None), {}
  except SpecError as e: values, errors = {**form_defaults(), **{k: v for k, v in request.args.items() if k in FIELDS}}, e.errors
  return render_form(values, errors, modes, request.args.get("device"), 400 if errors else 200, request.args.get("search", "none"),
                     request.args.get("tinygrad"))

@bp.post("/")
def submit():
  f = request.form
  raw_spec = {k: f[k] for k in FIELDS if k in f and k != "bias"} | {"bias": "bias" in f}  # a missing field takes its default
  columns = [c.strip() for c in f.get("columns", "").split(",") if c.strip()]  # "more columns": mode@env+NAME=VALUE, ...
  raw = {"spec": raw_spec, "modes": f.getlist("modes") + columns, "device": f.get("device") or None, "force_new": "force_new" in f,
         "search": f.get("search") or None, "tinygrad": f.get("tinygrad") or None}
  if f.get("rerun"): raw["rerun"] = time.time_ns() // 1_000_000  # a re-run gets a permalink of its own
  try: req, job = service.submit(raw, request.remote_addr or "")
  except SpecError as e: return render_form(raw_spec, e.errors, raw["modes"], raw["device"], 400, f.get("search", "none"), raw["tinygrad"])
  except QueueFull as e: return render_form(raw_spec, {"form": str(e)}, raw["modes"], raw["device"], e.status, f.get("search", "none"), raw["tinygrad"])
  if job is None: return redirect(url_for("pages.result", cid=req.id), code=303)
  return redirect(url_for("pages.job", jid=job["id"]), code=303)

@bp.get("/jobs/<jid>")
def job(jid:str):
  if (j:=service.store().get_job(jid)) is None: abort(404, f"no job {jid[:40]!r}")
  if j["state"] == "done": return redirect(url_for("pages.result", cid=j["comparison_id"]))
  return render_template("job.html", job=service.job_view(j), spec=parse_spec(j["request"]["spec"]), device=j["request"]["device"])

def load(cid:str) -> dict:
  if (c:=service.store().get_comparison(valid_id(cid))) is None: abort(404, f"no comparison {cid!r} is stored here")
  return c

@bp.get("/c/<cid>")
def result(cid:str):
  valid_id(cid)
  return service.cached_page(("result", cid, tuple(sorted(request.args.items(multi=True)))),
                             lambda: render_template("result.html", **result_context(load(cid), request.args,
                                                                                     diffs_url=url_for("pages.result_diffs", cid=cid))))

def diffs_json(c:dict, key:tuple) -> Response:
  """The diffs of every kernel pair of the modes ?a= and ?b= under each matching, at the level ?lvl= (source by
  default), for the page's script to lay out when a view needs a pair of modes or a level the page does not carry."""
  from app.kernel_diffs import levels_of, mode_diffs
  a, b, lvl = request.args.get("a", ""), request.args.get("b", ""), request.args.get("lvl", "source")
  for k, m in (("a", a), ("b", b)):
    if m not in c["runs"]: abort(400, f"{k}={m[:40]!r}: not a mode of this comparison ({', '.join(c['runs'])})")
  if lvl not in (levels:=levels_of(c["runs"])): abort(400, f"lvl={lvl[:40]!r}: not a level of this comparison's kernels ({', '.join(levels)})")
  def render(): return current_app.json.response(mode_diffs(c["runs"], [(a, b)], [lvl])).get_data()
  return Response(service.cached_page(("diffs", *key, a, b, lvl), render), mimetype="application/json")

@bp.get("/c/<cid>/diffs.json")
def result_diffs(cid:str): return diffs_json(load(cid), (cid,))

@bp.get("/c/<cid>.json")
def result_json(cid:str):
  valid_id(cid)
  def render():
    c = load(cid)
    from wino_core.verdict import verdict
    return current_app.json.response({**{k: c[k] for k in ("id", "created", "request", "spec", "device", "tinygrad", "runs")},
                                      "device_model": c.get("device_model"),
                                      **{k: c[k] for k in ("tinygrad_envs", "verdict_pairs", "code", "rule_source") if k in c},
                                      "verdict": verdict(c)}).get_data()
  return Response(service.cached_page(("json", cid), render), mimetype="application/json")

@bp.get("/c/<cid>.html")
def result_html(cid:str):
  """One standalone file: CSS, JS and data inline, opens from disk. Its diffs of every pair of modes are the costly
  part and the same for every view, so they are kept by id (a stored comparison never changes)."""
  from app.kernel_diffs import offline_diffs
  c = load(cid)
  diffs = service.cached_page(("offline", cid), lambda: offline_diffs(c["runs"]))
  html = render_template("standalone.html", **result_context(c, request.args, standalone=True, diffs=diffs))
  return Response(html, mimetype="text/html", headers={"Content-Disposition": f'attachment; filename="wino-dash-{cid}.html"',
                                                        "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
                                                        "style-src 'unsafe-inline'; img-src data: blob:; worker-src blob:"})

@bp.get("/c/<cid>.py")
def reproducer(cid:str):
  from app.worker_devices import split_device_id
  from wino_core.reproducer import reproducer_script
  c = load(cid)
  req = c.get("request") or {}
  from wino_core.rounds import DEFAULT_PROCESSES
  # timed as the comparison was: its runs per process and processes per mode (one stored before processes were: today's)
  processes = max((len((r.get("kernel_time_s") or {}).get("processes") or []) for r in c["runs"].values()), default=0) or DEFAULT_PROCESSES
  script = reproducer_script(parse_spec(c["spec"]), list(c["runs"]), split_device_id(c["device"])[1], bool(req.get("force_new")), req.get("search"),
                             c.get("tinygrad_envs"), repeat=req.get("repeat", 10), processes=processes, rule=c.get("rule_source"),
                             code=c.get("code"))  # "gpu-1/CUDA": a worker's device
  return Response(script, mimetype="text/x-python", headers={"Content-Disposition": f'attachment; filename="wino-dash-{cid}.py"'})

HISTORY_FILTERS = ("batch", "cin", "cout", "h", "w", "dtype")  # spec fields; the device is a filter of its own
def history_filter(args) -> dict:
  """Exact-match filters on spec fields from the query; validated like a spec so bad values get a clear error."""
  given = {k: args[k] for k in HISTORY_FILTERS if args.get(k, "").strip()}
  if not given: return {}
  full = parse_spec({**{k: v for k, v in ConvSpec().to_dict().items() if k in ("batch", "cin", "cout", "h", "w", "dtype")}, **given,
                     "padding": 0, "kernel": 1})
  return {k: getattr(full, k) for k in given}

@bp.get("/history")
def history():
  try: shape, error = history_filter(request.args), None
  except SpecError as e: shape, error = {}, str(e)
  device = request.args.get("device", "").strip() or None
  search = request.args.get("search", "").strip()
  try: search_filter = None if not search else parse_search(search).to_dict()
  except SpecError as e: search_filter, error = None, error or str(e)
  tinygrad = request.args.get("tinygrad", "").strip() or None
  rows = [] if error else service.store().list_comparisons(limit=200, shape=shape, device=device, search=search_filter, tinygrad=tinygrad)
  for r in rows: r["describe"] = parse_spec(r["spec"]).describe()
  from wino_core.networks import model_title
  return render_template("history.html", rows=rows, sweeps=service.store().list_sweeps(limit=50), model_title=model_title, filters={k: request.args.get(k, "") for k in HISTORY_FILTERS}, error=error,
                         device=device or "", devices=service.store().devices(), dtypes=DTYPES, searches=SEARCHES,
                         search=search, tinygrad=tinygrad or "", tinygrads=service.store().tinygrads()), 400 if error else 200

@bp.get("/assets/pygments.css")
def pygments_css():
  from app.highlight import pygments_css
  return Response(pygments_css(), mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})

@bp.get("/assets/plotly.min.js")
def plotly_js():
  from app.assets import plotly_js_path
  from flask import send_file
  return send_file(plotly_js_path(), mimetype="text/javascript", max_age=3600)

def two_of(ids:list[str]) -> dict:
  from wino_core.two_comparisons import two_comparisons
  if len(ids) != 2 or ids[0] == ids[1]:
    got = "the same one twice" if len(ids) == 2 else f"{len(ids)} id{'' if len(ids) == 1 else 's'}"
    abort(400, f"compare these two needs exactly two different comparisons (/two?id=A&id=B), got {got}: tick two in the history")
  try: c = two_comparisons(*(load(i) for i in ids))
  except ValueError as e: abort(400, str(e))
  return c

@bp.get("/two")
def two():
  """Two stored comparisons of the same spec side by side (history's "compare these two")."""
  ids = request.args.getlist("id")
  return render_template("result.html", **result_context(two_of(ids), request.args, diffs_url=url_for("pages.two_diffs", id=ids)))

@bp.get("/two/diffs.json")
def two_diffs():
  ids = request.args.getlist("id")
  return diffs_json(two_of(ids), tuple(ids))
