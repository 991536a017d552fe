"""Bad input, hostile input, concurrent writers, restarts: never a 500, never a lost or changed comparison."""
import json, os, re, signal, subprocess, sys, threading, time, urllib.request
from dataclasses import replace
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app import create_app
from app.store import Store
from tests.serving import Server
from wino_core.compare import parse_request
from wino_core.spec import FIELDS, SpecError, parse_spec

class RecordingRunner:
  """Stands in for the job runner where a test is about the HTTP layer's validation, not about running jobs
  (a valid fuzzed spec would otherwise compile for real). It records what got through."""
  def __init__(self): self.submitted = []
  def submit(self, req, client):
    self.submitted.append(req)
    return {"id": f"job{len(self.submitted):013d}", "comparison_id": req.id, "state": "queued", "progress": {"modes": {}}, "message": ""}

@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
  return create_app({"DATABASE": str(tmp_path_factory.mktemp("fuzz") / "db.sqlite3"), "RUNNER": RecordingRunner(), "TESTING": True})

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
spec_like = st.dictionaries(st.sampled_from(FIELDS + ("extra", "")), json_values, max_size=8)

@settings(max_examples=300, deadline=None)
@given(spec_like)
def test_parse_spec_never_fails_other_than_with_a_spec_error(raw):
  try: spec = parse_spec(raw)
  except SpecError as e:
    assert e.errors and all(isinstance(k, str) and isinstance(v, str) and v for k, v in e.errors.items())
    return
  assert parse_spec(spec.to_dict()) == spec

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(("spec", "modes", "device", "repeat", "rerun", "x")), json_values | spec_like, max_size=5))
def test_api_compare_fuzzed_is_4xx_or_accepted(fuzz_app, body):
  r = fuzz_app.test_client().post("/api/compare", json=body)
  assert r.status_code in (200, 202, 400), (body, r.status_code, r.get_data(as_text=True)[:300])
  if r.status_code == 400: assert r.get_json()["error"]

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(FIELDS + ("modes", "device", "rerun", "zzz")), st.text(max_size=40), max_size=10))
def test_form_fuzzed_never_500(fuzz_app, form):
  r = fuzz_app.test_client().post("/", data=form)
  assert r.status_code in (303, 400), (form, r.status_code)
  assert "Traceback" not in r.get_data(as_text=True)

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(("/c/", "/jobs/", "/api/jobs/", "/history?cin=", "/?batch=", "/c/0123456789abcdef?pair=", "/api/comparisons?h=")),
       st.text(max_size=60))
def test_paths_and_queries_fuzzed_never_500(fuzz_app, prefix, tail):
  r = fuzz_app.test_client().get(prefix + urllib.request.quote(tail, safe=""))
  assert r.status_code in (200, 302, 308, 400, 404, 414), (prefix, tail, r.status_code)

BAD_API = [
  ("no body", dict(data=""), 415), ("text body", dict(data="hello", content_type="text/plain"), 415),
  ("malformed json", dict(data="{", content_type="application/json"), 400), ("json list", dict(json=[1, 2]), 400),
  ("json string", dict(json="spec"), 400), ("null", dict(data="null", content_type="application/json"), 400),
  ("negative", dict(json={"spec": {"batch": -3}}), 400), ("zero", dict(json={"spec": {"cin": 0}}), 400),
  ("huge", dict(json={"spec": {"h": 10**12}}), 400), ("float", dict(json={"spec": {"h": 3.5}}), 400),
  ("unicode", dict(json={"spec": {"cout": "１６"}}), 400), ("nan", dict(data='{"spec": {"h": NaN}}', content_type="application/json"), 400),
  ("missing modes entries", dict(json={"modes": []}), 400), ("unknown mode", dict(json={"modes": ["old", "ñew"]}), 400),
  ("unknown device", dict(json={"device": "TPU"}), 400), ("device not a string", dict(json={"device": 5}), 400),
  ("unknown dtype", dict(json={"spec": {"dtype": "float64"}}), 400), ("extra field", dict(json={"spec": {}, "priority": 1}), 400),
  ("extra spec field", dict(json={"spec": {"bias": True, "activation": "relu"}}), 400),
  ("too big body", dict(data='{"spec": {}, "x": "' + "a" * 100_000 + '"}', content_type="application/json"), 413),
  ("modes not a list", dict(json={"modes": {"old": 1}}), 400), ("repeat huge", dict(json={"repeat": 10**9}), 400),
  ("over the FLOP cap", dict(json={"spec": {"batch": 64, "cin": 512, "cout": 512, "h": 64, "w": 64}}), 400),
]

@pytest.mark.parametrize("name,kw,status", BAD_API, ids=[b[0] for b in BAD_API])
def test_hand_picked_bad_api_input(fuzz_app, name, kw, status):
  r = fuzz_app.test_client().post("/api/compare", **kw)
  assert r.status_code == status, r.get_data(as_text=True)[:300]
  assert r.is_json and r.get_json()["error"]

@pytest.mark.parametrize("path,status", [
  ("/c/" + "f" * 16 + "x", 404), ("/c/../../etc/passwd", 404), ("/c/%00", 404), ("/c/" + "a" * 5000, 404), ("/jobs/%27%22", 404),
  ("/api/jobs/" + "z" * 300, 404), ("/history?cin=-1", 400), ("/history?dtype=%3Cb%3E", 400), ("/?" + "batch=1&" * 400, 414),
  ("/c/0123456789abcdef.json", 404), ("/api/nothing", 404), ("/static/../app/__init__.py", 404),
])
def test_hand_picked_bad_paths(fuzz_app, path, status):
  r = fuzz_app.test_client().get(path)
  assert r.status_code == status
  body = r.get_data(as_text=True)
  assert "Traceback" not in body and ("error" in r.get_json() if r.is_json else "<h1>" in body)

def test_wrong_methods_are_405(fuzz_app):
  c = fuzz_app.test_client()
  assert c.get("/api/compare").status_code == 405 and c.delete("/c/0123456789abcdef").status_code == 405

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'

def test_xss_probe_through_every_form_field(fuzz_app):
  c = fuzz_app.test_client()
  for field in FIELDS + ("modes", "device"):
    r = c.post("/", data={field: XSS})
    body = r.get_data(as_text=True)
    assert r.status_code == 400 and XSS not in body and "<script>alert" not in body, field
  r = c.post("/api/compare", json={"spec": {f: XSS for f in FIELDS}, "modes": [XSS], "device": XSS})
  # JSON may quote the input back, but it is never HTML: the browser is told so and told not to sniff
  assert r.status_code == 400 and r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"

def test_stored_hostile_text_is_escaped_everywhere(tmp_path):
  """Kernel source, kernel names, messages and spec text come from compilers and users: the page must escape all of it."""
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "RUNNER": RecordingRunner(), "TESTING": True})
  kernel = {"name": "r_2</script>" + XSS, "axes": [[2, "loop"]], "role": "conv", "source": "void k() {}\n" + XSS, "language": "c",
            "global_size": [1, 1, 1], "local_size": [1, 1, 1], "ops": 1, "bytes": 1, "reads": [0], "writes": [1],
            "time_s": {"min": 1e-6, "median": 1e-6, "max": 1e-6}}
  run = {"mode": "baseline", "status": "error", "message": XSS, "device": "CPU", "tinygrad": "0.14.0", "kernels": [kernel],
         "compile_s": 1.0, "compile_split_s": {"schedule": 0.1, "codegen": 0.5, "compiler": 0.4}, "first_run_s": 0.1,
         "kernel_time_s": {"min": 1e-6, "median": 1e-6, "max": 1e-6}, "max_abs_err": 0.0, "max_rel_err": 0.0,
         "winograd": {"fired": False, "reason": XSS, "rewrites": []}, "graphs": None}
  cmp = {"spec": parse_spec({}).to_dict(), "device": "CPU", "tinygrad": "0.14.0", "runs": {"baseline": run, "old": {**run, "mode": "old"}}}
  app.extensions["wino"]["store"].put_comparison("00000000000000aa", {"spec": cmp["spec"]}, cmp)
  c = app.test_client()
  for path in ("/c/00000000000000aa", "/c/00000000000000aa?view=unified", "/c/00000000000000aa.html", "/history"):
    body = c.get(path).get_data(as_text=True)
    # JSON data blocks may carry the text, but with no "<" at all nothing in them can open or close a tag
    blocks = re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', body, re.S)
    assert not any("<" in b for b in blocks), path
    body = re.sub(r'(<script type="application/json"[^>]*>).*?</script>', r"\1</script>", body, flags=re.S)
    assert "<script>alert" not in body and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", ""), path
    assert "</script>" + "<script>alert" not in body

def test_csp_allows_only_own_scripts(fuzz_app):
  r = fuzz_app.test_client().get("/")
  csp = r.headers["Content-Security-Policy"]
  assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
  assert not re.search(r"<script>[^<]", r.get_data(as_text=True)), "no inline script on the app's pages"
  assert r.headers["X-Content-Type-Options"] == "nosniff"

# ***** storage *****

def test_store_has_a_schema_version_and_wal(tmp_path):
  s = Store(str(tmp_path / "db.sqlite3"))
  assert s.schema_version >= 1
  assert s._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
  Store(str(tmp_path / "db.sqlite3"))  # migrating again is a no-op
  assert s.schema_version >= 1

def test_a_database_from_a_newer_wino_dash_is_refused_and_left_as_it_is(tmp_path):
  import sqlite3
  from app.store import MIGRATIONS, NewerSchema
  path = str(tmp_path / "db.sqlite3")
  Store(path)
  con = sqlite3.connect(path)
  con.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
  con.execute("CREATE TABLE from_the_future (x)")
  con.close()
  with pytest.raises(NewerSchema, match=f"schema v{len(MIGRATIONS) + 1}, newer than this wino-dash's v{len(MIGRATIONS)}"): Store(path)
  r = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--db", path, "--port", "0"], capture_output=True, text=True, timeout=60)
  assert r.returncode == 2 and r.stderr.count("\n") == 1 and "newer than this wino-dash's" in r.stderr and "Traceback" not in r.stderr
  con = sqlite3.connect(path)
  assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 1
  assert con.execute("SELECT count(*) FROM from_the_future").fetchone()[0] == 0

def test_concurrent_jobs_and_comparisons_never_duplicate_or_corrupt(tmp_path):
  path = str(tmp_path / "db.sqlite3")
  stores = [Store(path) for _ in range(4)]  # separate connections, as separate processes would have
  jobs, barrier = [], threading.Barrier(16)
  def submit(i):
    barrier.wait()
    jobs.append(stores[i % 4].create_job(f"job{i:013d}", "same-comparison" if i % 2 else f"cmp{i}", {"i": i}, "c", {"modes": {}}))
  threads = [threading.Thread(target=submit, args=(i,)) for i in range(16)]
  for t in threads: t.start()
  for t in threads: t.join()
  same = {j["id"] for j in jobs if j["comparison_id"] == "same-comparison"}
  assert len(same) == 1, "one job for one comparison, however many submit it at once"
  assert len(stores[0].active_jobs()) == 1 + 8

  payloads = [{"spec": {"i": i}, "device": "CPU", "tinygrad": "0.14.0", "runs": {"old": {"i": i, "blob": "x" * 5000}}} for i in range(12)]
  wrote, barrier = [], threading.Barrier(12)
  def put(i):
    barrier.wait()
    wrote.append((i, stores[i % 4].put_comparison("shared", {}, payloads[i])))
    stores[i % 4].put_comparison(f"own{i}", {}, payloads[i])
  threads = [threading.Thread(target=put, args=(i,)) for i in range(12)]
  for t in threads: t.start()
  for t in threads: t.join()
  winners = [i for i, ok in wrote if ok]
  assert len(winners) == 1, "exactly one write of an id succeeds; the rest change nothing"
  assert stores[1].get_comparison("shared")["runs"] == payloads[winners[0]]["runs"]
  for i in range(12): assert stores[2].get_comparison(f"own{i}")["runs"] == payloads[i]["runs"]
  assert stores[0].count_comparisons() == 13

# ***** crashes and restarts *****

def get_json(url:str) -> dict: return json.loads(urllib.request.urlopen(url, timeout=30).read())
def post_json(url:str, body:dict) -> dict:
  req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
  return json.loads(urllib.request.urlopen(req, timeout=30).read())

def test_killing_the_server_mid_job_loses_nothing_and_fails_the_job(tmp_path):
  db = str(tmp_path / "db.sqlite3")
  s = Server(db).start()
  try:
    done = post_json(s.url + "/api/compare", {"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6}, "modes": ["baseline", "old"], "repeat": 1})
    while get_json(s.url + done["status_url"])["state"] != "done": time.sleep(0.2)
    slow = post_json(s.url + "/api/compare", {"spec": {"batch": 8, "cin": 64, "cout": 64, "h": 56, "w": 56}, "modes": ["old", "new"], "repeat": 50})
    while get_json(s.url + slow["status_url"])["state"] != "running": time.sleep(0.1)
    end = time.monotonic() + 30
    while not (children:=subprocess.run(["pgrep", "-P", str(s.proc.pid), "-f", "wino_core.child"], capture_output=True, text=True).stdout.split()):
      assert time.monotonic() < end, "the running job started no child"
      time.sleep(0.1)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
  finally: s.kill()
  s2 = Server(db).start()
  try:
    job = get_json(s2.url + slow["status_url"])
    assert job["state"] == "failed" and "restarted" in job["message"]
    assert get_json(s2.url + f"/c/{done['id']}.json")["id"] == done["id"]
    assert urllib.request.urlopen(s2.url + f"/c/{done['id']}", timeout=30).status == 200
  finally: s2.kill()
  time.sleep(1.5)  # the orphaned child notices its parent is gone within half a second
  alive = [p for p in children if os.path.exists(f"/proc/{p}")]
  assert not alive, f"children outlived the killed server: {alive}"

def test_a_failed_run_shows_its_reason_on_the_page(tmp_path):
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "RUN_TIMEOUT_S": 0.5, "TESTING": True})
  c = app.test_client()
  r = c.post("/api/compare", json={"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6}, "modes": ["baseline", "old"], "repeat": 1})
  while (j:=c.get(r.get_json()["status_url"]).get_json())["state"] not in ("done", "failed"): time.sleep(0.1)
  assert j["state"] == "done" and "timeout" in j["message"]
  page = c.get(r.get_json()["url"]).get_data(as_text=True)
  assert "longer than its limit of 0.5 s" in page
  # the runner carries on: the next job on the same worker thread completes
  runner = app.extensions["wino"]["runner"]
  runner.settings = replace(runner.settings, timeout_s=300)
  r = c.post("/api/compare", json={"spec": {"cin": 2, "cout": 2, "h": 6, "w": 6, "seed": 1}, "modes": ["baseline", "old"], "repeat": 1})
  while (j:=c.get(r.get_json()["status_url"]).get_json())["state"] not in ("done", "failed"): time.sleep(0.1)
  assert j["state"] == "done" and j["message"] == ""
