"""`wino-dash worker`: serves the devices tinygrad opens on this host to a wino-dash server, through RQ on Redis.

One RQ worker process per device, each listening only on its own queue `wino-dash:<worker>:<device>`: at most one job
runs on a device at a time, however many workers and servers there are. A heartbeat key `wino-dash:worker:<name>`
(JSON: name, host, tinygrad, devices) tells servers which workers are live; it expires when the worker stops.
Everything in Redis is JSON (RQ's JSONSerializer): nothing is pickled, on either side."""
from __future__ import annotations
import json, multiprocessing, os, platform, signal, sys, threading, time, uuid
from urllib.parse import urlsplit, urlunsplit

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from app.worker_devices import device_id, split_device_id, valid_worker_name

PREFIX = "wino-dash"
HEARTBEAT_S, HEARTBEAT_TTL_S = 3, 15  # a worker that misses ~5 beats drops out of the servers' device lists
MONITOR_S, GRACE_S = 5, 10            # a running job's RQ heartbeat: renewed every MONITOR_S, expires GRACE_S later
JOB_FUNC = "app.rq_worker.run_job"
JOB_FUNC_BEFORE = "wino_core.worker.run_job"  # the name jobs were queued under before the worker moved out of wino_core

def worker_key(name:str) -> str: return f"{PREFIX}:worker:{name}"
def queue_name(worker:str, device:str) -> str: return f"{PREFIX}:{worker}:{device}"

def connect(url:str, socket_timeout:float=5) -> Redis:
  # short timeouts: a Redis that is down or unreachable must fail fast, never hang a page or a heartbeat
  return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=socket_timeout, health_check_interval=10)

def redact(url:str) -> str:
  """The URL without its password, for messages and pages."""
  u = urlsplit(url)
  if not u.password: return url
  return urlunsplit(u._replace(netloc=f"{u.username or ''}:***@{u.hostname}" + (f":{u.port}" if u.port else "")))

# ***** in the RQ work-horse: one comparison *****

_SERVING: dict = {}  # this device process's worker and device, for the result's provenance

def run_job(request:dict, settings:dict|float|None=None) -> dict:
  """The RQ job: one comparison on this host's device, phases written to job.meta for the server's job page. `settings`:
  the server's RunSettings (a number: a job queued by a wino-dash before them, its run timeout); the search cache and
  the tinygrad environments are this host's."""
  from dataclasses import replace
  from rq import get_current_job
  from wino_core.compare import CompareRequest, compare
  from wino_core.run import RunSettings
  from wino_core.search import user_cache_path
  st = time.perf_counter()
  _exit_with_parent()
  job = get_current_job()
  progress = {"modes": {m: "queued" for m in request["modes"]}, "current": None}
  def on_progress(mode:str, phase:str):
    progress["modes"][mode], progress["current"] = phase, mode
    job.meta["progress"] = progress
    try: job.save_meta()
    except RedisError: pass  # progress is best effort; the result is what counts
  req = CompareRequest.from_dict(request)
  device = split_device_id(req.device)[1]
  if device != _SERVING.get("device"): raise ValueError(f"this worker serves {_SERVING.get('device')}, not {device}")
  given = RunSettings.from_dict(settings) if isinstance(settings, dict) else RunSettings(**({"timeout_s": settings} if settings else {}))
  cmp = compare(replace(req, device=device), replace(given, search_cache=user_cache_path(), envs_home=_SERVING.get("envs_home")), on_progress)
  return {**cmp, "worker": {**{k: _SERVING[k] for k in ("name", "host", "model")}, "wall_s": time.perf_counter() - st}}

def _exit_with_parent():
  """Stop when the process above this one dies: RQ's work-horse runs in a process group of its own, and a device
  process must not outlive its `wino-dash worker` (a restarted one would then put two jobs on one device at once)."""
  parent = os.getppid()
  def watch():
    while os.getppid() == parent: time.sleep(0.5)
    os._exit(1)
  threading.Thread(target=watch, daemon=True).start()

class WinoJob(Job):
  """Runs wino-dash's job function and nothing else: whoever can write to Redis cannot make a worker import other code."""
  @property
  def func(self):
    if self.func_name not in (JOB_FUNC, JOB_FUNC_BEFORE): raise ValueError(f"refused: {self.func_name!r} is not a wino-dash job")
    return run_job
  success_callback = failure_callback = stopped_callback = property(lambda self: None)

class DeviceWorker(Worker):
  """RQ's forking worker; a running job's registry entry expires MONITOR_S + GRACE_S after its last heartbeat (RQ's
  default adds 60 s), so a server notices a killed worker within that bound."""
  def get_heartbeat_ttl(self, job:Job, working_time:float=0.0) -> int: return MONITOR_S + GRACE_S

def serve_device(url:str, queue:str, serving:dict):
  """One device's process: an RQ worker on that device's queue only."""
  _exit_with_parent()
  _SERVING.update(serving)
  conn = connect(url)
  w = DeviceWorker([Queue(queue, connection=conn, serializer=JSONSerializer)], connection=conn, serializer=JSONSerializer,
                   job_class=WinoJob, worker_ttl=30, job_monitoring_interval=MONITOR_S)
  w.work(logging_level="INFO")

# ***** the `wino-dash worker` process: heartbeat and device processes *****

def beat(conn:Redis, info:dict) -> bool:
  """Writes the heartbeat; False if another live worker holds this name."""
  key = worker_key(info["name"])
  if (held:=conn.get(key)) is not None and json.loads(held).get("instance") != info["instance"]: return False
  conn.set(key, json.dumps({**info, "at": time.time()}), ex=HEARTBEAT_TTL_S)
  return True

def _live_elsewhere(conn:Redis, name:str, host:str) -> list[str]:
  """Other live workers on this host: one queue per (worker, device) keeps jobs apart only between hosts."""
  beats = [json.loads(b) for b in conn.mget(keys) if b] if (keys:=list(conn.scan_iter(match=worker_key("*")))) else []
  return [b["name"] for b in beats if b.get("host") == host and b.get("name") != name]

def log(msg:str): print(f"wino-dash: {msg}", file=sys.stderr, flush=True)
def fail(msg:str, code:int=1) -> int:
  log(f"error: {msg}")
  return code

def run_worker(url:str, name:str, only:list[str]|None=None, envs_home:str|None=None) -> int:
  """`envs_home`: this host's tinygrad environments (`wino-dash tinygrad add`), advertised with every heartbeat (their
  identities taken then: an edited checkout shows at once) so servers can offer and check `mode@env` columns."""
  from wino_core.devices import probe
  if not valid_worker_name(name): return fail(f"--name {name[:70]!r}: use letters, digits, '-', '_', '.' (at most 64)", 2)
  conn = connect(url)
  try: conn.ping()
  except RedisError as e: return fail(f"the queue is down ({redact(url)} unreachable: {e})")
  found = probe()
  devices = [{**d, "queue": queue_name(name, d["name"])} for d in found["devices"] if not only or d["name"] in only]
  if not devices: return fail(f"no device to serve (tinygrad opens: {', '.join(d['name'] for d in found['devices']) or 'none'})")
  info = {"name": name, "host": found["host"], "tinygrad": found["tinygrad"], "instance": uuid.uuid4().hex, "devices": devices}
  # a worker just killed under this name holds it until its heartbeat expires; a live one keeps holding it
  end = time.monotonic() + HEARTBEAT_TTL_S + HEARTBEAT_S
  from wino_core.code import code_identity
  from wino_core.columns import available_envs
  def with_envs(info:dict) -> dict:
    """The devices as they are now: the environments' identities, and the identity of this host's wino-dash code (the
    server puts it in a request's id, so an edit of the NEW rule here gives new comparisons)."""
    envs, code = available_envs(envs_home), code_identity()["id"]
    return {**info, "devices": [{**d, "tinygrad_envs": envs, "code": code} for d in info["devices"]]}
  while not beat(conn, with_envs(info)):
    if time.monotonic() > end: return fail(f"a worker named {name!r} is already live; choose another --name")
    time.sleep(1)

  for other in _live_elsewhere(conn, name, info["host"]):
    log(f"warning: worker {other!r} also runs on {info['host']}: its jobs and this worker's share the hardware, so their timings can overlap")

  ctx = multiprocessing.get_context("spawn")  # no fork of this process: safe on macOS too
  def start(d:dict):
    p = ctx.Process(target=serve_device, args=(url, d["queue"], {"name": name, "host": info["host"], "device": d["name"], "model": d.get("model", ""),
                                                                  "envs_home": envs_home}),
                    name=f"wino-dash {d['queue']}", daemon=True)
    p.start()
    return p
  procs = {d["name"]: start(d) for d in devices}
  stop = threading.Event()
  for sig in (signal.SIGTERM, signal.SIGINT): signal.signal(sig, lambda *_: stop.set())
  log(f"worker {name!r} serving {', '.join(device_id(name, d['name']) + ' (' + d.get('model', '') + ')' for d in devices)} "
      f"on {redact(url)}")
  try:
    while not stop.wait(HEARTBEAT_S):
      try:
        if not beat(conn, with_envs(info)): return fail(f"another worker took the name {name!r}; stopping")
      except RedisError as e: log(f"the queue is down ({redact(url)} unreachable: {e}); retrying")
      for d in devices:  # a device process that died (Redis gone too long, a crash) is started again
        if not procs[d["name"]].is_alive():
          log(f"the process serving {d['name']} exited ({procs[d['name']].exitcode}); starting it again")
          procs[d["name"]] = start(d)
  finally:
    try:  # gone from the servers' lists at once, not after the heartbeat's TTL
      if (held:=conn.get(worker_key(name))) is not None and json.loads(held).get("instance") == info["instance"]: conn.delete(worker_key(name))
    except RedisError: pass
    # one SIGTERM is RQ's warm shutdown: a running job finishes (and is collected) first; after a Ctrl-C, which reached
    # the device processes too, it is the second signal and RQ stops the job (the server fails it)
    for p in procs.values(): p.terminate()
    for p in procs.values(): p.join()
  return 0
