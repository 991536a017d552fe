"""Sweeps run through the app's own job runner (in-process or the RQ queue): each layer is an ordinary comparison job,
submitted one at a time per sweep, so a sweep never fills the queue and a layer already stored never runs again.
A thread advances a sweep when something happened to it: it was submitted, or the job of its current layer changed
state (the store says so), or the queue refused its next layer (tried again when any job ends, or after `retry_s`
should the queue be down); nothing is polled. After a restart it picks unfinished sweeps up where they stopped."""
from __future__ import annotations
import threading, traceback

from app.jobs import QueueFull
from app.store import ACTIVE
from wino_core.compare import CompareRequest
from wino_core.sweep_request import SweepRequest
from wino_core.sweep_table import comparison_outcome, layer_row, totals

class SweepRunner:
  def __init__(self, store, runner, *, max_active:int=10, max_per_client:int=2, retry_s:float=5.0):
    self.store, self.runner, self.retry_s = store, runner, retry_s
    self.max_active, self.max_per_client = max_active, max_per_client
    self._wake, self._closed, self._lock = threading.Event(), threading.Event(), threading.Lock()
    self._submit_lock = threading.Lock()  # the caps are counted and the sweep created as one step
    self._due: set[str] = set()                 # sweeps to advance on the next pass
    self._waiting: dict[str, set[str]] = {}     # job id -> the sweeps whose current layer it runs
    self._refused: set[str] = set()             # sweeps whose next layer the queue refused
    # jobs from before a restart are gone (the runner failed them): their layers wait to be submitted again
    for s in store.list_sweeps(limit=10_000, active=True):
      store.update_sweep(s["id"], layers=[{**l, "job": None} if l["status"] in ("queued", "running") else l for l in s["layers"]])
      self._due.add(s["id"])
    self._stop_listening = store.on_job_state(self._job_changed)
    self._wake.set()
    threading.Thread(target=self._loop, name="wino-dash sweeps", daemon=True).start()

  def submit(self, req:SweepRequest, client:str) -> tuple[dict, bool]:
    """(sweep, new): the sweep stored under the request's id, queued now unless it was already there. Raises QueueFull
    when too many sweeps are active, in all or for this client (each holds a place in the job queue until it ends)."""
    with self._submit_lock:
      if (sweep:=self.store.get_sweep(req.id)) is not None: return sweep, False
      active = self.store.list_sweeps(limit=10_000, active=True)
      if len(active) >= self.max_active:
        raise QueueFull(f"too many sweeps: {len(active)} are queued or running, at most {self.max_active}; try again when one has finished")
      if (mine:=sum(s["client"] == client for s in active)) >= self.max_per_client:
        raise QueueFull(f"too many sweeps for you: {mine} of yours are queued or running, at most {self.max_per_client}; "
                        "wait for one to finish")
      sweep, new = self.store.create_sweep(req.id, req.to_dict(), req.layer_table(), client)
    with self._lock: self._due.add(sweep["id"])
    self._wake.set()
    return sweep, new

  def close(self):
    """Stops advancing the sweeps (an app being shut down; the sweeps stay stored and resume in the next one)."""
    self._stop_listening()
    self._closed.set()
    self._wake.set()

  def _job_changed(self, jid:str, state:str):
    """The store's news of a job (in the job's writer thread): the sweeps waiting on it are due, and when a job ends the
    sweeps the queue refused may find room."""
    with self._lock:
      due = self._waiting.pop(jid, set()) if state in ("done", "failed") else self._waiting.get(jid, set())
      if state in ("done", "failed"): due, self._refused = due | self._refused, set()
      if not due: return
      self._due |= due
    self._wake.set()

  def _loop(self):
    while not self._closed.is_set():
      woken = self._wake.wait(self.retry_s if self._refused else None)
      if self._closed.is_set(): return
      with self._lock:
        self._wake.clear()
        if not woken: self._due, self._refused = self._due | self._refused, set()
        due, self._due = self._due, set()
      try:
        sweeps = [s for sid in due if (s:=self.store.get_sweep(sid)) is not None and s["state"] in ACTIVE]
        for s in sorted(sweeps, key=lambda s: s["created"]): self.advance(s)  # the oldest first, as they were submitted
      except Exception: traceback.print_exc()  # the thread must survive anything

  def _wait_on(self, jid:str, sid:str):
    with self._lock: self._waiting.setdefault(jid, set()).add(sid)

  def advance(self, sweep:dict):
    """One step of a sweep: settle the layers whose comparison is stored or whose job failed, and keep one layer's job
    queued or running."""
    layers, changed = sweep["layers"], False
    def settle(layer:dict, **kw):
      nonlocal changed
      if any(layer.get(k) != v for k, v in kw.items()): layer.update(kw); changed = True
    for layer in layers:
      if layer["status"] in ("done", "failed"): continue
      if self.store.has_comparison(layer["comparison"]):
        settle(layer, status="done", job=None)
        continue
      if layer["job"] is None:
        try: job = self.runner.submit(CompareRequest.from_dict(layer["request"]), sweep["client"])
        except QueueFull:  # full or down for now: tried again when a job ends (or after retry_s)
          with self._lock: self._refused.add(sweep["id"])
          break
        settle(layer, job=job["id"], status=job["state"])
      self._wait_on(layer["job"], sweep["id"])  # before reading its state: a change from now on is heard
      job = self.store.get_job(layer["job"])
      if job is None or job["state"] == "failed":
        settle(layer, status="failed", message=(job or {}).get("message") or "its job was lost")
        continue
      if job["state"] == "done":  # it ended before we listened: its comparison is stored (the job is done after that)
        settle(layer, status="done", job=None)
        continue
      settle(layer, status=job["state"])
      break  # this layer's job runs; the next is submitted when it ends
    done = all(l["status"] in ("done", "failed") for l in layers)
    state = "done" if done else "running" if any(l["status"] != "queued" for l in layers) else "queued"
    if changed or state != sweep["state"]:
      failed = sum(l["status"] == "failed" for l in layers)
      self.store.update_sweep(sweep["id"], layers=layers, state=state, message=f"{failed} of {len(layers)} layers failed" if failed else "",
                              totals=self.totals(layers, sweep["request"]["modes"]) if done else None)

  def totals(self, layers:list[dict], modes:list[str]) -> dict:
    """What history shows of a finished sweep, kept with it so a listing reads no comparisons."""
    return totals([layer_row(l, comparison_outcome(self.store.get_comparison(l["comparison"])) if l["status"] == "done" else None) for l in layers], modes)
