"""A queue worker's device is named worker first ("gpu-1/CUDA"), never with the '@' of a column's tinygrad; what was
stored, queued or linked under the old spelling ("CUDA@gpu-1") still opens, and a request naming it is read as today's."""
import pytest
from app import create_app
from app.rq_runner import _queue_of
from app.worker_devices import current_spelling, device_id, split_device_id
from wino_core.compare import CompareRequest
from wino_core.result import comparison_dict

def test_a_workers_device_splits_in_either_spelling_and_a_hosts_device_stays_whole():
  assert device_id("gpu-1", "CUDA:1") == "gpu-1/CUDA:1"
  assert split_device_id("gpu-1/CUDA:1") == split_device_id("CUDA:1@gpu-1") == ("gpu-1", "CUDA:1")
  for plain in ("CPU", "CUDA:1", "DISK:/tmp/x"):  # a device of this host: no worker, the name whole
    assert split_device_id(plain) == (None, plain) and current_spelling(plain) == plain
  assert current_spelling("CPU@w-a") == current_spelling("w-a/CPU") == "w-a/CPU"
  # a job queued under the old spelling waits on the same queue the worker listens on
  assert _queue_of("CPU@w-a") == _queue_of("w-a/CPU") == "wino-dash:w-a:CPU"

@pytest.fixture()
def old_spelling(tmp_path, small_runs):
  """A server whose store holds a comparison and a queued job from a queue worker, stored when its device was
  spelled "CPU@gpu-1" (real runs of a small conv; this server has no worker gpu-1)."""
  spec, runs = small_runs
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True})
  store = app.extensions["wino"]["store"]
  req = CompareRequest(spec, tuple(runs), "CPU@gpu-1", "0.14.0", repeat=1)
  store.put_comparison(req.id, req.to_dict(), comparison_dict(spec, "CPU@gpu-1", "0.14.0", runs))
  job = store.create_job("00000000000000aa", CompareRequest(spec, tuple(runs), "CPU@gpu-1", "0.14.0", repeat=2).id,
                         {**req.to_dict(), "repeat": 2}, "test", {"modes": {m: "queued" for m in runs}, "current": None})
  return {"client": app.test_client(), "id": req.id, "job": job["id"], "spec": spec}

def test_what_was_stored_under_the_old_spelling_still_opens(old_spelling):
  c, cid = old_spelling["client"], old_spelling["id"]
  page = c.get(f"/c/{cid}")
  assert page.status_code == 200 and '<b id="device">CPU@gpu-1</b>' in page.get_data(as_text=True)
  assert c.get(f"/c/{cid}.json").get_json()["device"] == "CPU@gpu-1"
  script = c.get(f"/c/{cid}.py")
  assert script.status_code == 200 and "DEVICE = 'CPU'" in script.get_data(as_text=True), "the reproducer runs on the worker's tinygrad device"
  assert cid in c.get("/history?device=CPU@gpu-1").get_data(as_text=True)
  assert c.get(f"/jobs/{old_spelling['job']}").status_code == 200
  assert c.get(f"/api/jobs/{old_spelling['job']}").get_json()["state"] == "queued"

def test_a_request_naming_the_old_spelling_is_read_as_todays(old_spelling):
  """an old link, script or re-run form: the device is read as "gpu-1/CPU", which this server does not have: a 400
  that names it, never a 500"""
  c = old_spelling["client"]
  body = {"spec": old_spelling["spec"].to_dict(), "modes": ["baseline", "old"], "device": "CPU@gpu-1"}
  r = c.post("/api/compare", json=body)
  assert r.status_code == 400 and r.get_json()["field"] == "device" and "'gpu-1/CPU'" in r.get_json()["error"], r.get_json()
  r = c.post("/api/sweeps", json={"model": "custom", "layers": "a 2 2 3 1 1 6", "device": "CPU@gpu-1"})
  assert r.status_code == 400 and r.get_json()["field"] == "device", r.get_json()
  from app.pages import form_defaults  # the re-run form of the old comparison's page, as it posts
  fields = {k: str(v) for k, v in form_defaults(old_spelling["spec"]).items() if k != "bias"}
  form = c.post("/", data={**fields, "modes": ["baseline", "old"], "device": "CPU@gpu-1", "rerun": "1"})
  assert form.status_code == 400 and "unknown device &#39;gpu-1/CPU&#39;" in form.get_data(as_text=True)
