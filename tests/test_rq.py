"""Queue mode end to end: a real redis-server on a loopback port (with a password), a real server started with
--queue, and real `wino-dash worker` processes. Tests run in order and share the cluster."""
import json, os, shutil, signal, subprocess, sys, time, urllib.error, urllib.request
import pytest
from tests.serving import Server, free_port
from app.rq_worker import GRACE_S, HEARTBEAT_TTL_S, MONITOR_S, redact

TINY = {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}
PASSWORD = "test-secret"

class Redis:
  def __init__(self, tmp):
    self.port, self.tmp = free_port(), tmp
    self.url = f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"
  def start(self):
    self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                  "--requirepass", PASSWORD, "--dir", str(self.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    from redis import Redis as Client
    end = time.monotonic() + 20
    while time.monotonic() < end:
      try: return Client.from_url(self.url).ping() and self
      except Exception: time.sleep(0.1)
    raise RuntimeError("redis-server did not start")
  def stop(self):
    self.proc.terminate()
    self.proc.wait()

class WorkerProc:
  def __init__(self, url:str, name:str, log, db:str):
    self.name, self.log, self.db = name, log, db
    # a session of its own: SIGKILL to its process group takes the worker and its device processes down at once
    self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--name", name, "--db", db], start_new_session=True,
                                 stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "WINO_DASH_QUEUE": url})
  def kill(self):
    try: os.killpg(self.proc.pid, signal.SIGKILL)
    except ProcessLookupError: pass
    self.proc.wait()
  def stop(self):
    if self.proc.poll() is None:
      self.proc.terminate()
      try: self.proc.wait(timeout=30)
      except subprocess.TimeoutExpired: self.kill()

def http(url:str, body:dict|None=None) -> tuple[int, dict | str]:
  req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"})
  try:
    with urllib.request.urlopen(req, timeout=30) as r: status, raw = r.status, r.read().decode()
  except urllib.error.HTTPError as e: status, raw = e.code, e.read().decode()
  try: return status, json.loads(raw)
  except json.JSONDecodeError: return status, raw

def until(fn, timeout:float, what:str):
  end = time.monotonic() + timeout
  while time.monotonic() < end:
    if (v:=fn()): return v
    time.sleep(0.2)
  raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")

@pytest.fixture(scope="module")
def cluster(tmp_path_factory, tinygrad_checkout):
  if shutil.which("redis-server") is None:
    pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; ./dev.sh test installs it)")
  tmp = tmp_path_factory.mktemp("rq")
  redis = Redis(tmp).start()
  log = open(tmp / "workers.log", "ab")
  # w-a has a tinygrad checkout registered as pr-1 (beside its --db), w-b none
  from wino_core.envs import add_checkout, envs_home
  dbs = {n: str(tmp / n / "db.sqlite3") for n in ("w-a", "w-b")}  # a worker's environments are those beside its --db
  add_checkout(envs_home(dbs["w-a"]), tinygrad_checkout, "pr-1")
  workers = {n: WorkerProc(redis.url, n, log, dbs[n]) for n in ("w-a", "w-b")}
  server = Server(str(tmp / "db.sqlite3"), args=("--queue", redis.url)).start()
  c = {"redis": redis, "server": server, "workers": workers, "log": log, "url": server.url}
  try: yield c
  finally:
    for w in c["workers"].values(): w.stop()
    c["server"].kill()
    redis.stop()

def devices(c) -> dict: return http(c["url"] + "/api/devices")[1]
def device_ids(c) -> set: return {d["name"] for d in devices(c)["devices"]}

def submit(c, device:str, seed:int) -> dict:
  status, body = http(c["url"] + "/api/compare", {"spec": {**TINY, "seed": seed}, "modes": ["baseline", "old"], "device": device, "repeat": 1})
  assert status == 202, body
  return body

def job(c, body:dict) -> dict: return http(c["url"] + body["status_url"])[1]
def job_count(url:str) -> int:
  """Every job in the server's store, from /metrics (wino_dash_jobs{device,state} N)."""
  return sum(int(float(l.split()[-1])) for l in http(url + "/metrics")[1].splitlines() if l.startswith("wino_dash_jobs{"))
def finish(c, body:dict, timeout:float, what:str) -> dict:
  return until(lambda: (j:=job(c, body))["state"] in ("done", "failed") and j, timeout, what)

def test_redact_hides_the_password():
  assert redact("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
  assert redact("redis://localhost:6379/1") == "redis://localhost:6379/1"

def test_a_worker_runs_wino_dash_jobs_only():
  from redis import Redis as Client
  from rq.serializers import JSONSerializer
  from app.rq_worker import JOB_FUNC, WinoJob, run_job
  make = lambda f: WinoJob.create(f, args=["true"], connection=Client(), serializer=JSONSerializer)  # nothing is sent
  assert make(JOB_FUNC).func is run_job
  assert make("wino_core.worker.run_job").func is run_job, "a job queued before the worker moved out of wino_core still runs"
  with pytest.raises(ValueError, match="not a wino-dash job"): make("os.system").func
  assert make(JOB_FUNC).failure_callback is None

def test_workers_advertise_their_devices(cluster):
  until(lambda: {"w-a/CPU", "w-b/CPU"} <= device_ids(cluster), 90, "both workers' devices")
  d = devices(cluster)
  assert "error" not in d and PASSWORD not in json.dumps(d)
  cpu_a = next(x for x in d["devices"] if x["name"] == "w-a/CPU")
  assert cpu_a["worker"] == "w-a" and cpu_a["model"] and "float32" in cpu_a["dtypes"]
  assert cpu_a["label"] == f"CPU — {cpu_a['model']} on w-a"
  assert f"CPU — {cpu_a['model']} on w-b" in http(cluster["url"] + "/")[1]
  # requests are checked against the live workers' devices, not the server's own
  status, body = http(cluster["url"] + "/api/compare", {"spec": TINY, "modes": ["baseline", "old"], "device": "CPU"})
  assert status == 400 and body["field"] == "device" and "w-a/CPU" in body["error"]

def test_jobs_on_each_worker_complete_one_at_a_time_per_device(cluster):
  a1, a2, b1 = submit(cluster, "w-a/CPU", 1), submit(cluster, "w-a/CPU", 2), submit(cluster, "w-b/CPU", 1)
  assert submit(cluster, "w-a/CPU", 1)["job"] == a1["job"], "a duplicate of a queued/running request is not run twice"
  assert len({a1["id"], a2["id"], b1["id"]}) == 3, "another worker is another result"
  phases, overlap = set(), False
  def all_done():
    nonlocal overlap
    states = {k: job(cluster, b) for k, b in (("a1", a1), ("a2", a2), ("b1", b1))}
    overlap |= states["a1"]["state"] == states["a2"]["state"] == "running"
    for s in states.values(): phases.update(s["progress"]["modes"].values())
    assert not any(s["state"] == "failed" for s in states.values()), states
    return all(s["state"] == "done" for s in states.values())
  until(all_done, 600, "three jobs on two workers")
  assert not overlap, "two jobs ran on one worker's device at once"
  assert phases & {"compiling", "checking", "timing"}, "the job page shows live phases from the worker"
  for body, device in ((a1, "w-a/CPU"), (b1, "w-b/CPU")):
    status, c = http(cluster["url"] + body["url"] + ".json")
    assert status == 200 and c["device"] == device and c["runs"]["baseline"]["status"] == "ok", c
    assert http(cluster["url"] + body["url"])[0] == 200
  assert "DEVICE = 'CPU'" in http(cluster["url"] + a1["url"] + ".py")[1]
  status, health = http(cluster["url"] + "/healthz")
  assert status == 200 and health["queue"] == {"ok": True, "runner": "queue", "queue": redact(cluster["redis"].url), "workers": ["w-a", "w-b"]}
  metrics = http(cluster["url"] + "/metrics")[1]  # the workers' wall times, collected with the results
  assert 'wino_dash_job_run_seconds_count{device="w-a/CPU"} 2.0' in metrics and 'wino_dash_jobs{device="w-b/CPU",state="done"} 1.0' in metrics
  cluster["stored"] = a1

def test_workers_advertise_their_tinygrads_and_run_columns_on_them(cluster):
  until(lambda: {"w-a/CPU", "w-b/CPU"} <= device_ids(cluster), 90, "both workers' devices")
  envs = {d["name"]: d["tinygrad_envs"] for d in devices(cluster)["devices"]}
  assert envs["w-a/CPU"]["pr-1"]["kind"] == "checkout" and "pr-1" not in envs["w-b/CPU"]
  assert 'value="baseline@pr-1"' in http(cluster["url"] + "/")[1]  # the form offers the workers' environments
  status, body = http(cluster["url"] + "/api/compare", {"spec": TINY, "modes": ["baseline", "baseline@pr-1"], "device": "w-b/CPU"})
  assert status == 400 and body["field"] == "modes" and "unknown tinygrad environment 'pr-1'" in body["error"]
  status, body = http(cluster["url"] + "/api/compare", {"spec": TINY, "modes": ["baseline", "baseline@pr-1"], "device": "w-a/CPU", "repeat": 1})
  assert status == 202, body
  assert finish(cluster, body, 240, "a comparison on w-a's checkout")["state"] == "done"
  c = http(cluster["url"] + f"/c/{body['id']}.json")[1]
  assert c["runs"]["baseline@pr-1"]["status"] == "ok" and c["runs"]["baseline@pr-1"]["tinygrad"] == "pr-1"
  assert c["tinygrad_envs"]["pr-1"]["commit"] == envs["w-a/CPU"]["pr-1"]["commit"]

def test_the_servers_run_settings_reach_the_worker(cluster, tmp_path):
  """The server's settings travel with the job (a worker used to search with its own budget), and the job's limit in
  RQ covers every mode's search budget, not only the modes' run limits."""
  from dataclasses import replace
  from redis import Redis as Client
  from rq.job import Job
  from rq.serializers import JSONSerializer
  from app import create_app
  from wino_core.compare import CompareRequest
  until(lambda: "w-b/CPU" in device_ids(cluster), 90, "w-b's CPU")
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "QUEUE": cluster["redis"].url, "SEARCH_BUDGET_S": 0})
  c = app.test_client()
  r = c.post("/api/compare", json={"spec": TINY, "modes": ["baseline", "old"], "device": "w-b/CPU", "repeat": 1, "search": {"beam": 1}}).get_json()
  until(lambda: c.get(r["status_url"]).get_json()["state"] in ("done", "failed"), 120, "the BEAM job on w-b")
  stored = c.get(f"/c/{r['id']}.json").get_json()
  assert all(x["status"] == "timeout" and "ran out of its budget of 0 s" in x["message"] for x in stored["runs"].values()), stored["runs"]
  # the id holds the worker's code identity (from its heartbeat), and the worker ran that code
  cpu_b = next(d for d in devices(cluster)["devices"] if d["name"] == "w-b/CPU")
  assert stored["request"]["code"] == cpu_b["code"] == stored["code"]["id"]
  # a job for a worker that is not there stays in its queue: its limit can be read back from Redis
  runner = app.extensions["wino"]["runner"]
  runner.settings = replace(runner.settings, timeout_s=10, search_budget_s=500)
  queued = runner.submit(replace(CompareRequest.from_dict(runner.store.get_job(r["job"])["request"]), device="nobody/CPU"), "test")
  timeout = Job.fetch(queued["id"], connection=Client.from_url(cluster["redis"].url), serializer=JSONSerializer).timeout
  assert timeout >= 2 * (10 + 500), timeout

def test_a_sweep_runs_through_a_worker(cluster):
  """a sweep's layers are ordinary jobs: they go to the chosen worker's device and come back into the server's store"""
  status, body = http(cluster["url"] + "/api/sweeps", {"model": "custom", "layers": "a 2 2 3 1 1 6\nb 2 2 3 1 1 6\nc 2 3 1 1 0 6",
                                                       "modes": ["baseline", "old"], "device": "w-b/CPU", "repeat": 1})
  assert status == 202, body
  s = until(lambda: (v:=http(cluster["url"] + body["status_url"])[1])["state"] == "done" and v, 150, "the sweep on w-b")
  assert [r["status"] for r in s["rows"]] == ["done", "done"] and [r["multiplicity"] for r in s["rows"]] == [2, 1], s
  for r in s["rows"]:
    status, c = http(cluster["url"] + f"/c/{r['comparison']}.json")
    assert status == 200 and c["device"] == "w-b/CPU"

def test_a_job_queued_under_the_old_spelling_of_a_workers_device_still_runs(cluster, tmp_path):
  """a job queued when a worker's device was spelled "CPU@w-b" (in the server's store and in Redis under that name)
  waits on w-b's CPU queue, runs there, and its comparison is stored as it was asked"""
  from dataclasses import replace
  from app import create_app
  from wino_core.compare import parse_request
  until(lambda: "w-b/CPU" in device_ids(cluster), 90, "w-b's CPU")
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "QUEUE": cluster["redis"].url})
  req = parse_request({"spec": {**TINY, "seed": 5}, "modes": ["baseline", "old"], "repeat": 1})  # this host's CPU, then as before
  queued = app.extensions["wino"]["runner"].submit(replace(req, device="CPU@w-b"), "test")
  c = app.test_client()
  done = until(lambda: (j:=c.get(f"/api/jobs/{queued['id']}").get_json())["state"] in ("done", "failed") and j, 120, "the job on w-b")
  assert done["state"] == "done", done
  stored = c.get(f"/c/{done['id']}.json").get_json()
  assert stored["device"] == "CPU@w-b" and stored["runs"]["baseline"]["status"] == "ok", stored

def test_killed_worker_fails_its_job_and_a_restarted_worker_takes_new_ones(cluster):
  k = submit(cluster, "w-b/CPU", 3)
  until(lambda: job(cluster, k)["state"] == "running", 60, "the job to start")
  cluster["workers"]["w-b"].kill()
  failed = finish(cluster, k, MONITOR_S + GRACE_S + 15, "the killed worker's job to fail")
  assert failed["state"] == "failed" and "w-b stopped heartbeating" in failed["message"], failed
  assert http(cluster["url"] + cluster["stored"]["url"])[0] == 200, "the server is up and still serves stored results"
  until(lambda: "w-b/CPU" not in device_ids(cluster), HEARTBEAT_TTL_S + 5, "w-b to leave the device list")
  assert http(cluster["url"] + "/api/compare", {"spec": TINY, "modes": ["baseline", "old"], "device": "w-b/CPU"})[0] == 400
  cluster["workers"]["w-b"] = WorkerProc(cluster["redis"].url, "w-b", cluster["log"], cluster["workers"]["w-b"].db)
  until(lambda: "w-b/CPU" in device_ids(cluster), 60, "the restarted w-b")
  again = submit(cluster, "w-b/CPU", 3)  # the failed job's re-run
  assert again["job"] != k["job"] and again["id"] == k["id"]
  assert (j:=finish(cluster, again, 90, "the re-run on the restarted worker"))["state"] == "done", j

def test_redis_down_keeps_stored_results_and_says_the_queue_is_down_and_a_server_restart_loses_nothing(cluster):
  redis, url = cluster["redis"], cluster["url"]
  redis.stop()
  until(lambda: "queue is down" in devices(cluster).get("error", ""), 10, "the server to notice")
  jobs = job_count(url)
  status, body = http(url + "/api/compare", {"spec": {**TINY, "seed": 9}, "modes": ["baseline", "old"], "device": "w-a/CPU"})
  assert status == 503 and body["error"] == f"the queue is down ({redact(redis.url)} unreachable)" and PASSWORD not in body["error"]
  assert job_count(url) == jobs, "refused from what the server knows of the queue, before any job or any call to Redis"
  assert http(url + cluster["stored"]["url"])[0] == 200 and http(url + "/history")[0] == 200
  assert "the queue is down" in http(url + "/")[1]
  status, health = http(url + "/healthz")
  assert status == 503 and health["status"] == "failing" and health["queue"]["error"] == body["error"] and health["store"]["ok"]
  redis.start()  # empty: no persistence in the test; workers heartbeat again and their RQ workers reconnect
  until(lambda: {"w-a/CPU", "w-b/CPU"} <= device_ids(cluster) and "error" not in devices(cluster), 30, "the workers to come back")
  b = submit(cluster, "w-a/CPU", 9)
  until(lambda: job(cluster, b)["state"] == "running", 60, "a job after Redis restarted to start")
  # the server restarts mid-job: the job lives in its store and in Redis, and the new server collects it
  old = cluster["server"]
  old.kill()
  cluster["server"] = Server(old.db, port=old.port, args=old.args).start()
  assert (j:=finish(cluster, b, 120, "the job, collected by the restarted server"))["state"] == "done", j
