"""The reproducer script: run for real, in a clean directory where wino_core cannot be imported."""
import ast, os, re, subprocess, sys
import pytest
import wino_core.reproducer as reproducer
from wino_core.reproducer import reproducer_script

def run_script(text:str, tmp_path, *args) -> subprocess.CompletedProcess:
  (path:=tmp_path / "repro.py").write_text(text)
  env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"CACHELEVEL": "0"}
  return subprocess.run([sys.executable, str(path), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

def printed_modes(stdout:str) -> dict[str, dict]:
  """{mode: {"kernels": [names], "count": n, "abs": err, "rel": err}} from the script's output."""
  out = {}
  for m in re.finditer(r"^== (\w+) on CPU: (\d+) kernels?\n(?P<names>(?:  \w+  opts: .*\n)+)  max abs error (\S+), max rel error (\S+)$", stdout, re.M):
    lines = m.group("names").splitlines()
    out[m.group(1)] = {"count": int(m.group(2)), "kernels": [l.split()[0] for l in lines], "opts": [l.split("opts: ")[1] for l in lines],
                       "abs": float(m.group(4)), "rel": float(m.group(5))}
  return out

@pytest.fixture(scope="module")
def script_run(small_runs, tmp_path_factory):
  spec, _ = small_runs
  text = reproducer_script(spec, ["baseline", "old"], "CPU", repeat=3, processes=2)
  return text, run_script(text, tmp_path_factory.mktemp("repro"))

def test_runs_standalone_and_prints_what_run_mode_reports(script_run, small_runs):
  _, p = script_run
  _, runs = small_runs
  assert p.returncode == 0, p.stderr
  modes = printed_modes(p.stdout)
  assert list(modes) == ["baseline", "old"]
  for mode, printed in modes.items():
    assert printed["kernels"] == [k["name"] for k in runs[mode].kernels], "the same kernels as wino-dash's own run"
    assert [o.count("Opt(") for o in printed["opts"]] == [len(k["opts"]) for k in runs[mode].kernels], "and the same opts"
    assert printed["count"] == len(printed["kernels"]) and printed["abs"] < 1e-4 and printed["rel"] < 1e-4
  assert len(modes["old"]["kernels"]) == 4

def test_times_each_mode_in_interleaved_processes_and_prints_the_verdict(script_run):
  _, p = script_run
  last = p.stdout.splitlines()[-1]
  assert re.fullmatch(r"verdict: old/baseline \d+\.\d\d× \((faster|slower|within noise)\)(; noisy run: .*)? \(timed in 2 processes per mode\)", last), last
  assert "TIMES" not in p.stdout  # the processes' own protocol lines stay between them and main()

def test_needs_only_tinygrad_numpy_and_the_standard_library(script_run):
  text, _ = script_run
  tops = set()
  for node in ast.walk(ast.parse(text)):
    if isinstance(node, ast.Import): tops |= {a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom): tops.add(node.module.split(".")[0])
  assert "wino_core" not in tops and tops - sys.stdlib_module_names == {"tinygrad", "numpy"}

def test_source_flag_prints_the_generated_code(script_run, small_runs, tmp_path):
  text, _ = script_run
  _, runs = small_runs
  p = run_script(text, tmp_path, "--mode", "baseline", "--source")
  assert p.returncode == 0, p.stderr
  assert runs["baseline"].kernels[0]["source"] in p.stdout

# a stand-in for the NEW rule, written like the real module: postponed annotations (Iterator is never imported), a
# dataclass, docstrings, escapes. It is OLD's Winograd under NEW's name, so its kernels tell that the script installed it.
STAND_IN = '''"""A stand-in NEW rule: "\\n" and \\'quotes\\' must survive the embedding."""
from __future__ import annotations
import contextlib
from dataclasses import dataclass
from tinygrad.helpers import Context

@dataclass
class Report:
  fired: bool
  def to_json(self) -> dict: return {"fired": self.fired}

@contextlib.contextmanager
def new_winograd(force:bool=False) -> Iterator[Report]:
  assert force, "the script passes the comparison's force_new"
  with Context(WINO=1): yield Report(fired=True)
'''

def test_new_embeds_the_rule_package_and_imports_it_as_one(small_runs, tmp_path, monkeypatch):
  """The rule is a package whose files import each other by absolute name (wino_core.winograd.x): the script holds every
  file and imports them as that package."""
  spec, runs = small_runs
  monkeypatch.setattr(reproducer, "NEW_RULE_DIR", rule:=tmp_path / "winograd")
  rule.mkdir()
  (rule / "__init__.py").write_text("from wino_core.winograd.install import new_winograd\n")
  (rule / "install.py").write_text(STAND_IN)
  text = reproducer_script(spec, ["new"], "CPU", force_new=True)
  assert "'wino_core/winograd/install.py': r" in text and STAND_IN in text
  p = run_script(text, tmp_path)
  assert p.returncode == 0, p.stderr
  assert printed_modes(p.stdout)["new"]["kernels"] == [k["name"] for k in runs["old"].kernels]

def test_a_rule_stored_as_one_file_still_runs(small_runs, tmp_path):
  """Comparisons stored while the rule was one file (wino_core/winograd.py) keep its source as one string."""
  spec, runs = small_runs
  text = reproducer_script(spec, ["new"], "CPU", force_new=True, rule=STAND_IN)
  assert STAND_IN in text
  p = run_script(text, tmp_path)
  assert p.returncode == 0, p.stderr
  assert printed_modes(p.stdout)["new"]["kernels"] == [k["name"] for k in runs["old"].kernels]

def test_new_without_the_rule_says_so(small_runs, tmp_path, monkeypatch):
  spec, _ = small_runs
  monkeypatch.setattr(reproducer, "NEW_RULE_DIR", tmp_path / "missing")
  p = run_script(reproducer_script(spec, ["new"], "CPU"), tmp_path)
  assert p.returncode == 0, p.stderr
  assert "== new: NEW is not available" in p.stdout

def test_new_rule_reproduces_run_mode(small_runs, tmp_path):
  from wino_core.run import run_mode
  spec, _ = small_runs
  p = run_script(reproducer_script(spec, ["new"], "CPU", force_new=True), tmp_path)
  assert p.returncode == 0, p.stderr
  printed = printed_modes(p.stdout)["new"]
  forced = run_mode(spec, "new", "CPU", repeat=1, warmup=0, force_new=True)
  assert forced.winograd["fired"] and len(forced.kernels) == 4, "this small conv is under the cost model: forced, NEW fires"
  assert printed["kernels"] == [k["name"] for k in forced.kernels] and printed["rel"] < 1e-4
