import os
import pytest
from wino_core.spec import ConvSpec

# the suite's comparisons time each mode in its first process only (5 by default): each more process costs a mode
# tinygrad's import and a program load, and most tests read kernels, pages and errors, not the verdict's rounds; the
# tests of the rounds and of the verdict ask for their own count (--processes, RunSettings(processes=), or
# @pytest.mark.timing_processes(n) on a test of tests/test_app.py)
os.environ.setdefault("WINO_DASH_TIMING_PROCESSES", "1")

def pytest_configure(config):
  config.addinivalue_line("markers", "timing_processes(n): the test's app times each mode in n processes (the suite's default is 1)")

@pytest.fixture(scope="session")
def small_specs() -> list[ConvSpec]:
  """Two small shapes that still exercise padding, odd sizes and cin != cout."""
  return [ConvSpec(batch=1, cin=4, cout=8, h=12, w=12, padding=(1, 1, 1, 1)),
          ConvSpec(batch=2, cin=3, cout=5, h=9, w=7, padding=(0, 0, 0, 0), bias=True)]

@pytest.fixture(scope="session")
def small_runs():
  """baseline and OLD of one small conv, each run once in its child: real kernel dicts for the tests that read them."""
  from wino_core.run import run_mode
  spec = ConvSpec(batch=1, cin=3, cout=4, h=10, w=10, padding=(1, 1, 1, 1))
  return spec, {m: run_mode(spec, m, "CPU", repeat=1, warmup=0) for m in ("baseline", "old")}

GIT_AS_TESTS = ["-c", "user.name=wino-dash tests", "-c", "user.email=tests@wino-dash.invalid", "-c", "commit.gpgsign=false"]

def git(cwd, *args) -> str:
  import subprocess
  return subprocess.run(["git", *GIT_AS_TESTS, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()

def installed_tinygrad_dir() -> str:
  """The pinned tinygrad's package directory, found without importing it."""
  import importlib.util
  return importlib.util.find_spec("tinygrad").submodule_search_locations[0]

@pytest.fixture(scope="session")
def tinygrad_checkout(tmp_path_factory) -> str:
  """A tinygrad checkout of our own: a git repository (branch master, one commit, no remote) whose tinygrad/ is a copy
  of the installed package, with tinygrad's own ignores (running it writes __pycache__, which must not make it dirty).
  Returns the repository root, the directory to give `add_checkout`. Shared: tests must not leave it changed."""
  import shutil
  root = str(tmp_path_factory.mktemp("checkout") / "tinygrad-repo")
  shutil.copytree(installed_tinygrad_dir(), f"{root}/tinygrad", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
  with open(f"{root}/.gitignore", "w") as f: f.write("__pycache__/\n*.pyc\n")
  git(root, "init", "-q", "-b", "master")
  git(root, "add", "-A")
  git(root, "commit", "-q", "-m", "tinygrad as installed")
  return root

@pytest.fixture(scope="session")
def tinygrad_013_home() -> str:
  """An envs home holding the release 0.13.0, installed from the package index once and kept across test runs:
  $WINO_DASH_TEST_CACHE, else ~/.cache/wino-dash/test-envs. Installs (about 40 s) only when it is not there yet."""
  import contextlib
  from wino_core.envs import EnvError, add_release, get_env, remove
  home = os.environ.get("WINO_DASH_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wino-dash", "test-envs")
  try: get_env(home, "0.13.0")
  except EnvError:
    with contextlib.suppress(EnvError): remove(home, "0.13.0")  # a failed or broken earlier install
    add_release(home, "0.13.0")
  return home
