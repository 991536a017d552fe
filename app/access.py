"""The access log and the process's log set-up. Each request is timed once (the log line and the latency metric share
the figure); its line is one JSON object (time, method, path, status, ms, bytes, client), never headers, bodies or the
query string, so no credential reaches the log. Records go through a queue to a background thread that writes them,
so a slow terminal or disk never holds up a request."""
from __future__ import annotations
import atexit, json, logging, logging.handlers, queue, sys, time
from flask import request

log = logging.getLogger("wino_dash.access")
QUIET_PATHS = ("/healthz", "/metrics")  # polled every few seconds by probes and scrapers: logged at debug level

def register(app, on_request=None):
  """Times every request; `on_request(method, route, status, seconds)` also gets each one (the latency metric)."""
  @app.before_request
  def start(): request.environ["wino_dash.start"] = time.perf_counter()

  @app.after_request
  def done(resp):
    st = request.environ.get("wino_dash.start")
    if st is None: return resp  # refused before the timer started
    dt = time.perf_counter() - st
    if on_request: on_request(request.method, request.url_rule.rule if request.url_rule else "(unmatched)", resp.status_code, dt)
    level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
    if log.isEnabledFor(level):
      log.log(level, "%s %s %d", request.method, request.path, resp.status_code, extra={"access": {
        "method": request.method, "path": request.path, "status": resp.status_code, "ms": round(dt * 1e3, 2),
        "bytes": resp.content_length, "client": request.remote_addr}})
    return resp

class JsonLines(logging.Formatter):
  def format(self, record:logging.LogRecord) -> str:
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
    return json.dumps({"time": ts, **record.access})

def is_access(record:logging.LogRecord) -> bool: return hasattr(record, "access")

def configure(level:str="info", access_file:str|None=None) -> logging.handlers.QueueListener:
  """Every record of this process goes through a queue to one writer thread: access lines to `access_file` (default
  or "-": stderr), the rest to stderr. `level` (debug, info, warning, error) applies to both; above info there is no
  access log."""
  text = logging.StreamHandler(sys.stderr)
  text.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
  text.addFilter(lambda r: not is_access(r))
  # WatchedFileHandler reopens the file after logrotate moves it
  access = logging.handlers.WatchedFileHandler(access_file) if access_file and access_file != "-" else logging.StreamHandler(sys.stderr)
  access.setFormatter(JsonLines())
  access.addFilter(is_access)
  q: queue.SimpleQueue = queue.SimpleQueue()
  root = logging.getLogger()
  root.handlers[:] = [logging.handlers.QueueHandler(q)]
  root.setLevel(level.upper())
  listener = logging.handlers.QueueListener(q, text, access)
  listener.start()
  atexit.register(listener.stop)  # writes out what is still queued
  return listener
