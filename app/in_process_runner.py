"""The embedded job runner: a worker thread per device feeding child processes, so jobs that time kernels on one
device run one at a time (parallel runs on one device make each other's numbers lie). Jobs live in the store."""
from __future__ import annotations
import queue, threading, time, traceback
from typing import Callable

from app.jobs import admit, initial_progress, record_result
from wino_core.compare import CompareRequest, compare
from wino_core.run import RunSettings

class InProcessRunner:
  def __init__(self, store, *, max_queue:int=20, max_per_client:int=5, settings:RunSettings=RunSettings(),
               run_comparison:Callable[..., dict]=compare, metrics=None):
    self.store, self.max_queue, self.max_per_client, self.settings = store, max_queue, max_per_client, settings
    self.metrics = metrics
    self.run_comparison = run_comparison
    self._queues: dict[str, queue.Queue] = {}
    self._threads: dict[str, threading.Thread] = {}
    self._lock = threading.Lock()
    # a restart leaves nothing running: what was queued or running before it is failed, never stuck
    store.fail_unfinished("interrupted: the server restarted before this job finished; re-run it")

  def submit(self, req:CompareRequest, client:str) -> dict:
    """Queues a job for the request, or returns the one already queued/running for the same comparison."""
    with self._lock:
      job, new = admit(self.store, req, client, self.max_queue, self.max_per_client)
      if new: self._queue_for(req.device).put((job["id"], req))
    return job

  def _queue_for(self, device:str) -> queue.Queue:
    if (q:=self._queues.get(device)) is None:
      q = self._queues[device] = queue.Queue()
      t = self._threads[device] = threading.Thread(target=self._work, args=(q,), name=f"wino-dash jobs {device}", daemon=True)
      t.start()
    return q

  def health(self) -> dict:
    """/healthz: every device's job thread is alive (one that died would leave its device's jobs queued forever)."""
    dead = sorted(d for d, t in self._threads.items() if not t.is_alive())
    return {"ok": not dead, "runner": "in-process", "devices": sorted(self._threads),
            **({"error": f"the job thread of {', '.join(dead)} has stopped: restart the server"} if dead else {})}

  def _work(self, q:queue.Queue):
    while True:
      jid, req = q.get()
      try: self.run_job(jid, req)
      except Exception as e:  # the worker thread must survive anything a job does
        traceback.print_exc()
        self.store.update_job(jid, state="failed", message=f"{type(e).__name__}: {e}"[:500])

  def run_job(self, jid:str, req:CompareRequest):
    progress, st = initial_progress(req.modes), time.monotonic()
    self.store.update_job(jid, state="running", progress=progress)
    def on_progress(mode:str, phase:str):
      progress["modes"][mode], progress["current"] = phase, mode
      self.store.update_job(jid, progress=progress)
    cmp = self.run_comparison(req, self.settings, on_progress)
    record_result(self.store, jid, req.id, req.to_dict(), cmp, progress, self.metrics, time.monotonic() - st)
