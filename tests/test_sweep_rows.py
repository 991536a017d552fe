"""A sweep page polls its JSON each second while the sweep runs: a finished layer's row comes from its stored
comparison, which never changes, so it is read and its verdict (a bootstrap) computed once, not on every poll."""
import time
import pytest
from app import create_app
from app.in_process_runner import InProcessRunner
from app.store import Store
from wino_core import verdict
from wino_core.result import comparison_dict
from wino_core.sweep_table import comparison_outcome, layer_row

def test_a_finished_layers_row_is_computed_once_and_is_the_row_computed_afresh(tmp_path, small_runs, monkeypatch):
  spec, runs = small_runs  # real runs (baseline, OLD) of one small conv, stored as each layer's comparison: no child here
  def stored_runs(req, *a, **kw): return comparison_dict(req.spec, req.device, req.tinygrad, runs)
  db = str(tmp_path / "db.sqlite3")
  app = create_app({"DATABASE": db, "TESTING": True, "RUNNER": InProcessRunner(Store(db), run_comparison=stored_runs)})
  c = app.test_client()
  r = c.post("/api/sweeps", json={"model": "custom", "layers": "a 2 3 3 1 1 6\nb 3 3 3 1 1 6\nc 4 3 3 1 1 6", "modes": ["baseline", "old"],
                                  "device": "CPU"}).get_json()
  end = time.monotonic() + 60
  while c.get(r["status_url"]).get_json()["state"] != "done" and time.monotonic() < end: time.sleep(0.1)
  reads, verdicts = [], []
  real_get, real_verdict = Store.get_comparison, verdict.verdict
  monkeypatch.setattr(Store, "get_comparison", lambda self, cid: reads.append(cid) or real_get(self, cid))
  monkeypatch.setattr(verdict, "verdict", lambda cmp: verdicts.append(1) or real_verdict(cmp))
  first = c.get(r["status_url"]).get_json()
  assert first["state"] == "done" and [row["status"] for row in first["rows"]] == ["done"] * 3
  del reads[:], verdicts[:]
  for _ in range(3): assert c.get(r["status_url"]).get_json() == first
  assert c.get(f"/s/{r['id']}").status_code == 200
  assert (reads, verdicts) == ([], [])  # failed before: 3 comparisons parsed and 3 verdicts per poll
  # the kept rows are the rows computed afresh, and another app (a restart) computes them once again
  store = Store(db)
  afresh = [layer_row(l, comparison_outcome(real_get(store, l["comparison"]))) for l in store.get_sweep(r["id"])["layers"]]
  assert first["rows"] == afresh
  del verdicts[:]
  again = create_app({"DATABASE": db, "TESTING": True}).test_client()
  assert again.get(r["status_url"]).get_json()["rows"] == afresh and len(verdicts) == 3
