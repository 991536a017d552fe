"""A real wino-dash server in a child process on a free loopback port, for browser and load tests."""
from __future__ import annotations
import json, os, shutil, signal, socket, subprocess, sys, time, urllib.request

def free_port() -> int:
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]

class Server:
  def __init__(self, db:str, port:int|None=None, env:dict|None=None, args:tuple[str, ...]=()):
    self.db, self.port, self.args = db, port or free_port(), args
    self.url = f"http://127.0.0.1:{self.port}"
    self.env = {**os.environ, **(env or {})}
    self.proc: subprocess.Popen | None = None

  def start(self, timeout:float=60) -> Server:
    self.log = open(self.db + ".log", "ab")
    self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--db", self.db, *self.args],
                                 stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
                                 start_new_session=True)  # a group of its own: kill() also ends --dev's reloader child
    end = time.monotonic() + timeout
    while time.monotonic() < end:
      try:
        urllib.request.urlopen(self.url + "/api/devices", timeout=30).read()
        return self
      except OSError: time.sleep(0.2)
      if self.proc.poll() is not None: break
    raise RuntimeError(f"server did not start: {open(self.db + '.log').read()[-2000:]}")

  def kill(self):
    if self.proc and self.proc.poll() is None:
      os.killpg(self.proc.pid, signal.SIGKILL)
      self.proc.wait()

def chromium_path() -> str | None:
  """Debian's chromium where there is one; None lets Playwright use its own build (macOS)."""
  if (p:=os.environ.get("WINO_DASH_CHROMIUM")): return p
  return next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

def compare_via_api(server:Server, body:dict, timeout:float=180) -> dict:
  """One comparison through the real server's API, waited for; returns its stored JSON."""
  req = urllib.request.Request(server.url + "/api/compare", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
  r = json.loads(urllib.request.urlopen(req, timeout=30).read())
  end = time.monotonic() + timeout
  while r.get("status_url") and time.monotonic() < end:
    if json.loads(urllib.request.urlopen(server.url + r["status_url"], timeout=30).read())["state"] in ("done", "failed"): break
    time.sleep(0.3)
  return json.loads(urllib.request.urlopen(f"{server.url}/c/{r['id']}.json", timeout=30).read())

def page_errors(page) -> list[str]:
  """The page's uncaught errors and console errors, as they come."""
  errors = []
  page.on("pageerror", lambda e: errors.append(str(e)))
  page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
  return errors
