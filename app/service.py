"""What the pages and the API share: submitting a request and reading results. No HTTP here."""
from __future__ import annotations
import threading
from collections import OrderedDict
from flask import current_app

from wino_core.compare import CompareRequest, parse_request

def store(): return current_app.extensions["wino"]["store"]
def runner(): return current_app.extensions["wino"]["runner"]
def sweeps(): return current_app.extensions["wino"]["sweeps"]

def devices() -> dict:
  """The device catalogue (picker, /api/devices, request checks): the runner's own where it has one (queue mode: the
  live workers' devices), else what tinygrad opens here."""
  from wino_core.devices import probe
  return runner().devices() if hasattr(runner(), "devices") else probe()

def tinygrad_envs() -> dict[str, dict]:
  """name -> identity of the tinygrad environments columns can name: the live workers' (queue mode), else this host's."""
  from wino_core.columns import available_envs
  devs = devices()["devices"]
  if any("tinygrad_envs" in d for d in devs): return {k: v for d in devs for k, v in d.get("tinygrad_envs", {}).items()}
  return available_envs(current_app.config["TINYGRAD_ENVS"])

def current_device(raw):
  """A request as today's names say it: a link or re-run form from before names a worker's device "CPU@gpu-1"."""
  from app.worker_devices import current_spelling
  device = raw.get("device") if isinstance(raw, dict) else None
  return {**raw, "device": current_spelling(device)} if isinstance(device, str) else raw

def submit(raw:dict, client:str) -> tuple[CompareRequest, dict | None]:
  """Validates and queues. Returns (request, job); job is None when the comparison is already stored.
  Raises SpecError (bad input) or QueueFull (QueueDown: the queue cannot be reached)."""
  req = parse_request(current_device(raw), min_modes=2, max_repeat=100, devices=devices()["devices"], envs_home=current_app.config["TINYGRAD_ENVS"])
  if store().has_comparison(req.id): return req, None  # asked of the store, not parsed: submit is a hot path
  return req, runner().submit(req, client)

def submit_sweep(raw:dict, client:str) -> tuple[dict, bool]:
  """Validates a sweep request and stores it (queued) unless it is stored already: (sweep, new). Raises SpecError, or
  QueueFull over the active-sweep caps."""
  from wino_core.sweep_request import parse_sweep
  return sweeps().submit(parse_sweep(current_device(raw), devices=devices()["devices"], max_layers=current_app.config["MAX_SWEEP_LAYERS"]), client)

def sweep_view(sweep:dict) -> dict:
  """A sweep as the page and its JSON show it: the request, progress (layer k of n, the running layer's modes), the
  per-layer rows from the stored comparisons and the totals."""
  from wino_core.sweep_table import comparison_outcome, layer_row, totals
  layers, modes = sweep["layers"], sweep["request"]["modes"]
  def outcome(cid:str) -> dict|None:  # a page polls each second while the sweep runs: each finished layer's is read once
    return kept("sweep_rows", cid, lambda: (c:=store().get_comparison(cid)) and comparison_outcome(c), current_app.config["SWEEP_ROW_CACHE_SIZE"])
  rows = [layer_row(l, outcome(l["comparison"]) if l["status"] == "done" else None) for l in layers]
  current = next((i for i, l in enumerate(layers) if l["status"] in ("queued", "running") and l["job"]), None)
  job = store().get_job(layers[current]["job"]) if current is not None else None
  return {"id": sweep["id"], "state": sweep["state"], "message": sweep["message"], "created": sweep["created"], "request": sweep["request"],
          "progress": {"done": sum(l["status"] in ("done", "failed") for l in layers), "total": len(layers), "current": current,
                       "job": job and {"id": job["id"], "state": job["state"], "progress": job["progress"], "message": job["message"]}},
          "rows": rows, "totals": totals(rows, modes)}

_cache_lock = threading.Lock()
def kept(name:str, key, make, size:int):
  """What never changes once made from a stored comparison (immutable by its id), kept in a bounded LRU per app so
  memory stays flat. A None made is not kept."""
  cache = current_app.extensions["wino"].setdefault(name, OrderedDict())
  with _cache_lock:
    if (got:=cache.get(key)) is not None:
      cache.move_to_end(key)
      return got
  got = make()  # outside the lock: two threads may make the same thing once each, never wait on each other
  if got is not None:
    with _cache_lock:
      cache[key] = got
      while len(cache) > size: cache.popitem(last=False)
  return got

def cached_page(key:tuple, render):
  """A rendered view of a stored comparison."""
  return kept("pages", key, render, current_app.config["PAGE_CACHE_SIZE"])

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
