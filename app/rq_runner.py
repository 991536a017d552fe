"""Jobs on RQ (Redis) for `serve --queue`: a job goes to the queue of the worker and device it names ("gpu-1/CPU");
a collector thread copies progress and results from Redis into the server's store, which stays the one place results
live. The server reads only JSON from Redis (RQ's JSONSerializer) and never imports anything a job names."""
from __future__ import annotations
import json, platform, threading, time, traceback
from dataclasses import replace

from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from app.jobs import QueueDown, admit, initial_progress, record_result
from wino_core.compare import CompareRequest
from wino_core.devices import tinygrad_version
from wino_core.run import RunSettings
from app.rq_worker import JOB_FUNC, PREFIX, connect, queue_name, redact
from app.worker_devices import device_id, split_device_id

class RqRunner:
  def __init__(self, store, url:str, *, max_queue:int=20, max_per_client:int=5, settings:RunSettings=RunSettings(), poll_s:float=0.5, metrics=None):
    self.store, self.url, self.max_queue, self.max_per_client, self.metrics = store, url, max_queue, max_per_client, metrics
    # the settings travel with each job; the paths are this host's, a worker uses its own search cache and environments
    self.settings, self.poll_s = replace(settings, search_cache=None, envs_home=None), poll_s
    self.conn = connect(url, socket_timeout=2)
    self.down: str | None = None       # why the queue cannot be reached, while it cannot
    self.workers: dict[str, dict] = {}  # live workers by name, from their heartbeats (the last known while Redis is down)
    self._lock = threading.Lock()
    self.poll()
    threading.Thread(target=self._collect, name="wino-dash rq collector", daemon=True).start()

  # ***** what the app calls *****
  def devices(self) -> dict:
    """The catalogue requests are checked against and the picker lists: every live worker's devices, by worker and device."""
    devs = [{**d, "name": device_id(w["name"], d["name"]), "device": d["name"], "worker": w["name"], "host": w["host"],
             "tinygrad": w["tinygrad"], "default": False, "label": f"{d['name']} — {d.get('model') or d['renderer']} on {w['name']}"}
            for w in sorted(self.workers.values(), key=lambda w: w["name"]) for d in w["devices"]]
    if devs: devs[0]["default"] = True
    error = self.down or (None if devs else f"no worker is live on the queue {redact(self.url)}: start one with `wino-dash worker --queue …`")
    return {"tinygrad": tinygrad_version(), "host": platform.node(), "queue": redact(self.url), "devices": devs,
            "workers": [{k: w[k] for k in ("name", "host", "tinygrad", "at")} for w in self.workers.values()], **({"error": error} if error else {})}

  def submit(self, req:CompareRequest, client:str) -> dict:
    """Puts a job on its device's queue, or returns the one already queued/running for the same comparison."""
    if self.down: raise QueueDown(self.down)
    with self._lock:
      job, new = admit(self.store, req, client, self.max_queue, self.max_per_client)
      if not new: return job
      try:
        Queue(_queue_of(req.device), connection=self.conn, serializer=JSONSerializer).enqueue(
          JOB_FUNC, req.to_dict(), self.settings.to_dict(), job_id=job["id"], meta={"progress": initial_progress(req.modes)},
          job_timeout=self.settings.job_limit_s(req.modes, req.search), result_ttl=24 * 3600, failure_ttl=24 * 3600)
      except RedisError as e:
        self.down = self.down_message
        self.store.update_job(job["id"], state="failed", message=self.down)
        raise QueueDown(self.down) from e
    return job

  def health(self) -> dict:
    """/healthz: Redis answers (live workers are counted, not required: they come and go)."""
    try: self.conn.ping()
    except RedisError: return {"ok": False, "runner": "queue", "queue": redact(self.url), "error": self.down_message}
    return {"ok": True, "runner": "queue", "queue": redact(self.url), "workers": sorted(self.workers)}

  # ***** the collector *****
  def _collect(self):
    while True:
      time.sleep(self.poll_s)
      try: self.poll()
      except Exception: traceback.print_exc()  # the collector must survive anything

  def poll(self):
    """One look at Redis: live workers, then every active job of the store."""
    try:
      self.workers = self._live_workers()
      active = self.store.active_jobs()
      rjobs = Job.fetch_many([j["id"] for j in active], connection=self.conn, serializer=JSONSerializer) if active else []
      expired = {q: set(StartedJobRegistry(q, connection=self.conn).get_expired_job_ids()) for q in {_queue_of(j["request"]["device"]) for j in active}}
      for sj, rj in zip(active, rjobs): self._update(sj, rj, expired)
    except RedisError:
      if not self.down:
        self.down = self.down_message
        for j in self.store.active_jobs(): self.store.update_job(j["id"], message=f"{self.down}; waiting for it")
      return
    if self.down:
      self.down = None
      for j in self.store.active_jobs(): self.store.update_job(j["id"], message="")

  def _live_workers(self) -> dict[str, dict]:
    keys = list(self.conn.scan_iter(match=f"{PREFIX}:worker:*", count=1000))
    found = {}
    for raw in (self.conn.mget(keys) if keys else []):
      try:
        w = json.loads(raw)
        found[w["name"]] = {"name": str(w["name"]), "host": str(w["host"]), "tinygrad": str(w["tinygrad"]), "at": float(w["at"]),
                            "devices": [{"name": str(d["name"]), "model": str(d.get("model", "")), "renderer": str(d.get("renderer", "")),
                                         "arch": str(d.get("arch", "")), "dtypes": [str(x) for x in d["dtypes"]],
                                         "tinygrad_envs": {str(k): dict(v) for k, v in (d.get("tinygrad_envs") or {}).items()},
                                         **({"code": str(d["code"])} if d.get("code") else {})} for d in w["devices"]]}
      except (TypeError, ValueError, KeyError): continue  # expired between scan and get, or not a heartbeat we can read
    return found

  def _update(self, sj:dict, rj:Job|None, expired:dict[str, set]):
    jid, device = sj["id"], sj["request"]["device"]
    worker = split_device_id(device)[0]
    def fail(message:str):
      self.store.update_job(jid, state="failed", message=message)
      if rj is not None: rj.delete()
    if rj is None: return fail("the queue lost this job (Redis restarted without persistence, or was flushed); re-run it")
    status = rj.get_status(refresh=False)
    if status == JobStatus.FINISHED:
      try: cmp = rj.return_value()
      except Exception as e: return fail(f"the worker's result could not be read ({type(e).__name__}); re-run it")
      if not isinstance(cmp, dict) or not isinstance(cmp.get("runs"), dict):
        return fail(f"worker {worker} returned no comparison; re-run it")
      record_result(self.store, jid, sj["comparison_id"], sj["request"], {**cmp, "device": device}, rj.meta.get("progress") or sj["progress"],
                    self.metrics, (cmp.get("worker") or {}).get("wall_s"))
      rj.delete()  # only now: the result is in the store
    elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
      res = rj.latest_result()
      last = next((l.strip() for l in reversed(((res and res.exc_string) or "").splitlines()) if l.strip()), "failed or stopped")
      fail(f"worker {worker} failed this job: {last[:300]}")
    elif status == JobStatus.STARTED and jid in expired[_queue_of(device)]:
      fail(f"worker {worker} stopped heartbeating while running this job (killed, or cut off from Redis); re-run it")
    elif status == JobStatus.STARTED:
      progress = rj.meta.get("progress") or sj["progress"]
      if sj["state"] != "running" or progress != sj["progress"]: self.store.update_job(jid, state="running", progress=progress)
    elif worker not in self.workers:
      fail(f"no live worker serves {device}: {worker} stopped heartbeating before it ran this job; re-run it when it is back")

  @property
  def down_message(self) -> str: return f"the queue is down ({redact(self.url)} unreachable)"

def _queue_of(name:str) -> str:
  """The queue of a worker's device: gpu-1's CPU queue for "gpu-1/CPU" (and for "CPU@gpu-1", as jobs queued before said)."""
  return queue_name(*split_device_id(name))
