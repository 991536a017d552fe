"""/healthz and /metrics: what they say about a real job, a broken store, a queue that is down, and who may read them."""
import sqlite3
from prometheus_client.parser import text_string_to_metric_families
from app import create_app
from app.store import MIGRATIONS
from tests.test_app import wait_done

def samples(client) -> dict:
  """/metrics parsed with prometheus_client's own parser: {(name, sorted labels): value}."""
  r = client.get("/metrics")
  assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
  return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(r.get_data(as_text=True)) for s in f.samples}

def test_metrics_count_a_real_job_its_runs_and_the_requests(tmp_path):
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True})
  c = app.test_client()
  r = c.post("/api/compare", json={"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6}, "modes": ["baseline", "old"], "device": "CPU", "repeat": 1})
  assert r.status_code == 202 and wait_done(c, r.get_json()["status_url"])["state"] == "done"
  c.get("/no/such/page")
  m = samples(c)
  assert m[("wino_dash_jobs", (("device", "CPU"), ("state", "done")))] == 1
  assert m[("wino_dash_jobs", (("device", "CPU"), ("state", "queued")))] == 0
  assert m[("wino_dash_job_run_seconds_count", (("device", "CPU"),))] == 1 and m[("wino_dash_job_run_seconds_sum", (("device", "CPU"),))] > 0
  for mode in ("baseline", "old"): assert m[("wino_dash_runs_total", (("device", "CPU"), ("mode", mode), ("status", "ok")))] == 1
  assert m[("wino_dash_request_seconds_count", (("method", "POST"), ("route", "/api/compare"), ("status", "202")))] == 1
  assert m[("wino_dash_request_seconds_count", (("method", "GET"), ("route", "(unmatched)"), ("status", "404")))] == 1
  assert m[("process_resident_memory_bytes", ())] > 10e6

def test_jobs_by_device_and_state_come_from_the_store(tmp_path):
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "RUNNER": object()})
  store = app.extensions["wino"]["store"]
  for i, (device, state) in enumerate((("a/CPU", "queued"), ("a/CPU", "failed"), ("a/CPU", "failed"), ("b/CUDA", "running"))):
    store.create_job(f"j{i}", f"c{i}", {"device": device}, "x", {})
    if state != "queued": store.update_job(f"j{i}", state=state)
  m = samples(app.test_client())
  jobs = {labels: v for (name, labels), v in m.items() if name == "wino_dash_jobs"}
  assert jobs == {(("device", d), ("state", s)): n for d, s, n in (("a/CPU", "queued", 1), ("a/CPU", "running", 0), ("a/CPU", "done", 0),
    ("a/CPU", "failed", 2), ("b/CUDA", "queued", 0), ("b/CUDA", "running", 1), ("b/CUDA", "done", 0), ("b/CUDA", "failed", 0))}

def test_healthz_says_ok_and_what_fails(tmp_path):
  db = str(tmp_path / "db.sqlite3")
  c = create_app({"DATABASE": db, "TESTING": True}).test_client()
  r = c.get("/healthz")
  assert r.status_code == 200 and r.get_json()["status"] == "ok" and r.get_json()["store"] == {"ok": True, "schema": len(MIGRATIONS)}
  assert r.get_json()["queue"]["runner"] == "in-process"
  with sqlite3.connect(db) as con: con.execute("DROP TABLE jobs")  # a store the server can no longer read
  r = c.get("/healthz")
  assert r.status_code == 503 and r.get_json()["status"] == "failing" and "no such table: jobs" in r.get_json()["store"]["error"]
  down = create_app({"DATABASE": str(tmp_path / "q.sqlite3"), "TESTING": True, "QUEUE": "redis://:pw@127.0.0.1:1/0"}).test_client()
  r = down.get("/healthz")
  assert r.status_code == 503 and r.get_json()["queue"] == {"ok": False, "runner": "queue", "queue": "redis://:***@127.0.0.1:1/0",
                                                             "error": "the queue is down (redis://:***@127.0.0.1:1/0 unreachable)"}

def test_healthz_stays_open_and_metrics_follow_protect_reads(tmp_path):
  token = "metrics-token-0123456789"
  c = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "TOKEN": token}).test_client()
  assert c.get("/metrics").status_code == 200
  c = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, "TOKEN": token, "PROTECT_READS": True}).test_client()
  assert c.get("/healthz").status_code == 200
  assert c.get("/metrics").status_code == 401 and c.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
