"""The dashboard through Flask's test client: forms, the job lifecycle, permalinks, exports, errors."""
import json, re, time
import pytest
from app import create_app

SMALL = {"batch": 1, "cin": 2, "cout": 3, "h": 7, "w": 7, "padding": 1}

@pytest.fixture()
def app(tmp_path, request):
  """@pytest.mark.timing_processes(n): the app times each mode in n processes (the suite's default is 1)"""
  rounds = request.node.get_closest_marker("timing_processes")
  return create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True, **({"TIMING_PROCESSES": rounds.args[0]} if rounds else {})})

@pytest.fixture()
def client(app): return app.test_client()

def wait_done(client, status_url:str, timeout:float=600) -> dict:
  end = time.monotonic() + timeout
  while time.monotonic() < end:
    j = client.get(status_url).get_json()
    if j["state"] in ("done", "failed"): return j
    time.sleep(0.2)
  raise AssertionError("job did not finish")

@pytest.fixture(scope="module")
def stored(tmp_path_factory):
  """One real comparison (baseline vs old, tiny shape), run through the API once for the tests that read it."""
  db = tmp_path_factory.mktemp("stored") / "db.sqlite3"
  app = create_app({"DATABASE": str(db), "TESTING": True})
  c = app.test_client()
  r = c.post("/api/compare", json={"spec": SMALL, "modes": ["baseline", "old"], "device": "CPU", "repeat": 2})
  assert r.status_code == 202, r.get_json()
  body = r.get_json()
  job = wait_done(c, body["status_url"])
  assert job["state"] == "done", job
  return {"db": str(db), "id": body["id"], "app": app}

def test_form_defaults_are_the_seeds_shape(client):
  html = client.get("/").get_data(as_text=True)
  for name, value in (("batch", "1"), ("cin", "16"), ("cout", "16"), ("h", "32"), ("w", "32"), ("padding", "1"), ("kernel", "3x3")):
    assert re.search(rf'name="{name}" id="f-{name}" type="text" value="{value}"', html), name
  assert 'value="CPU"' in html
  assert re.findall(r"<option (?:selected)?>(\w+)</option>", html.split('id="f-dtype"')[1].split("</select>")[0]) == ["float32", "float16", "bfloat16"]
  assert "bfloat16" in next(d for d in client.get("/api/devices").get_json()["devices"] if d["name"] == "CPU")["dtypes"]

def test_invalid_form_shows_the_error_next_to_its_field_and_queues_nothing(app, client):
  r = client.post("/", data={**{k: str(v) for k, v in SMALL.items()}, "groups": "4", "modes": ["baseline", "old"], "device": "CPU"})
  assert r.status_code == 400
  html = r.get_data(as_text=True)
  assert 'id="err-groups"' in html and "must divide cin 2" in html
  assert app.extensions["wino"]["store"].active_jobs() == []
  r = client.post("/", data={**{k: str(v) for k, v in SMALL.items()}, "modes": ["baseline"], "device": "CPU"})
  assert r.status_code == 400 and 'id="err-modes"' in r.get_data(as_text=True)

@pytest.mark.parametrize("body,status,field", [
  ({"spec": {"batch": 0}}, 400, "batch"), ({"spec": {"cin": "x"}}, 400, "cin"), ({"modes": ["fast", "old"]}, 400, "modes"),
  ({"modes": ["old"]}, 400, "modes"), ({"device": "NOPE"}, 400, "device"), ({"spec": {}, "colour": 1}, 400, "colour"),
  ({"spec": {"dtype": "int8"}}, 400, "dtype"), ({"repeat": 0}, 400, "repeat"), ({"spec": []}, 400, "spec"),
])
def test_api_errors_are_json_with_the_field(client, body, status, field):
  r = client.post("/api/compare", json=body)
  assert r.status_code == status and r.get_json()["field"] == field and r.get_json()["error"]

def test_api_errors_name_the_fields_a_size_cap_blames_and_the_bound_broken(client):
  r = client.post("/api/compare", json={"spec": {"h": 100000, "w": 100000}})
  assert r.status_code == 400 and r.get_json()["field"] == "h" and "h and w make it too large" in r.get_json()["error"]
  r = client.post("/api/compare", json={"repeat": -1})
  assert r.status_code == 400 and r.get_json() == {"error": "repeat: must be at least 1, got -1", "field": "repeat"}

def test_api_refuses_non_json(client):
  assert client.post("/api/compare", data="spec=1").status_code == 415
  r = client.post("/api/compare", data="{not json", content_type="application/json")
  assert r.status_code == 400 and "JSON" in r.get_json()["error"]

def test_devices(client):
  d = client.get("/api/devices").get_json()
  assert d["tinygrad"] == "0.14.0" and any(x["name"] == "CPU" and "float32" in x["dtypes"] for x in d["devices"])

def test_unknown_ids_are_404(client):
  for path in ("/c/0123456789abcdef", "/c/nothex", "/c/0123456789abcdef.json", "/jobs/nope", "/api/jobs/nope"):
    r = client.get(path)
    assert r.status_code == 404, path
  assert client.get("/c/0123456789abcdef.json").get_json()["error"]
  assert "Traceback" not in client.get("/c/<script>").get_data(as_text=True)

def test_job_lifecycle_and_dedupe(app, client):
  body = {"spec": {**SMALL, "seed": 11}, "modes": ["baseline", "old"], "device": "CPU", "repeat": 1}
  r1, r2 = client.post("/api/compare", json=body), client.post("/api/compare", json=body)
  assert r1.status_code == r2.status_code == 202
  assert r1.get_json()["job"] == r2.get_json()["job"], "an identical request that is running is not run again"
  j = client.get(r1.get_json()["status_url"]).get_json()
  assert j["state"] in ("queued", "running", "done") and set(j["progress"]["modes"]) == {"baseline", "old"}
  page = client.get(f"/jobs/{j['job']}")
  assert page.status_code in (200, 302)
  assert wait_done(client, r1.get_json()["status_url"])["state"] == "done"
  r3 = client.post("/api/compare", json=body)
  assert r3.status_code == 200 and r3.get_json()["id"] == r1.get_json()["id"] and r3.get_json()["job"] is None
  assert client.get(f"/jobs/{j['job']}").status_code == 302

def test_form_submit_goes_to_the_job_page(client):
  r = client.post("/", data={**{k: str(v) for k, v in SMALL.items()}, "seed": "5", "modes": ["baseline", "old"], "device": "CPU"})
  assert r.status_code == 303 and r.headers["Location"].startswith("/jobs/")
  page = client.get(r.headers["Location"]).get_data(as_text=True)
  assert "job.js" in page and "data-status-url" in page

def test_result_page_shows_both_modes(stored):
  c = stored["app"].test_client()
  html = c.get(f"/c/{stored['id']}").get_data(as_text=True)
  data = c.get(f"/c/{stored['id']}.json").get_json()
  for mode, run in data["runs"].items():
    assert run["status"] == "ok"
    for k in run["kernels"]: assert f'data-name="{k["name"]}"' in html
  assert 'id="chart-kernels"' in html and 'id="diff"' in html and "plotly.min.js" in html

def test_json_export_is_the_cli_shape(stored):
  data = stored["app"].test_client().get(f"/c/{stored['id']}.json").get_json()
  assert {"spec", "device", "tinygrad", "runs"} <= set(data) and list(data["runs"]) == ["baseline", "old"]
  assert data["spec"]["cin"] == SMALL["cin"] and data["id"] == stored["id"]

def test_standalone_html_has_everything_inline(stored):
  r = stored["app"].test_client().get(f"/c/{stored['id']}.html")
  html = r.get_data(as_text=True)
  assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
  assert not re.search(r'<(script|link)[^>]+(src|href)=', html), "no external assets"
  assert "Plotly" in html and ".hl" in html and stored["id"] in html

def test_permalink_survives_a_new_app_on_the_same_database(stored):
  app2 = create_app({"DATABASE": stored["db"], "TESTING": True})
  c = app2.test_client()
  assert c.get(f"/c/{stored['id']}").status_code == 200
  assert c.get(f"/c/{stored['id']}.json").get_json()["id"] == stored["id"]

def test_history_lists_and_filters(stored):
  c = stored["app"].test_client()
  assert stored["id"] in c.get("/history").get_data(as_text=True)
  assert stored["id"] in c.get("/history?cin=2").get_data(as_text=True)
  assert stored["id"] not in c.get("/history?cin=64").get_data(as_text=True)
  r = c.get("/history?cin=abc")
  assert r.status_code == 400 and "must be an integer" in r.get_data(as_text=True)
  assert [x["id"] for x in c.get("/api/comparisons?h=7").get_json()["comparisons"]] == [stored["id"]]

def test_diff_view_options_live_in_the_url(stored):
  c = stored["app"].test_client()
  html = c.get(f"/c/{stored['id']}?a=baseline&b=old&pair=0&view=unified&norm=1&ws=1&ctx=2").get_data(as_text=True)
  assert 'name="view" value="unified" checked' in html or 'value="unified" selected' in html
  assert "baseline · CPU · float32 · tinygrad 0.14.0" in html

def test_reproducer_is_a_python_script(stored):
  r = stored["app"].test_client().get(f"/c/{stored['id']}.py")
  assert r.status_code == 200 and "import numpy" in r.get_data(as_text=True) and "tinygrad" in r.get_data(as_text=True)

def test_rerun_makes_a_new_comparison_from_the_same_spec(stored):
  c = stored["app"].test_client()
  html = c.get(f"/c/{stored['id']}").get_data(as_text=True)
  form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html.split('id="rerun"')[0].rsplit("<form", 1)[1]))
  modes = re.findall(r'name="modes" value="(\w+)"', html.split('id="rerun"')[0].rsplit("<form", 1)[1])
  assert form["rerun"] == "1" and modes == ["baseline", "old"] and form["cin"] == str(SMALL["cin"])
  r = c.post("/", data={**form, "modes": modes})
  assert r.status_code == 303 and r.headers["Location"].startswith("/jobs/")
  job = c.get("/api" + r.headers["Location"]).get_json()
  assert job["id"] != stored["id"], "a re-run gets a permalink of its own"
  assert wait_done(c, "/api" + r.headers["Location"])["state"] == "done"
  assert c.get(f"/c/{job['id']}.json").get_json()["spec"] == c.get(f"/c/{stored['id']}.json").get_json()["spec"]

def test_force_new_skips_the_cost_model_and_has_its_own_permalink(client):
  body = {"spec": SMALL, "modes": ["baseline", "new"], "device": "CPU", "repeat": 1}
  plain, forced = client.post("/api/compare", json=body).get_json(), client.post("/api/compare", json={**body, "force_new": True}).get_json()
  assert plain["id"] != forced["id"]
  for b in (plain, forced): assert wait_done(client, b["status_url"])["state"] == "done"
  runs = {name: client.get(f"/c/{b['id']}.json").get_json()["runs"]["new"] for name, b in (("plain", plain), ("forced", forced))}
  assert not runs["plain"]["winograd"]["fired"] and "falls back to the direct conv" in runs["plain"]["message"]
  assert len(runs["plain"]["kernels"]) == 1
  assert runs["forced"]["winograd"]["fired"] and len(runs["forced"]["kernels"]) == 4
  # NEW that fell back ran baseline's kernel: never crowned, its pair says so (page, JSON, history)
  v = client.get(f"/c/{plain['id']}.json").get_json()["verdict"]
  assert v["fastest"] == "baseline" and v["borrowed"] == {"new": "baseline"}
  assert v["speedups"][0]["verdict"] == "n/a" and v["speedups"][0]["label"] == "NEW fell back: baseline's kernel"
  page = client.get(f"/c/{plain['id']}").get_data(as_text=True)
  assert "NEW fell back: baseline&#39;s kernel" in page and 'id="borrowed"' in page and page.count('title="fastest mode"') == 1
  assert '<b class="mode-new">' not in page
  row = client.get("/history").get_data(as_text=True).split(f'data-id="{plain["id"]}"')[1].split("</tr>")[0]
  assert "fell back" in row and "<td>baseline" in row and "<td>new" not in row
  page = client.get(f"/c/{forced['id']}").get_data(as_text=True)
  assert 'id="forced"' in page and 'name="force_new" value="on"' in page
  assert "FORCE_NEW = True" in client.get(f"/c/{forced['id']}.py").get_data(as_text=True)
  assert client.post("/api/compare", json={**body, "force_new": "yes"}).get_json()["field"] == "force_new"

def test_json_has_the_request_and_the_verdict(stored):
  data = stored["app"].test_client().get(f"/c/{stored['id']}.json").get_json()
  assert data["request"]["repeat"] == 2 and data["request"]["modes"] == ["baseline", "old"]
  assert {m: e["verdict"] for m, e in data["verdict"]["errors"].items()} == {"baseline": "correct", "old": "correct"}
  assert data["verdict"]["fastest"] in ("baseline", "old") and data["verdict"]["speedups"][0]["a"] == "old"

@pytest.mark.timing_processes(2)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_verdict_on_the_seeds_shape_in_page_and_json(client, dtype):
  """The seeds' shape (1,16->16, 32x32) in all three modes: every mode judged, the fastest marked, three speed-ups."""
  r = client.post("/api/compare", json={"spec": {"dtype": dtype}, "modes": ["baseline", "old", "new"], "device": "CPU", "repeat": 5,
                                         "force_new": True})
  assert wait_done(client, r.get_json()["status_url"])["state"] == "done"
  v = client.get(f"/c/{r.get_json()['id']}.json").get_json()["verdict"]
  assert set(v["errors"]) == {"baseline", "old", "new"} and v["worst"] == "correct", v["errors"]
  assert [(s["a"], s["b"]) for s in v["speedups"]] == [("new", "old"), ("new", "baseline"), ("old", "baseline")]
  assert all(s["verdict"] in ("faster", "slower", "within noise") and len(s["interval"]) == 2 for s in v["speedups"])
  html = client.get(f"/c/{r.get_json()['id']}").get_data(as_text=True)
  assert 'id="verdict"' in html and f'<b class="mode-{v["fastest"]}">{v["fastest"]}</b>' in html
  # each rule says the precision the run kept: NEW's CPU layout float32 in between, OLD the conv's dtype
  assert "Student-t" in html and f"{dtype}, Winograd, float32 intermediates: correct ≤" in html
  assert f"{dtype}, Winograd, {dtype} intermediates: correct ≤" in html
  assert html.count('class="badge" title="fastest mode"') == 1

def test_history_shows_the_outcome_and_filters_by_device_and_dtype(stored):
  c = stored["app"].test_client()
  html = c.get("/history").get_data(as_text=True)
  row = html.split(f'data-id="{stored["id"]}"')[1].split("</tr>")[0]
  assert "verdict-correct" in row and ("baseline" in row or "old" in row), row
  assert stored["id"] in c.get("/history?device=CPU&dtype=float32").get_data(as_text=True)
  assert stored["id"] not in c.get("/history?device=CUDA").get_data(as_text=True)
  assert stored["id"] not in c.get("/history?dtype=float16").get_data(as_text=True)

def test_a_row_stored_before_the_outcome_column_still_opens_and_lists(tmp_path):
  import sqlite3
  from app.store import MIGRATIONS, Store
  from wino_core.result import RunResult
  db = str(tmp_path / "old.sqlite3")
  con = sqlite3.connect(db)
  con.executescript(MIGRATIONS[0] + "; PRAGMA user_version=1;")
  run = RunResult(mode="baseline", status="ok", kernel_time_s={"min": 1e-3, "median": 1e-3, "max": 1e-3}, max_rel_err=1e-7).to_dict()
  data = {"spec": {**SMALL, "kernel": [3, 3], "groups": 1, "dtype": "float32"}, "device": "CPU", "tinygrad": "0.14.0", "runs": {"baseline": run}}
  con.execute("INSERT INTO comparisons VALUES (?,?,?,?,?,?,?,?)", ("00000000000000ab", 1.0, "CPU", "0.14.0", "baseline",
              json.dumps(data["spec"]), json.dumps({"repeat": 1}), json.dumps(data)))
  con.commit(); con.close()
  store = Store(db)
  assert store.schema_version == len(MIGRATIONS)
  [row] = store.list_comparisons()
  assert row["outcome"]["worst"] == "correct" and row["outcome"]["fastest"] == "baseline"
  assert store.get_comparison("00000000000000ab")["runs"]["baseline"]["kernel_time_s"]["median"] == 1e-3

def test_a_busy_machine_shows_a_noisy_run_and_keeps_it_in_the_json(app, client):
  from wino_core.result import RunResult
  from wino_core.verdict import METHOD
  from wino_core.spec import parse_spec
  def stored(cid, other_cpu):
    times = {"min": 1e-3, "median": 1e-3, "max": 1e-3, "samples": [1e-3] * 4, "processes": [[1e-3] * 2] * 2, "rounds": [0, 1]}
    machine = [{"round": r, "other_cpu": other_cpu, "loadavg": [0.5, 0.5], "cpus": 2, "wall_s": 0.3} for r in (0, 1)]
    run = RunResult(mode="baseline", status="ok", kernel_time_s=times, max_rel_err=1e-7, machine=machine).to_dict()
    spec = parse_spec(SMALL).to_dict()
    app.extensions["wino"]["store"].put_comparison(cid, {"repeat": 2}, {"spec": spec, "device": "CPU", "tinygrad": "0.14.0", "runs": {"baseline": run}})
  stored("00000000000000b1", 1.5)
  stored("00000000000000b2", 0.1)
  busy, quiet = (client.get(f"/c/{cid}").get_data(as_text=True) for cid in ("00000000000000b1", "00000000000000b2"))
  assert 'id="noisy-run"' in busy and "1.5 of the machine's 2 cores" in busy and 'id="noisy-run"' not in quiet
  j = client.get("/c/00000000000000b1.json").get_json()
  assert j["verdict"]["machine"]["noisy"] and j["runs"]["baseline"]["machine"][0]["other_cpu"] == 1.5 and j["verdict"]["method"] == METHOD

@pytest.mark.timing_processes(2)
def test_compare_these_two(client):
  body = {"spec": {**SMALL, "seed": 21}, "modes": ["baseline", "old"], "device": "CPU", "repeat": 3}
  ids = []
  for rerun in (0, 1):
    r = client.post("/api/compare", json={**body, "rerun": rerun}).get_json()
    assert wait_done(client, r["status_url"])["state"] == "done"
    ids.append(r["id"])
  html = client.get(f"/two?id={ids[0]}&id={ids[1]}").get_data(as_text=True)
  assert 'id="two"' in html and "old@A · CPU" in html and "old@B · CPU" in html and ", a re-run" in html
  assert 'data-pair="old@B/old@A"' in html and 'data-pair="baseline@B/baseline@A"' in html
  # a re-run compiles the same kernels: each pair is an A/A pair, never a win, and the page's noise reference
  assert html.count('class="speedup verdict-same-kernels"') == 2 and 'id="noise-reference"' in html and "faster</b>" not in html
  assert 'id="diff-table"' in html and 'id="rerun"' not in html
  other = client.post("/api/compare", json={**body, "spec": {**SMALL, "seed": 22}}).get_json()
  wait_done(client, other["status_url"])
  r = client.get(f"/two?id={ids[0]}&id={other['id']}")
  assert r.status_code == 400 and "different convs" in r.get_data(as_text=True)
  assert client.get(f"/two?id={ids[0]}").status_code == 400
  assert client.get(f"/two?id={ids[0]}&id=0123456789abcdef").status_code == 404

def test_standalone_export_keeps_the_view_and_every_modes_sources(stored):
  """the file opens in the view of the page it was taken from and carries every mode's kernels (as cards its script lays
  out, tests/test_browser_export.py drives them) and the diffs of every pair of modes"""
  c = stored["app"].test_client()
  page = c.get(f"/c/{stored['id']}?a=old&b=baseline&view=unified").get_data(as_text=True)
  assert f'href="/c/{stored["id"]}.html?a=old&amp;b=baseline&amp;view=unified"' in page
  html = c.get(f"/c/{stored['id']}.html?a=old&b=baseline&view=unified").get_data(as_text=True)
  assert 'class="diff diff-unified" id="diff-table"' in html and "old · CPU" in html.split('id="diff-label-a"')[1][:80]
  data = c.get(f"/c/{stored['id']}.json").get_json()
  offline = json.loads(re.search(r'id="view-data">(.*?)</script>', html, re.S).group(1))
  assert offline["view"] | {"a": "old", "b": "baseline", "view": "unified"} == offline["view"]
  for mi, (mode, run) in enumerate(data["runs"].items()):
    assert f'<template class="mode-cards" data-mode="{mode}" data-anchor="t{mi}">' in html
    for i, k in enumerate(run["kernels"]):
      assert f'id="t{mi}-k{i}-L1"' in html and offline["kernels"][mode][i]["source"] == k["source"]
  modes = list(data["runs"])
  assert set(offline["pairs"]) == {f"{a}|{b}" for a in modes for b in modes}
  assert len(offline["diffs"]) == 4 * len(offline["levels"]) * sum(len(p) for p in offline["pairs"].values())  # source and asm

def test_the_export_diffs_each_pair_of_sources_once_and_keeps_them_by_id(stored, monkeypatch):
  """every ordered pair of modes is in the file, but b↔a is a↔b mirrored (diffed once), and a comparison never changes,
  so a second download, in any view, diffs nothing (its script lays out the view from those diffs, as the page does)"""
  import app.kernel_diffs as kd
  calls = []
  real = kd.diff_kernels
  monkeypatch.setattr(kd, "diff_kernels", lambda a, b, **kw: calls.append((a, b)) or real(a, b, **kw))
  c = create_app({"DATABASE": stored["db"], "TESTING": True}).test_client()  # a server that has not exported it yet
  html = c.get(f"/c/{stored['id']}.html").get_data(as_text=True)
  offline = json.loads(re.search(r'id="view-data">(.*?)</script>', html, re.S).group(1))
  ks = offline["kernels"]
  def src(m, i): return "" if i is None else ks[m][i]["source"]
  pairs = {frozenset((src(a, p["a"]), src(b, p["b"]))) for key, ps in offline["pairs"].items() for a, b in [key.split("|")] for p in ps}
  levels = offline["levels"]  # the source, and the CPU's assembly: each diffed under the four matchings
  assert levels == ["source", "asm"]
  assert len(calls) == 4 * len(pairs) * len(levels) and len({frozenset(ab) for ab in calls}) == len(pairs) * len(levels)
  assert len(offline["diffs"]) == 4 * len(levels) * sum(len(p) for p in offline["pairs"].values()), "still every ordered pair"
  del calls[:]
  again = c.get(f"/c/{stored['id']}.html?a=old&b=baseline&view=unified").get_data(as_text=True)
  assert len(calls) == 0 and json.loads(re.search(r'id="view-data">(.*?)</script>', again, re.S).group(1))["rows"] == offline["rows"]

def test_the_page_carries_its_pair_of_modes_diffs_and_fetches_others(stored):
  """the live page lays out the same data as the export, but carries only the diffs of the modes it opens on; a mode
  pick fetches another pair's from diffs.json"""
  c = stored["app"].test_client()
  page = json.loads(re.search(r'id="view-data">(.*?)</script>', c.get(f"/c/{stored['id']}?a=old&b=baseline").get_data(as_text=True), re.S).group(1))
  assert {k.rsplit("|", 2)[0] for k in page["diffs"]} == {"old|baseline"} and page["view"] == {"a": "old", "b": "baseline"}
  assert page["diffs_url"] == f"/c/{stored['id']}/diffs.json"
  got = c.get(f"{page['diffs_url']}?a=baseline&b=old").get_json()
  assert len(got["diffs"]) == 4 * len(page["pairs"]["baseline|old"]) and {k.rsplit("|", 2)[0] for k in got["diffs"]} == {"baseline|old"}
  assert max(got["diffs"].values()) < len(got["rows"]) and all({"rows", "summary"} <= set(r) for r in got["rows"])
  r = c.get(f"{page['diffs_url']}?a=baseline&b=nope")
  assert r.status_code == 400 and "not a mode of this comparison" in r.get_data(as_text=True)
  # another level: its own diffs, fetched (the page carries a level's only when its URL names it)
  asm = c.get(f"{page['diffs_url']}?a=baseline&b=old&lvl=asm").get_json()
  assert set(asm["diffs"]) == {k + "|asm" for k in got["diffs"]}
  page = json.loads(re.search(r'id="view-data">(.*?)</script>', c.get(f"/c/{stored['id']}?a=old&b=baseline&lvl=asm").get_data(as_text=True), re.S).group(1))
  assert {k.split("|", 4)[-1] for k in page["diffs"]} == {"00", "01", "10", "11", "asm"} and page["view"]["lvl"] == "asm"
  r = c.get(f"{page['diffs_url']}?a=baseline&b=old&lvl=sass")
  assert r.status_code == 400 and "not a level of this comparison's kernels (source, asm)" in r.get_data(as_text=True)
