"""The HTTP servers `wino-dash serve` runs the app on: waitress by default, Flask's development server behind --dev.

Why waitress: it is pure Python (Linux, macOS, Windows alike) and serves from ONE process with a pool of threads. The
embedded job runner keeps one worker thread per device in the server's process, so that jobs timing kernels on a
device never overlap, and fails what a restart interrupted; a pre-fork server (gunicorn's workers) would start one
runner per worker process, each failing the others' jobs and timing on the same device at once. waitress also reads
each request whole in its I/O loop before a worker thread sees it, so a slow client holds a socket, never a thread."""
from __future__ import annotations
import signal, sys
from typing import Callable
from flask import Flask

def serve_production(app:Flask, host:str, port:int, *, threads:int=8, connection_limit:int=200, trusted_proxy:str|None=None):
  import waitress
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # systemd's stop: exit cleanly, so the access log is written out
  proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1, "clear_untrusted_proxy_headers": True,
           "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}} if trusted_proxy else {}
  waitress.serve(app, host=host, port=port, threads=threads, connection_limit=connection_limit,
                 asyncore_use_poll=True,  # poll(), not select(): no limit of 1,024 file descriptors
                 **proxy)

def serve_dev(make_app:Callable[[], Flask], host:str, port:int):
  """Flask's development server with the auto-reloader (no interactive debugger: it would run code for anyone who can
  reach the port). The reloader's parent process only watches the files and restarts the child that serves, so only
  the child builds the app (one job runner, one queue collector)."""
  from werkzeug.serving import is_running_from_reloader, run_simple
  if not is_running_from_reloader(): print(f"wino-dash: development server (auto-reload) on http://{host}:{port}", file=sys.stderr)
  run_simple(host, port, make_app() if is_running_from_reloader() else None, use_reloader=True, threaded=True)
