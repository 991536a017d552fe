"""Running one (spec, mode) in a child process: real compiles on the CPU, and real failures handled."""
import os
import pytest
from wino_core.result import RunResult
from wino_core.run import RunSettings, run_mode
from wino_core.spec import ConvSpec

@pytest.fixture(scope="module")
def runs(small_specs) -> dict[tuple[int, str], RunResult]:
  return {(i, m): run_mode(s, m, "CPU", repeat=3, warmup=1) for i, s in enumerate(small_specs) for m in ("baseline", "old")}

@pytest.mark.parametrize("i", [0, 1])
def test_baseline_and_old_compile_run_and_are_correct(runs, i):
  base, old = runs[(i, "baseline")], runs[(i, "old")]
  for r in (base, old):
    assert r.status == "ok", r.message
    assert r.device == "CPU" and r.tinygrad == "0.14.0"
    assert r.kernels and all(k["source"].strip() and k["language"] == "c" for k in r.kernels)
    assert all(k["name"] in k["source"] for k in r.kernels), "the name is tinygrad's own, as in the generated code"
    assert r.max_rel_err is not None and r.max_rel_err < 1e-4
    assert r.compile_s > 0 and set(r.compile_split_s) == {"schedule", "codegen", "compiler"}
    assert abs(sum(r.compile_split_s.values()) - r.compile_s) < 1e-6
    assert r.kernel_time_s["min"] <= r.kernel_time_s["median"] <= r.kernel_time_s["max"]
    for k in r.kernels:
      assert k["time_s"]["min"] <= k["time_s"]["median"] <= k["time_s"]["max"]
      assert k["ops"] > 0 and k["bytes"] > 0 and len(k["global_size"]) == 3
  assert len(old.kernels) > len(base.kernels)
  assert [k["role"] for k in base.kernels] == ["conv"]
  assert sorted(k["role"] for k in old.kernels) == ["batched product", "input transform", "output", "weight transform"]
  assert old.kernels[-1]["role"] == "output"
  assert old.winograd["fired"] and not base.winograd

def test_old_that_does_not_apply_says_why():
  r = run_mode(ConvSpec(cin=2, cout=2, h=8, w=8, stride=2), "old", "CPU", repeat=1, warmup=0)
  assert r.status == "ok" and "stride 2" in r.message and len(r.kernels) == 1 and not r.winograd["fired"]
  r = run_mode(ConvSpec(cin=2, cout=2, h=8, w=8, kernel=(5, 5), padding=(2, 2, 2, 2)), "old", "CPU", repeat=1, warmup=0)
  assert r.status == "ok" and not r.winograd["fired"] and "a direct conv's" in r.message and "5×5" in r.message
  assert [k["role"] for k in r.kernels] == ["conv"]

def test_old_fired_is_what_its_kernels_say(tinygrad_checkout, tmp_path):
  # a tinygrad whose WINO=1 never rewrites: OLD's 3x3 conv runs a direct conv, and says so (a copy of 0.14.0's
  # condition would say it fired, and hold it to Winograd's error bound)
  import shutil
  repo = tmp_path / "tinygrad-no-wino"
  shutil.copytree(tinygrad_checkout, repo)
  op = repo / "tinygrad" / "mixin" / "op.py"
  text = op.read_text()
  assert "if WINO and all(x == 3" in text, "tinygrad's WINO=1 test moved: change it where it is now"
  op.write_text(text.replace("if WINO and all(x == 3", "if False and WINO and all(x == 3", 1))
  spec = ConvSpec(batch=1, cin=3, cout=4, h=10, w=10)
  r = child_run(spec, "old", PYTHONPATH=str(repo))
  assert r["status"] == "ok" and [k["role"] for k in r["kernels"]] == ["conv"]
  assert r["winograd"]["fired"] is False and "a direct conv's" in r["message"]

def test_kernel_names_carry_their_axes(runs):
  k = runs[(0, "baseline")].kernels[0]
  assert [str(n) for n, _ in k["axes"]] == k["name"].split("_")[1:]
  assert {kind for _, kind in k["axes"]} & {"reduce", "unroll"}, "a conv kernel reduces over cin, ky, kx"

def child_run(spec:ConvSpec, mode:str, **env) -> dict:
  """One run of the child itself, in an environment of our own (what a server started with these variables gives it)."""
  import json, os, subprocess, sys
  req = {"spec": spec.to_dict(), "mode": mode, "device": "CPU", "repeat": 1, "warmup": 0}
  p = subprocess.run([sys.executable, "-m", "wino_core.child"], input=json.dumps(req), capture_output=True, text=True, timeout=600,
                     env={**os.environ, "CACHELEVEL": "0", "PARALLEL": "0", **env})
  return json.loads(p.stdout.splitlines()[-1])["result"]

def test_no_color_changes_no_result():
  # axes, reduces and roles come from tinygrad's objects, not from the colour codes of its kernel names
  spec = ConvSpec(batch=1, cin=3, cout=4, h=10, w=10)
  plain, coloured = child_run(spec, "old", NO_COLOR="1"), child_run(spec, "old", NO_COLOR="0")
  assert plain["status"] == coloured["status"] == "ok", (plain["message"], coloured["message"])
  what = lambda r: [(k["name"], k["axes"], k["role"]) for k in r["kernels"]]
  assert what(plain) == what(coloured)
  assert sorted(k["role"] for k in plain["kernels"]) == ["batched product", "input transform", "output", "weight transform"]
  for k in plain["kernels"]: assert [str(n) for n, _ in k["axes"]] == k["name"].split("_")[1:] and "\x1b" not in k["name"]

@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_axes_are_the_ones_tinygrad_named(dtype):
  """Every mode's kernels on the default device (DEV=CUDA for a GPU): the axes read from the AST after its opts are the
  numbers of tinygrad's own name, in its order."""
  from tinygrad import Device
  spec = ConvSpec(batch=1, cin=8, cout=8, h=12, w=12, dtype=dtype)
  for mode in ("baseline", "old", "new"):
    r = run_mode(spec, mode, Device.DEFAULT, repeat=1, warmup=0, force_new=True)
    assert r.status == "ok", r.message
    for k in r.kernels:
      assert [str(n) for n, _ in k["axes"]] == k["name"].split("_")[1:], (mode, k["name"], k["axes"])

def test_data_flow_of_old_links_its_kernels(runs):
  ks = runs[(0, "old")].kernels
  written = {b for k in ks for b in k["writes"]}
  product = next(k for k in ks if k["role"] == "batched product")
  assert set(product["reads"]) <= written, "the batched product reads what the transforms wrote"

@pytest.mark.parametrize("fault,status", [("crash", "error"), ("raise", "error"), ("oom", "out_of_memory"), ("hang", "timeout")])
def test_injected_faults_become_results(fault, status, monkeypatch):
  import signal, subprocess
  import wino_core.run
  children = []
  class Recorded(subprocess.Popen):  # the real Popen, kept so the test can see what became of the child
    def __init__(self, *a, **kw): super().__init__(*a, **kw); children.append(self)
  monkeypatch.setattr(wino_core.run.subprocess, "Popen", Recorded)
  # a short limit only where it is the point: on a busy machine the others may take longer than 2 s to start
  r = run_mode(ConvSpec(), "baseline", "CPU", fault=fault, settings=RunSettings(timeout_s=2 if fault == "hang" else 300))
  assert r.status == status and r.message and r.mode == "baseline" and r.device == "CPU"
  (child,) = children
  assert child.returncode is not None, "the child is gone when its result is"
  if fault == "hang":  # stopped at its limit, it and whatever it started: its whole process group was killed
    assert child.returncode == -signal.SIGKILL and "longer than its limit of 2 s" in r.message
    with pytest.raises(ProcessLookupError): os.killpg(child.pid, 0)

def test_real_timeout_and_real_out_of_memory():
  r = run_mode(ConvSpec(), "old", "CPU", settings=RunSettings(timeout_s=0.3))
  assert r.status == "timeout" and "0.3 s" in r.message
  # 2**26 inputs drawn in float64 need 512 MB: over a 600 MB address-space limit once tinygrad is loaded
  r = run_mode(ConvSpec(batch=16, cin=64, cout=16, h=256, w=256), "baseline", "CPU", settings=RunSettings(memory_mb=600))
  assert r.status == "out_of_memory", r.message

def test_the_caller_carries_on_after_failures():
  assert run_mode(ConvSpec(), "baseline", "CPU", fault="crash").status == "error"
  assert run_mode(ConvSpec(cin=2, cout=2, h=6, w=6), "baseline", "CPU", repeat=1, warmup=0).status == "ok"
