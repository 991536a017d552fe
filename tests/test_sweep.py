"""Network sweeps: the built-in layer tables against the published figures, request checks, and sweeps of tiny custom
networks through the API, the pages and the CLI: dedup, totals, a failing layer, a restart."""
import json, queue, subprocess, sys, time
import pytest
from app import create_app
from app.in_process_runner import InProcessRunner
from app.store import Store
from wino_core.compare import compare
from wino_core.networks import MODELS, network_layers
from wino_core.spec import SpecError
from wino_core.sweep_request import parse_layers, parse_sweep

# a repeated 3x3 (b and c), a 3x3 that differs only in cin (a), a 1x1 (d, where NEW does not apply)
TINY = "a 2 3 3 1 1 8\nb 3 3 3 1 1 8\nc 3 3 3 1 1 8\nd 3 4 1 1 0 8"
BODY = {"model": "custom", "layers": TINY, "modes": ["baseline", "old", "new"], "repeat": 2, "device": "CPU"}

@pytest.mark.parametrize("name, convs, gmacs", [("resnet18", 20, 1.814), ("resnet50", 53, 4.09), ("vgg16", 13, 15.35), ("unet", 19, None)])
def test_layer_tables_match_the_published_architectures(name, convs, gmacs):
  """conv counts from the papers; multiply-adds of the convs against the figures torchvision publishes for the same
  models (1.81, 4.09 and 15.47 GMACs, the last with VGG's 0.12 G of fully connected layers)"""
  m = MODELS[name]
  assert len(m.layers) == convs
  layers = network_layers(m.layers, batch=1)
  assert sum(l.multiplicity for l in layers) == convs and len({l.spec for l in layers}) == len(layers)
  macs = sum(l.spec.flops // 2 * l.multiplicity for l in layers) / 1e9
  if gmacs: assert abs(macs - gmacs) / gmacs < 0.01, macs
  # the spatial sizes follow the input: twice the side, four times the work
  twice = network_layers(m.layers, batch=1, scale=(2, 1))
  assert sum(l.spec.flops // 2 * l.multiplicity for l in twice) / 1e9 == pytest.approx(4 * macs, rel=0.01)

def test_unet_is_symmetric_and_resnet_downsamples_where_the_paper_says():
  u = {l.name: l for l in MODELS["unet"].layers}
  assert (u["down0.conv1"].size, u["bottom.conv1"].size, u["up3.conv2"].size) == (256, 16, 256)
  assert (u["up0.conv1"].cin, u["up0.conv1"].cout, u["out"].kernel) == (1024, 512, 1)
  r = {l.name: l for l in MODELS["resnet18"].layers}
  assert (r["layer2.0.conv1"].stride, r["layer2.0.downsample"].kernel, r["layer4.1.conv2"].size) == (2, 1, 7)
  assert "layer1.0.downsample" not in r

def test_bad_requests_say_what_is_wrong():
  for raw, field, words in [({"model": "resnet99"}, "model", "unknown model 'resnet99'"),
                            ({"model": "custom"}, "layers", "needs a list of layers"),
                            ({"model": "custom", "layers": "a 2 3 3 1"}, "layers", "layer 1: needs 7 values"),
                            ({"model": "custom", "layers": "a 2 x 3 1 1 8"}, "layers", "layer 1 (a): cout: must be an integer"),
                            ({"model": "vgg16", "batch": 64}, "layer conv1_1", "over the cap"),
                            ({"model": "resnet18", "size": 0}, "size", "must be at least 1, got 0"),
                            ({"model": "resnet18", "dtype": "int8"}, "dtype", "must be one of"),
                            ({"model": "resnet18", "bogus": 1}, "bogus", "unknown field")]:
    with pytest.raises(SpecError) as e: parse_sweep(raw)
    assert e.value.field == field and words in str(e.value), (raw, str(e.value))
  assert [l.name for l in parse_layers("# a comment\nx 1 2 3 1 1 8  # trailing\n\n")] == ["x"]

def test_the_search_setting_and_a_rerun_apply_to_every_layer():
  base = parse_sweep({"model": "resnet18", "device": "CPU"})
  beam = parse_sweep({"model": "resnet18", "device": "CPU", "search": {"beam": 2}})
  rerun = parse_sweep({"model": "resnet18", "device": "CPU", "rerun": 7})
  assert len({base.id, beam.id, rerun.id}) == 3
  for req, key, value in ((beam, "search", {"beam": 2}), (rerun, "rerun", 7)):
    table = req.layer_table()
    assert all(l["request"][key] == value for l in table)
    assert not {l["comparison"] for l in table} & {l["comparison"] for l in base.layer_table()}, "another setting is another comparison"

def wait(client, url:str, timeout:float=240) -> dict:
  end = time.monotonic() + timeout
  while time.monotonic() < end:
    s = client.get(url).get_json()
    if s["state"] == "done": return s
    time.sleep(0.3)
  raise AssertionError(f"sweep not done: {s}")

@pytest.fixture(scope="module")
def swept(tmp_path_factory):
  db = str(tmp_path_factory.mktemp("sweep") / "db.sqlite3")
  app = create_app({"DATABASE": db, "TESTING": True})
  c = app.test_client()
  r = c.post("/api/sweeps", json=BODY)
  assert r.status_code == 202, r.get_json()
  return {"app": app, "db": db, "body": r.get_json(), "sweep": wait(c, r.get_json()["status_url"])}

def test_a_sweep_runs_each_distinct_conv_once_and_totals_the_network(swept):
  s, c = swept["sweep"], swept["app"].test_client()
  assert [r["names"] for r in s["rows"]] == [["a"], ["b", "c"], ["d"]] and [r["multiplicity"] for r in s["rows"]] == [1, 2, 1]
  assert s["progress"] == {"done": 3, "total": 3, "current": None, "job": None} and s["message"] == ""
  for m in ("baseline", "old", "new"):
    assert s["totals"]["time_s"][m] == pytest.approx(sum(r["time_s"][m] * r["multiplicity"] for r in s["rows"]))
    assert s["totals"]["complete"][m]
  assert s["totals"]["new_old"] == pytest.approx(s["totals"]["time_s"]["new"] / s["totals"]["time_s"]["old"])
  assert s["totals"]["cumulative_share"][-1]["share"] == pytest.approx(1.0)
  d = s["rows"][2]
  assert d["new"] == "does not apply" and "1x1" in d["why"]
  assert all(r["worst"] == "correct" for r in s["rows"])
  # each layer is an ordinary stored comparison: the same request through /api/compare is already there
  b = s["rows"][1]
  r = c.post("/api/compare", json={"spec": b["spec"], "modes": ["baseline", "old", "new"], "repeat": 2, "device": "CPU"}).get_json()
  assert r["id"] == b["comparison"] and r["state"] == "done" and r["job"] is None
  assert c.get(f"/c/{b['comparison']}").status_code == 200
  # the same sweep again is the stored one; a different batch is another sweep
  again = c.post("/api/sweeps", json=BODY)
  assert again.status_code == 200 and again.get_json()["id"] == swept["body"]["id"]
  assert c.post("/api/sweeps", json={**BODY, "batch": 2}).get_json()["id"] != swept["body"]["id"]

def test_the_sweep_page_history_and_a_restart(swept):
  sid = swept["body"]["id"]
  swept["app"].extensions["wino"]["sweeps"].close()
  # a restart: a new app on the same store; its runner never runs the re-run sweep posted below (nothing here reads it)
  app = create_app({"DATABASE": swept["db"], "TESTING": True, "RUNNER": Stalled(Store(swept["db"]))})
  c = app.test_client()
  html = c.get(f"/s/{sid}").get_data(as_text=True)
  assert "custom network, batch 1, 8×8, float32" in html and html.count('class="layer-link"') == 3
  for row in swept["sweep"]["rows"]: assert f'href="/c/{row["comparison"]}"' in html
  assert "does not apply" in html and "NEW/OLD <b>" in html and 'id="sweep-chart-data"' in html
  assert c.get(f"/s/{sid}.json").get_json()["rows"] == swept["sweep"]["rows"]
  hist = c.get("/history").get_data(as_text=True)
  assert f'data-sweep="{sid}"' in hist and "custom network, batch 1, 8×8" in hist
  assert c.get("/s/0123456789abcdef").status_code == 404 and c.get("/s/nope").status_code == 404
  # the page's re-run button posts the sweep back with rerun=1: a new sweep with a permalink of its own
  rerun = c.post("/sweep", data={"model": "custom", "layers": TINY, "modes": ["baseline", "old", "new"], "device": "CPU", "rerun": "1"})
  assert rerun.status_code == 303 and rerun.headers["Location"].startswith("/s/") and sid not in rerun.headers["Location"]
  assert 'name="rerun" value="1"' in html
  r = c.post("/sweep", data={"model": "custom", "layers": "a 2 3 3 1", "modes": ["baseline", "old"]})
  assert r.status_code == 400 and "layer 1: needs 7 values" in r.get_data(as_text=True)
  app.extensions["wino"]["sweeps"].close()

class Stalled(InProcessRunner):
  """Queues jobs and never runs them: the server went down before the sweep's first layer ran."""
  def _queue_for(self, device:str) -> queue.Queue: return queue.Queue()

def test_an_unfinished_sweep_resumes_after_a_restart(tmp_path):
  db = str(tmp_path / "db.sqlite3")
  first = create_app({"DATABASE": db, "TESTING": True, "RUNNER": Stalled(Store(db))})
  r = first.test_client().post("/api/sweeps", json={**BODY, "layers": "a 2 3 3 1 1 6\nb 2 2 3 1 1 6", "modes": ["baseline", "old"]}).get_json()
  end = time.monotonic() + 10
  while not (s:=first.test_client().get(r["status_url"]).get_json())["progress"]["job"] and time.monotonic() < end: time.sleep(0.1)
  assert s["state"] == "queued" and s["progress"]["job"]["state"] == "queued", s
  first.extensions["wino"]["sweeps"].close()
  second = create_app({"DATABASE": db, "TESTING": True})
  s = wait(second.test_client(), r["status_url"])
  assert [row["status"] for row in s["rows"]] == ["done", "done"] and s["message"] == ""
  second.extensions["wino"]["sweeps"].close()

def until(what, timeout:float=30):
  end = time.monotonic() + timeout
  while not (got:=what()) and time.monotonic() < end: time.sleep(0.05)
  assert got, "never happened"
  return got

def test_sweeps_are_capped_in_layers_and_per_client(tmp_path):
  db = str(tmp_path / "db.sqlite3")
  app = create_app({"DATABASE": db, "TESTING": True, "RUNNER": Stalled(Store(db)), "MAX_SWEEP_LAYERS": 2, "MAX_SWEEPS_PER_CLIENT": 1,
                    "MAX_SWEEPS": 2})
  c = app.test_client()
  three = {**BODY, "layers": "a 2 3 3 1 1 6\nb 2 2 3 1 1 6\nc 3 2 3 1 1 6"}
  r = c.post("/api/sweeps", json=three)
  assert r.status_code == 400 and r.get_json() == {"error": "layers: 3 distinct convs, more than the 2 a sweep may run here", "field": "layers"}
  r = c.post("/api/sweeps", json={"model": "resnet18", "device": "CPU"})
  assert r.status_code == 400 and r.get_json()["field"] == "model" and "more than the 2 a sweep may run here" in r.get_json()["error"]
  two = {**BODY, "layers": "a 2 3 3 1 1 6\nb 2 2 3 1 1 6"}
  first = c.post("/api/sweeps", json=two)
  assert first.status_code == 202
  assert c.post("/api/sweeps", json=two).status_code == 200, "the same sweep again is the one stored, not another"
  r = c.post("/api/sweeps", json={**two, "batch": 2})
  assert r.status_code == 429 and "too many sweeps for you: 1 of yours are queued or running, at most 1" in r.get_json()["error"]
  r = c.post("/sweep", data={"model": "custom", "layers": "a 2 3 3 1 1 6", "modes": ["baseline", "old"], "device": "CPU"})
  assert r.status_code == 429 and "too many sweeps for you" in r.get_data(as_text=True)
  other = app.test_client()
  assert other.post("/api/sweeps", json={**two, "batch": 3}, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 202
  r = other.post("/api/sweeps", json={**two, "batch": 4}, environ_base={"REMOTE_ADDR": "10.0.0.3"})
  assert r.status_code == 429 and "too many sweeps: 2 are queued or running, at most 2" in r.get_json()["error"]
  Store(db).update_sweep(first.get_json()["id"], state="done")  # one ended: room again
  assert c.post("/api/sweeps", json={**two, "batch": 2}).status_code == 202
  app.extensions["wino"]["sweeps"].close()

def test_the_runner_advances_only_a_sweep_whose_job_changed(tmp_path):
  """nothing is polled: idle sweeps are never walked, and a job's end moves its own sweep and no other"""
  db = str(tmp_path / "db.sqlite3")
  store = Store(db)
  app = create_app({"DATABASE": db, "TESTING": True, "RUNNER": Stalled(store)})
  runner, c = app.extensions["wino"]["sweeps"], app.test_client()
  walked, advance = [], runner.advance
  runner.advance = lambda s: walked.append(s["id"]) or advance(s)
  two = {**BODY, "layers": "a 2 3 3 1 1 6\nb 2 2 3 1 1 6", "modes": ["baseline", "old"]}
  a, b = (c.post("/api/sweeps", json={**two, "batch": n}).get_json() for n in (1, 2))
  job = {s["id"]: until(lambda s=s: c.get(s["status_url"]).get_json()["progress"]["job"])["id"] for s in (a, b)}
  del walked[:]
  time.sleep(1.5)  # a poll would have walked both several times by now
  assert walked == [], "nothing changed, nothing walked"
  store.update_job(job[a["id"]], state="failed", message="injected: this layer's job failed")
  now = until(lambda: (s:=c.get(a["status_url"]).get_json())["rows"][0]["status"] == "failed" and s["progress"]["job"] and s)
  assert now["progress"]["current"] == 1 and now["progress"]["job"]["id"] != job[a["id"]]
  assert set(walked) == {a["id"]}, "the other sweep's job did not change: it is not walked"
  assert c.get(b["status_url"]).get_json()["progress"]["job"]["id"] == job[b["id"]]
  runner.close()

def test_a_failing_layer_is_marked_and_the_others_complete(tmp_path):
  def faulty(req, *a, **kw):
    if req.spec.cin == 5: raise RuntimeError("injected fault in this layer")
    return compare(req, *a, **kw)
  db = str(tmp_path / "db.sqlite3")
  app = create_app({"DATABASE": db, "TESTING": True, "RUNNER": InProcessRunner(Store(db), run_comparison=faulty)})
  c = app.test_client()
  r = c.post("/api/sweeps", json={**BODY, "layers": "a 2 3 3 1 1 6\nbad 5 3 3 1 1 6\nc 3 2 3 1 1 6", "modes": ["baseline", "new"]}).get_json()
  s = wait(c, r["status_url"])
  assert [row["status"] for row in s["rows"]] == ["done", "failed", "done"]
  assert "injected fault in this layer" in s["rows"][1]["message"] and s["message"] == "1 of 3 layers failed"
  assert not s["totals"]["complete"]["baseline"] and s["totals"]["new_base"] is None
  assert "injected fault" in c.get(f"/s/{r['id']}").get_data(as_text=True)
  app.extensions["wino"]["sweeps"].close()

def test_cli_sweep_prints_the_table_and_totals(tmp_path):
  cmd = [sys.executable, "-m", "app.cli", "sweep", "custom", "--layers", "a 2 3 3 1 1 6; b 2 3 3 1 1 6; d 3 2 1 1 0 6",
         "--modes", "baseline,new", "--repeat", "1"]
  p = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=300)
  assert p.returncode == 0, p.stderr
  out = json.loads(p.stdout)
  assert [r["names"] for r in out["rows"]] == [["a", "b"], ["d"]] and out["totals"]["complete"] == {"baseline": True, "new": True}
  assert "[####################] 2/2" in p.stderr and "d · new: timing" in p.stderr
  bad = subprocess.run([sys.executable, "-m", "app.cli", "sweep", "vgg16", "--batch", "64"], capture_output=True, text=True, timeout=120)
  assert bad.returncode == 2 and bad.stderr.startswith("wino-dash: error: layer conv1_1:") and "Traceback" not in bad.stderr
