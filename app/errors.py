"""Every error is a clear message with a 4xx/5xx status: JSON under /api and for .json paths, a page elsewhere. Never a traceback."""
from __future__ import annotations
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

def _wants_json() -> bool: return request.path.startswith("/api/") or request.path.endswith(".json")

def register(app):
  @app.errorhandler(HTTPException)
  def http_error(e:HTTPException):
    if _wants_json(): return jsonify({"error": e.description, "field": None}), e.code
    return render_template("error.html", code=e.code, name=e.name, message=e.description), e.code

  @app.errorhandler(Exception)
  def unexpected(e:Exception):
    app.logger.exception("unhandled error on %s", request.path)
    return http_error(InternalServerError("something went wrong on the server; the error is in its log"))
