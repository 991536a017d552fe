"""Response headers: a Content-Security-Policy that allows only the app's own scripts, and no sniffing or framing."""
from __future__ import annotations

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")

MAX_QUERY_BYTES = 2048  # every query this app takes (spec fields, view options, filters) fits in far less

def register(app):
  @app.before_request
  def limits():
    from flask import abort, request
    if len(request.query_string) > MAX_QUERY_BYTES:
      abort(414, f"the query string is {len(request.query_string):,} bytes, over the limit of {MAX_QUERY_BYTES:,}")

  @app.after_request
  def headers(resp):
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    return resp
