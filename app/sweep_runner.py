"""Sweeps run through the app's own job runner (in-process or the RQ queue): each layer is an ordinary comparison job,
submitted one at a time per sweep, so a sweep never fills the queue and a layer already stored never runs again.
A thread walks the active sweeps in the store; after a restart it picks unfinished ones up where they stopped."""
from __future__ import annotations
import threading, traceback

from app.jobs import QueueFull
from wino_core.compare import CompareRequest
from wino_core.sweep import SweepRequest, layer_row, totals

class SweepRunner:
  def __init__(self, store, runner, *, poll_s:float=0.3):
    self.store, self.runner, self.poll_s = store, runner, poll_s
    self._wake, self._closed = threading.Event(), threading.Event()
    # jobs from before a restart are gone (the runner failed them): their layers wait to be submitted again
    for s in store.list_sweeps(limit=10_000, active=True):
      store.update_sweep(s["id"], layers=[{**l, "job": None} if l["status"] in ("queued", "running") else l for l in s["layers"]])
    threading.Thread(target=self._loop, name="wino-dash sweeps", daemon=True).start()

  def submit(self, req:SweepRequest, client:str) -> tuple[dict, bool]:
    """(sweep, new): the sweep stored under the request's id, queued now unless it was already there."""
    sweep, new = self.store.create_sweep(req.id, req.to_dict(), req.layer_table(), client)
    self._wake.set()
    return sweep, new

  def close(self):
    """Stops walking the sweeps (an app being shut down; the sweeps stay stored and resume in the next one)."""
    self._closed.set()
    self._wake.set()

  def _loop(self):
    while not self._closed.is_set():
      self._wake.wait(self.poll_s)
      if self._closed.is_set(): return
      self._wake.clear()
      try:
        for s in self.store.list_sweeps(limit=10_000, active=True): self.advance(s)
      except Exception: traceback.print_exc()  # the thread must survive anything

  def advance(self, sweep:dict):
    """One step of a sweep: settle the layers whose comparison is stored or whose job failed, and keep one layer's job
    queued or running."""
    layers, changed = sweep["layers"], False
    def settle(layer:dict, **kw):
      nonlocal changed
      if any(layer.get(k) != v for k, v in kw.items()): layer.update(kw); changed = True
    for layer in layers:
      if layer["status"] in ("done", "failed"): continue
      if self.store.get_comparison(layer["comparison"]) is not None:
        settle(layer, status="done", job=None)
        continue
      if layer["job"] is None:
        try: job = self.runner.submit(CompareRequest.from_dict(layer["request"]), sweep["client"])
        except QueueFull: break  # full or down for now: tried again on the next pass
        settle(layer, job=job["id"], status=job["state"])
      job = self.store.get_job(layer["job"])
      if job is None or job["state"] == "failed":
        settle(layer, status="failed", message=(job or {}).get("message") or "its job was lost")
        continue
      settle(layer, status=job["state"] if job["state"] != "done" else layer["status"])
      break  # this layer's job runs; the next is submitted when it ends
    done = all(l["status"] in ("done", "failed") for l in layers)
    state = "done" if done else "running" if any(l["status"] != "queued" for l in layers) else "queued"
    if changed or state != sweep["state"]:
      failed = sum(l["status"] == "failed" for l in layers)
      self.store.update_sweep(sweep["id"], layers=layers, state=state, message=f"{failed} of {len(layers)} layers failed" if failed else "",
                              totals=self.totals(layers, sweep["request"]["modes"]) if done else None)

  def totals(self, layers:list[dict], modes:list[str]) -> dict:
    """What history shows of a finished sweep, kept with it so a listing reads no comparisons."""
    return totals([layer_row(l, self.store.get_comparison(l["comparison"]) if l["status"] == "done" else None) for l in layers], modes)
