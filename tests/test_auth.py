"""Access control: with a token, requests that queue work need it (API: a bearer token; browser: the /login cookie);
reads stay open unless PROTECT_READS; a real server never logs the token and refuses to bind off loopback without one."""
import os, re, subprocess, sys
import pytest
from app import create_app
from tests.serving import Server
from tests.test_reliability import RecordingRunner
from tests.test_serve import get

TOKEN = "s3cret-token-0123456789abcdef"
SPEC = {"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6}, "modes": ["baseline", "old"], "device": "CPU", "repeat": 1}
FORM = {"batch": "1", "cin": "2", "cout": "2", "h": "6", "w": "6", "modes": ["baseline", "old"], "device": "CPU"}

def make(tmp_path, **config):
  runner = RecordingRunner()  # records what got through to be queued; nothing compiles
  return create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "RUNNER": runner, "TESTING": True, "TOKEN": TOKEN, **config}), runner

def test_api_refuses_to_queue_without_the_token_and_accepts_it(tmp_path):
  app, runner = make(tmp_path)
  c = app.test_client()
  for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": f"Bearer {TOKEN[:-1]}"},
                  {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}):
    r = c.post("/api/compare", json=SPEC, headers=headers)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="wino-dash"', headers
    assert "access token" in r.get_json()["error"] and TOKEN not in r.get_data(as_text=True)
  assert runner.submitted == []
  r = c.post("/api/compare", json=SPEC, headers={"Authorization": f"Bearer {TOKEN}"})
  assert r.status_code == 202 and r.get_json()["job"]
  assert len(runner.submitted) == 1
  r = c.post("/api/compare", json=SPEC, headers={"Authorization": f"bearer  {TOKEN} "})  # the scheme is case-insensitive
  assert r.status_code == 202

def test_reads_stay_open_and_the_form_says_to_sign_in(tmp_path):
  app, runner = make(tmp_path)
  c = app.test_client()
  for path in ("/history", "/api/comparisons", "/api/devices"): assert c.get(path).status_code == 200, path
  page = c.get("/").get_data(as_text=True)
  assert 'id="sign-in-needed"' in page and "/login?next=" in page
  r = c.post("/", data=FORM, headers={"Referer": "http://localhost/?cin=2"})
  assert r.status_code == 401 and 'id="f-token"' in r.get_data(as_text=True) and r.headers["WWW-Authenticate"].startswith("Bearer")
  assert 'name="next" value="/?cin=2"' in r.get_data(as_text=True)  # back to the form as it was after signing in
  assert runner.submitted == []

def test_a_browser_signs_in_queues_work_and_signs_out(tmp_path):
  app, runner = make(tmp_path)
  c = app.test_client()
  r = c.post("/login", data={"token": "wrong", "next": "/history"})
  assert r.status_code == 401 and "wrong access token" in r.get_data(as_text=True)
  r = c.post("/login", data={"token": TOKEN, "next": "/history"})
  assert r.status_code == 303 and r.headers["Location"] == "/history"
  cookie = r.headers["Set-Cookie"]
  assert "wino-dash-session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and TOKEN not in cookie
  page = c.get("/").get_data(as_text=True)
  assert 'id="sign-in-needed"' not in page and 'id="sign-out"' in page
  r = c.post("/", data=FORM)
  assert r.status_code == 303 and "/jobs/" in r.headers["Location"] and len(runner.submitted) == 1
  c.post("/logout")
  assert c.post("/", data={**FORM, "cin": "4", "cout": "4"}).status_code == 401 and len(runner.submitted) == 1

def login_cookie(c, **kw) -> str:
  r = c.post("/login", data={"token": TOKEN, "next": "/"}, **kw)
  assert r.status_code == 303
  return r.headers["Set-Cookie"]

def test_the_session_cookie_is_secure_behind_tls(tmp_path):
  plain = make(tmp_path)[0].test_client()
  assert "Secure" not in login_cookie(plain), "over plain http (loopback, tests) a Secure cookie would never come back"
  assert "Secure" in login_cookie(plain, base_url="https://localhost"), "a request that came over https"
  assert "Secure" in login_cookie(make(tmp_path, BEHIND_TLS=True)[0].test_client())

def real_login_cookie(s:Server, headers:dict) -> str:
  import http.client
  con = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
  con.request("POST", "/login", f"token={TOKEN}&next=/", {"Content-Type": "application/x-www-form-urlencoded", **headers})
  r = con.getresponse()
  assert r.status == 303
  return r.getheader("Set-Cookie")

@pytest.mark.parametrize("args,env", [(("--behind-tls",), {}), ((), {"WINO_DASH_BEHIND_TLS": "1"}), (("--trusted-proxy", "127.0.0.1"), {})])
def test_serve_behind_tls_sets_a_secure_cookie(tmp_path, args, env):
  s = Server(str(tmp_path / "db.sqlite3"), env={"WINO_DASH_TOKEN": TOKEN, **env}, args=args).start()
  try:
    if "--trusted-proxy" in args:  # the proxy says whether the browser came over https
      assert "Secure" not in real_login_cookie(s, {"X-Forwarded-Proto": "http"})
      assert "Secure" in real_login_cookie(s, {"X-Forwarded-Proto": "https"})
    else: assert "Secure" in real_login_cookie(s, {})
  finally: s.kill()

def test_login_goes_back_only_to_this_server(tmp_path):
  c = make(tmp_path)[0].test_client()
  for nxt, where in (("//evil.example/x", "/"), ("https://evil.example/x", "/"), ("/c/0123456789abcdef?a=old", "/c/0123456789abcdef?a=old"),
                     ("javascript:alert(1)", "/"), ("", "/"), ("http://[", "/"), ("/\\evil.example", "/")):
    assert c.post("/login", data={"token": TOKEN, "next": nxt}).headers["Location"] == where, nxt

def test_a_new_token_signs_everyone_out(tmp_path):
  old = make(tmp_path)[0].test_client()
  old.post("/login", data={"token": TOKEN})
  cookie = old.get_cookie("wino-dash-session").value
  app, runner = make(tmp_path, TOKEN="another-token-0123456789")
  c = app.test_client()
  c.set_cookie("wino-dash-session", cookie)
  assert c.post("/api/compare", json=SPEC).status_code == 401 and runner.submitted == []

def test_protect_reads_closes_every_page_but_login_and_static(tmp_path):
  app, _ = make(tmp_path, PROTECT_READS=True)
  c = app.test_client()
  assert c.get("/history").status_code == 401 and 'name="next" value="/history"' in c.get("/history").get_data(as_text=True)
  assert c.get("/api/comparisons").status_code == 401 and c.get("/c/0123456789abcdef.json").status_code == 401
  assert c.get("/login").status_code == 200 and c.get("/static/css/wino.css").status_code == 200
  assert c.get("/history", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200

def test_a_real_server_never_logs_the_token(tmp_path):
  log = tmp_path / "access.log"
  s = Server(str(tmp_path / "db.sqlite3"), env={"WINO_DASH_TOKEN": TOKEN}, args=("--access-log", str(log), "--log-level", "debug")).start()
  try:
    wrong = "wrong-" + TOKEN[::-1]
    assert get(s.url + "/api/comparisons")[0] == 200
    import urllib.request
    def post(path, data, headers):
      req = urllib.request.Request(s.url + path, data=data, headers=headers)
      try: return urllib.request.urlopen(req, timeout=30).status
      except urllib.error.HTTPError as e: return e.code
    body = b'{"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6}, "modes": ["baseline", "old"], "repeat": 1, "device": "NOPE"}'
    assert post("/api/compare", body, {"Content-Type": "application/json", "Authorization": f"Bearer {wrong}"}) == 401
    assert post("/api/compare", body, {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}) == 400  # through, then refused: bad device
    assert post("/login", f"token={wrong}&next=/".encode(), {}) == 401
    assert post(f"/login?token={TOKEN}", f"token={TOKEN}&next=/".encode(), {}) == 200  # redirected to the form
    from tests.test_serve import access_lines
    assert [l["status"] for l in access_lines(str(log), 5) if l["path"] in ("/api/compare", "/login")] == [401, 400, 401, 303]
  finally: s.kill()
  for f in (log, tmp_path / "db.sqlite3.log"):
    text = f.read_text()
    assert TOKEN not in text and wrong not in text, f
  assert "wino-dash: serving" in (tmp_path / "db.sqlite3.log").read_text()

def serve_args(*args, env=None) -> subprocess.CompletedProcess:
  env = {k: v for k, v in os.environ.items() if k != "WINO_DASH_TOKEN"} | (env or {})
  return subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", "1", *args], capture_output=True, text=True, timeout=60, env=env)

@pytest.mark.parametrize("args,env,says", [
  (("--host", "0.0.0.0"), None, "not loopback"), (("--host", "10.1.2.3"), {"WINO_DASH_TOKEN": ""}, "not loopback"),
  (("--token", "short"),  None, "fewer than 12"), (("--protect-reads",), None, "needs an access token"),
])
def test_serve_refuses_an_open_shared_server(args, env, says):
  p = serve_args(*args, env=env)
  assert p.returncode == 2 and says in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
