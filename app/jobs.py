"""A job's life, the same under both runners (in_process_runner.py, rq_runner.py): admitted or refused, then its
finished comparison stored and the job done. Jobs live in the store."""
from __future__ import annotations
import uuid

from wino_core.compare import CompareRequest

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
