"""The sweep pages: a network's convs at once. The form (/sweep), the permalink (/s/<id>, live while it runs) and the
JSON it polls (/s/<id>.json). POST /api/sweeps is in api.py."""
from __future__ import annotations
import time
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for

from app import service
from app.jobs import QueueFull
from app.pages import SEARCHES, valid_id
from wino_core.networks import MODELS, model_title
from wino_core.result import MODES
from wino_core.spec import DTYPES, SpecError

bp = Blueprint("sweep_pages", __name__)

FORM_ORDER = ("model", "batch", "size", "dtype", "layers", "modes", "search", "device")  # as they appear: the first bad one takes the focus

def render_form(values:dict, errors:dict, status:int=200):
  info = service.devices()
  return render_template("sweep_new.html", values=values, errors=errors, order=FORM_ORDER, models=MODELS, all_modes=MODES, dtypes=DTYPES,
                         devices=info["devices"], searches=SEARCHES, probe_error=info.get("error")), status

def form_request(f) -> dict:
  raw = {k: f.get(k) for k in ("model", "batch", "size", "dtype", "device", "search") if f.get(k)}
  raw["modes"] = f.getlist("modes")
  if raw.get("model") == "custom": raw["layers"] = f.get("layers", "")
  if f.get("rerun"): raw["rerun"] = time.time_ns() // 1_000_000  # a re-run gets a permalink of its own
  return raw

@bp.get("/sweep")
def new():
  values = {"model": "resnet18", "batch": "1", "size": "", "dtype": "float32", "modes": list(MODES), "search": "none", "layers": ""}
  values.update({k: v for k, v in request.args.items() if k in values and k != "modes"})
  if request.args.get("modes"): values["modes"] = request.args["modes"].split(",")
  return render_form(values, {})

@bp.post("/sweep")
def submit():
  raw = form_request(request.form)
  values = {**request.form.to_dict(), "modes": request.form.getlist("modes")}
  try: sweep, _ = service.submit_sweep(raw, request.remote_addr or "")
  except SpecError as e: return render_form(values, e.errors, 400)
  except QueueFull as e: return render_form(values, {"sweeps": str(e)}, e.status)
  return redirect(url_for("sweep_pages.page", sid=sweep["id"]), code=303)

def load(sid:str) -> dict:
  if (s:=service.store().get_sweep(valid_id(sid, "sweep"))) is None: abort(404, f"no sweep {sid!r} is stored here")
  return s

@bp.get("/s/<sid>")
def page(sid:str):
  view = service.sweep_view(load(sid))
  req = view["request"]
  title = model_title(req["model"])
  from app.charts import sweep_chart
  from app.filters import script_json
  ran = {m: sum(m in r["time_s"] for r in view["rows"]) for m in req["modes"]}  # convs timed so far, per mode
  return render_template("sweep.html", s=view, req=req, title=title, model=MODELS.get(req["model"]), modes=req["modes"], ran=ran,
                         active=view["state"] in ("queued", "running"), chart=script_json(sweep_chart(view)) if any(ran.values()) else None)

@bp.get("/s/<sid>.json")
def page_json(sid:str): return jsonify(service.sweep_view(load(sid)))
