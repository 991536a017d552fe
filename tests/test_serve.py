"""`wino-dash serve` as a real process: the production server (waitress), --dev, the access log."""
import json, time, urllib.error, urllib.request
from tests.serving import Server

def get(url:str, headers:dict|None=None) -> tuple[int, dict, bytes]:
  try:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as r: return r.status, dict(r.headers), r.read()
  except urllib.error.HTTPError as e: return e.code, dict(e.headers), e.read()

def access_lines(path:str, want:int, timeout:float=5) -> list[dict]:
  """The access log's JSON lines once there are `want` of them (a background thread writes them)."""
  end = time.monotonic() + timeout
  while True:
    with open(path) as f: lines = [json.loads(l) for l in f if l.startswith('{"time"')]
    if len(lines) >= want or time.monotonic() > end: return lines
    time.sleep(0.1)

def test_serve_runs_on_waitress_and_logs_each_request_as_one_json_line(tmp_path):
  s = Server(str(tmp_path / "db.sqlite3")).start()  # the access log goes to stderr by default
  try:
    status, headers, _ = get(s.url + "/history")
    assert status == 200 and headers["Server"] == "waitress"
    assert get(s.url + "/c/00000000000000ff?a=old&b=new")[0] == 404
    assert get(s.url + "/no/such/page")[0] == 404
    lines = access_lines(s.db + ".log", 4)  # /api/devices (the start-up probe) and the three above
  finally: s.kill()
  by_path = {l["path"]: l for l in lines}
  assert {"/history", "/c/00000000000000ff", "/no/such/page"} <= set(by_path), lines
  h = by_path["/history"]
  assert h["method"] == "GET" and h["status"] == 200 and h["ms"] > 0 and h["bytes"] > 0 and h["client"] == "127.0.0.1"
  assert by_path["/no/such/page"]["status"] == 404
  assert not any("?" in l["path"] for l in lines)  # no query strings

def test_access_log_to_a_file_behind_a_proxy_and_off_above_info(tmp_path):
  log = tmp_path / "access.log"
  s = Server(str(tmp_path / "db.sqlite3"), args=("--access-log", str(log), "--trusted-proxy", "127.0.0.1")).start()
  try:
    get(s.url + "/history", {"X-Forwarded-For": "10.9.8.7", "X-Forwarded-Proto": "https"})
    lines = access_lines(str(log), 2)
    assert [(l["path"], l["client"]) for l in lines] == [("/api/devices", "127.0.0.1"), ("/history", "10.9.8.7")]  # the client behind the proxy
  finally: s.kill()
  quiet = Server(str(tmp_path / "quiet.sqlite3"), args=("--access-log", str(tmp_path / "quiet.log"), "--log-level", "warning")).start()
  try:
    assert get(quiet.url + "/history")[0] == 200
    assert access_lines(str(tmp_path / "quiet.log"), 1, timeout=1) == []
  finally: quiet.kill()

def test_dev_runs_flask_development_server(tmp_path):
  s = Server(str(tmp_path / "db.sqlite3"), args=("--dev",)).start()
  try:
    status, headers, _ = get(s.url + "/history")
    assert status == 200 and headers["Server"].startswith("Werkzeug/")
  finally: s.kill()
