"""What the pages and the API share: submitting a request and reading results. No HTTP here."""
from __future__ import annotations
import threading
from collections import OrderedDict
from flask import current_app

from wino_core.compare import CompareRequest, parse_request

def store(): return current_app.extensions["wino"]["store"]
def runner(): return current_app.extensions["wino"]["runner"]

def devices() -> dict:
  """The device catalogue (picker, /api/devices, request checks): the runner's own where it has one (queue mode: the
  live workers' devices), else what tinygrad opens here."""
  from wino_core.devices import probe
  return runner().devices() if hasattr(runner(), "devices") else probe()

def submit(raw:dict, client:str) -> tuple[CompareRequest, dict | None]:
  """Validates and queues. Returns (request, job); job is None when the comparison is already stored.
  Raises SpecError (bad input) or QueueFull (QueueDown: the queue cannot be reached)."""
  req = parse_request(raw, min_modes=2, max_repeat=100, devices=devices()["devices"])
  if store().get_comparison(req.id) is not None: return req, None
  return req, runner().submit(req, client)

_cache_lock = threading.Lock()
def cached_page(key:tuple, render):
  """Stored comparisons never change, so a rendered view of one can be kept; a bounded LRU per app keeps memory flat."""
  cache = current_app.extensions["wino"].setdefault("pages", OrderedDict())
  with _cache_lock:
    if (html:=cache.get(key)) is not None:
      cache.move_to_end(key)
      return html
  html = render()  # outside the lock: two threads may render the same view once each, never wait on each other
  with _cache_lock:
    cache[key] = html
    while len(cache) > current_app.config["PAGE_CACHE_SIZE"]: cache.popitem(last=False)
  return html

def job_view(job:dict) -> dict:
  """The JSON a job page polls."""
  import time
  from flask import url_for
  ahead = None
  if job["state"] == "queued":  # jobs on the same device that run first (one at a time per device)
    ahead = sum(1 for j in store().active_jobs() if j["request"].get("device") == job["request"].get("device") and
                (j["state"] == "running" or j["created"] < job["created"]))
  return {"job": job["id"], "id": job["comparison_id"], "state": job["state"], "progress": job["progress"], "message": job["message"],
          "url": url_for("pages.result", cid=job["comparison_id"]), "ahead": ahead,
          "elapsed_s": (time.time() if job["state"] in ("queued", "running") else job["updated"]) - job["created"]}
