import json, subprocess, sys
from wino_core.result import RunResult

def cli(*args):
  return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=300)

def test_compare_json_has_the_schema():
  p = cli("compare", "--batch", "1", "--cin", "3", "--cout", "4", "--size", "10", "--padding", "1", "--modes", "baseline,old",
          "--device", "CPU", "--repeat", "2", "--processes", "2", "--json")
  assert p.returncode == 0, p.stderr
  out = json.loads(p.stdout)  # exactly one JSON object
  assert set(out) == {"spec", "device", "device_model", "tinygrad", "runs", "verdict", "code", "rule_source"}
  assert out["code"]["id"] and any("def new_winograd" in src for src in out["rule_source"].values())  # what made it: the code's identity and NEW's rule
  assert out["device_model"] and isinstance(out["device_model"], str)  # the CPU's model name: what the roofline's peaks key on
  assert out["spec"]["h"] == out["spec"]["w"] == 10 and out["device"] == "CPU" and out["tinygrad"] == "0.14.0"
  assert list(out["runs"]) == ["baseline", "old"]
  fields = set(RunResult.__dataclass_fields__)
  for mode, r in out["runs"].items():
    assert set(r) == fields and r["mode"] == mode and r["status"] == "ok"
    kt = r["kernel_time_s"]  # the runs of each timing process apart: the verdict's unit of evidence
    assert set(kt) == {"min", "median", "max", "samples", "processes", "rounds"} and kt["rounds"] == [0, 1]
    assert [len(p) for p in kt["processes"]] == [2, 2] and sorted(kt["samples"]) == sorted(kt["processes"][0] + kt["processes"][1])
    assert len(r["machine"]) == 2 and all({"other_cpu", "loadavg", "cpus", "round"} <= set(m) for m in r["machine"])
    assert out["verdict"]["errors"][mode]["verdict"] == "correct"
    for k in r["kernels"]:
      assert {"name", "source", "language", "global_size", "local_size", "ops", "bytes", "time_s"} <= set(k) and len(k["time_s"]["samples"]) == 4
  assert [(s["a"], s["b"]) for s in out["verdict"]["speedups"]] == [("old", "baseline")]

def test_table_and_progress():
  p = cli("compare", "--cin", "2", "--cout", "2", "--size", "6", "--modes", "baseline", "--repeat", "1")
  assert p.returncode == 0, p.stderr
  assert "baseline" in p.stdout and "ok" in p.stdout and "kernel time" in p.stdout
  assert "baseline: compiling" in p.stderr and "baseline: timing" in p.stderr
  assert p.stdout.splitlines()[-1].startswith("verdict: fastest: baseline; errors: baseline correct")  # then "; noisy run: ..." on a busy machine

def test_bad_spec_is_one_line_and_exit_2():
  for args in (["--groups", "3"], ["--batch", "-1"], ["--dtype", "int8"], ["--modes", "fast"], ["--device", "NOPE"]):
    p = cli("compare", *args)
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("wino-dash: error:"), p.stderr

def test_bfloat16_runs_every_mode_and_is_correct():
  # numpy has no bfloat16: the inputs are float32 values bfloat16 holds exactly, cast by tinygrad, and the reference
  # uses those very values. Where the CPU's clang cannot compile __bf16 the run says tinygrad emulated it.
  p = cli("compare", "--cin", "16", "--cout", "16", "--size", "16", "--dtype", "bfloat16", "--modes", "baseline,old,new",
          "--device", "CPU", "--repeat", "1", "--processes", "1", "--json")
  assert p.returncode == 0, p.stderr
  out = json.loads(p.stdout)
  assert out["spec"]["dtype"] == "bfloat16"
  for mode, r in out["runs"].items():
    assert r["status"] == "ok", (mode, r["message"])
    assert r["precision"]["input"] == r["precision"]["output"] == ["bfloat16"]
    assert out["verdict"]["errors"][mode]["verdict"] == "correct", (mode, out["verdict"]["errors"][mode])
    assert "bfloat16" in out["verdict"]["errors"][mode]["rule"]
    if r["precision"]["emulated"]: assert "emulated" in out["verdict"]["errors"][mode]["rule"]  # said where it was
  assert out["runs"]["old"]["winograd"]["fired"] and out["runs"]["new"]["winograd"]["fired"]
  assert out["runs"]["new"]["precision"]["intermediate"] == ["float32"]  # NEW's CPU layout keeps float32 in between
  assert out["runs"]["old"]["precision"]["intermediate"] == ["bfloat16"]
  assert out["runs"]["baseline"]["max_rel_err"] < 2**-7  # baseline's own error is about bfloat16's output rounding
