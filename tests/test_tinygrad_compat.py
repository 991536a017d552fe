"""wino_core/tinygrad_compat.py: the child finds what a tinygrad has for capturing and timing kernels by looking, and a
tinygrad with none of it gets a column that says so."""
import os, shutil
from tests.conftest import installed_tinygrad_dir
from wino_core.envs import Env, pinned_env
from wino_core.run import run_mode
from wino_core.spec import parse_spec

SMALL = parse_spec({"batch": 1, "cin": 4, "cout": 4, "h": 8, "w": 8, "padding": 1})

def test_a_tinygrad_without_a_capture_hook_says_so(tmp_path):
  """The pinned tinygrad copied with compile_linear renamed everywhere (it still imports): no LINEAR to capture, and no
  ScheduleItems of the 0.11 era either; the column fails naming both, not with an ImportError from deep inside."""
  root = tmp_path / "co"
  shutil.copytree(installed_tinygrad_dir(), root / "tinygrad", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
  for d, _, files in os.walk(root / "tinygrad"):
    for f in files:
      if f.endswith(".py") and "compile_linear" in (text:=open(os.path.join(d, f), encoding="utf-8").read()):
        open(os.path.join(d, f), "w", encoding="utf-8").write(text.replace("compile_linear", "compile_linear_gone"))
  env = Env(name="no-hook", kind="checkout", python=pinned_env().python, path=str(root))
  r = run_mode(SMALL, "baseline", "CPU", repeat=1, env=env)
  assert r.status == "error"
  assert "cannot capture kernels on the tinygrad at " + str(root / "tinygrad") in r.message
  assert "neither compile_linear with a capture hook (0.13 and later) nor lower_schedule_item (the 0.11 era)" in r.message

def test_the_pinned_tinygrad_takes_the_linear_pipeline():
  r = run_mode(SMALL, "baseline", "CPU", repeat=1)
  assert r.status == "ok" and "not captured" not in r.message and r.kernels[0]["axes"] and r.graphs["kernel_asts"]
