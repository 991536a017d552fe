"""The JSON API, for scripts and CI: it mirrors the pages."""
from __future__ import annotations
from flask import Blueprint, jsonify, request, url_for

from app import service
from app.jobs import QueueFull
from wino_core.spec import SpecError

bp = Blueprint("api", __name__, url_prefix="/api")

def error(status:int, message:str, field:str|None=None):
  return jsonify({"error": message, "field": field}), status

def accept(submit) -> tuple:
  """(what submit(the request's JSON object, the client) returns, None), or (None, the error response to return): a
  body that is not a JSON object, a bad field, a full or unreachable queue."""
  if not request.is_json: return None, error(415, "send the request as JSON (Content-Type: application/json)")
  if not isinstance(raw:=request.get_json(silent=True), dict): return None, error(400, "the body must be a JSON object")
  try: return submit(raw, request.remote_addr or ""), None
  except SpecError as e: return None, error(400, str(e), e.field)
  except QueueFull as e: return None, error(e.status, str(e))

@bp.post("/compare")
def compare():
  result, refused = accept(service.submit)
  if refused: return refused
  req, job = result
  body = {"id": req.id, "url": url_for("pages.result", cid=req.id)}
  if job is None: return jsonify({**body, "job": None, "status_url": None, "state": "done"}), 200
  return jsonify({**body, "job": job["id"], "status_url": url_for("api.job", jid=job["id"]), "state": job["state"]}), 202

@bp.post("/sweeps")
def sweeps():
  result, refused = accept(service.submit_sweep)
  if refused: return refused
  sweep, new = result
  return jsonify({"id": sweep["id"], "url": url_for("sweep_pages.page", sid=sweep["id"]), "state": sweep["state"],
                  "status_url": url_for("sweep_pages.page_json", sid=sweep["id"])}), 202 if new else 200

@bp.get("/jobs/<jid>")
def job(jid:str):
  if (j:=service.store().get_job(jid)) is None: return error(404, f"no job {jid[:40]!r}")
  return jsonify(service.job_view(j))

@bp.get("/devices")
def devices(): return jsonify(service.devices())

@bp.get("/comparisons")
def comparisons():
  from app.pages import history_filter
  try: shape = history_filter(request.args)
  except SpecError as e: return error(400, str(e), e.field)
  return jsonify({"comparisons": service.store().list_comparisons(limit=100, shape=shape)})
