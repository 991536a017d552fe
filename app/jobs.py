"""The embedded job runner: a worker thread per device feeding child processes, so jobs that time kernels on one
device run one at a time (parallel runs on one device make each other's numbers lie). Jobs live in the store."""
from __future__ import annotations
import queue, threading, time, traceback, uuid
from typing import Callable

from wino_core.compare import CompareRequest, compare
from wino_core.run import RunSettings

class QueueFull(Exception):
  """Refused: too many jobs queued, in all or for this client."""
  status = 429

class QueueDown(QueueFull):
  """Refused: the job queue (Redis, in queue mode) cannot be reached."""
  status = 503

def initial_progress(modes) -> dict: return {"modes": {m: "queued" for m in modes}, "current": None}

def admit(store, req:CompareRequest, client:str, max_queue:int, max_per_client:int) -> tuple[dict, bool]:
  """(job, new): a new queued job for the request, or the one already queued/running for the same comparison.
  Raises QueueFull over the limits. The caller holds its submit lock."""
  active = store.active_jobs()
  if (same:=next((j for j in active if j["comparison_id"] == req.id), None)) is not None: return same, False
  if len(active) >= max_queue: raise QueueFull(f"queue full: {len(active)} jobs are waiting or running; try again later")
  if sum(j["client"] == client for j in active) >= max_per_client:
    raise QueueFull(f"queue full for you: {max_per_client} of your jobs are already waiting or running")
  jid = uuid.uuid4().hex[:16]
  job = store.create_job(jid, req.id, req.to_dict(), client, initial_progress(req.modes))
  return job, job["id"] == jid

def record_result(store, jid:str, cid:str, request:dict, cmp:dict, progress:dict, metrics=None, run_s:float|None=None):
  """A finished comparison: stored under its id (immutable), then the job is done (and counted in `metrics`)."""
  store.put_comparison(cid, request, cmp)
  if metrics is not None: metrics.observe_result(request["device"], cmp, run_s)
  failed = [f"{m}: {r['status']}" for m, r in cmp["runs"].items() if r["status"] not in ("ok", "not_applicable")]
  store.update_job(jid, state="done", progress={**progress, "current": None},
                   message=("finished with failures (" + ", ".join(failed) + ")") if failed else "")

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
