"""Access control for a shared server. With a token set (`serve --token`, $WINO_DASH_TOKEN; config TOKEN), every
request that changes something (queues work: the form, the API) must carry it: `Authorization: Bearer <token>` from
scripts, or the session cookie that /login sets in a browser. Reading stored results stays open unless PROTECT_READS.

The token is compared in constant time (digests of equal length, so not even its length leaks), and it is never
logged or stored: the cookie only says "signed in", signed with a key derived from the token, so changing the token
signs everyone out. The cookie is SameSite=Lax: another site cannot make a signed-in browser queue work (CSRF), and
Secure behind TLS (BEHIND_TLS, or a request that came over https, e.g. a trusted proxy's X-Forwarded-Proto), so a
browser never sends it over plain http."""
from __future__ import annotations
import hashlib, hmac
from urllib.parse import urlsplit
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask.sessions import SecureCookieSessionInterface

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.login", "auth.logout", "ops.healthz", "static"}  # reachable without the token, always
READ_METHODS = ("GET", "HEAD", "OPTIONS")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="wino-dash"'}  # what a 401 must carry; no browser prompts for Bearer

def _digest(s:str) -> bytes: return hashlib.sha256(s.encode()).digest()
def token_matches(given:str) -> bool: return hmac.compare_digest(_digest(given), _digest(current_app.config["TOKEN"]))

def signed_in() -> bool:
  """Whether this request carries the token (always True on a server without one)."""
  if not current_app.config["TOKEN"]: return True
  scheme, _, value = request.headers.get("Authorization", "").partition(" ")
  if scheme.lower() == "bearer": return token_matches(value.strip())
  return session.get("signed_in") is True

def needs_token() -> bool:
  if not current_app.config["TOKEN"] or request.endpoint in OPEN_ENDPOINTS: return False
  return request.method not in READ_METHODS or current_app.config["PROTECT_READS"]

def local_path(url:str|None) -> str:
  """Where to go after signing in: a path on this server only (never another host: no open redirect)."""
  try: parts = urlsplit(url or "")
  except ValueError: return "/"  # e.g. "http://[" (a broken IPv6 host)
  if parts.netloc and parts.netloc != request.host: return "/"
  local = parts.path.startswith("/") and not parts.path.startswith("//") and "\\" not in parts.path  # a browser reads /\x as //x
  path = parts.path if local else "/"
  return path + (f"?{parts.query}" if parts.query else "")

def refuse():
  message = "this server needs its access token" + ("" if current_app.config["PROTECT_READS"] else " to queue work")
  if request.path.startswith("/api/") or request.path.endswith(".json") or request.path == "/metrics":
    return jsonify({"error": f"{message}: send 'Authorization: Bearer <token>'", "field": None}), 401, CHALLENGE
  # a browser: sign in, then back to the page the request came from (a refused GET: that page itself)
  back = request.full_path if request.method in READ_METHODS else local_path(request.referrer)
  return render_template("login.html", next=local_path(back), error=f"{message}: sign in"), 401, CHALLENGE

@bp.route("/login", methods=("GET", "POST"))
def login():
  nxt = local_path(request.values.get("next"))
  if request.method == "GET": return render_template("login.html", next=nxt, error=None)
  if not current_app.config["TOKEN"]: return redirect(nxt, code=303)
  if not token_matches(request.form.get("token", "")):
    return render_template("login.html", next=nxt, error="wrong access token: it is not the one this server was started with"), 401, CHALLENGE
  session.clear()
  session["signed_in"] = True
  session.permanent = True
  return redirect(nxt, code=303)

@bp.post("/logout")
def logout():
  if current_app.config["TOKEN"]: session.clear()  # without a token there is no session to clear
  return redirect("/", code=303)

class SessionCookie(SecureCookieSessionInterface):
  def get_cookie_secure(self, app) -> bool: return bool(app.config["BEHIND_TLS"]) or request.is_secure

def register(app):
  if app.config["TOKEN"]:
    app.secret_key = hmac.new(app.config["TOKEN"].encode(), b"wino-dash session cookie", hashlib.sha256).digest()
  app.config.update(SESSION_COOKIE_NAME="wino-dash-session", SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
  app.session_interface = SessionCookie()
  app.register_blueprint(bp)

  @app.before_request
  def check():
    if needs_token() and not signed_in(): return refuse()

  @app.context_processor
  def signed_in_flag(): return {"token_required": bool(app.config["TOKEN"]), "signed_in": signed_in}
