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

def pytest_xdist_make_scheduler(config, log):
  """pytest-xdist's workers (-n 2, pyproject.toml) take whole files, each run in order on one worker (its tests share
  its module fixtures, and some run in order), and the browser files all on one worker: they share the session's
  server, Chromium and comparisons (below)."""
  from xdist.scheduler import LoadScopeScheduling
  class ByFile(LoadScopeScheduling):
    def _split_scope(self, nodeid:str) -> str:
      path = nodeid.split("::", 1)[0]
      return "browser" if os.path.basename(path).startswith("test_browser") else path
  return ByFile(config, log)

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
  import contextlib, fcntl
  from wino_core.envs import EnvError, add_release, get_env, remove
  home = os.environ.get("WINO_DASH_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wino-dash", "test-envs")
  os.makedirs(home, exist_ok=True)
  with open(os.path.join(home, "tests.lock"), "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist's workers: one installs it, the others wait and find it
    try: get_env(home, "0.13.0")
    except EnvError:
      with contextlib.suppress(EnvError): remove(home, "0.13.0")  # a failed or broken earlier install
      add_release(home, "0.13.0")
  return home

# ***** the browser and load tests' shared server, Chromium and comparisons: started once for the session *****

@pytest.fixture(scope="session")
def server(tmp_path_factory):
  """A real server (`wino-dash serve`) in a child process (tests/serving.py), one for every browser and load test of the
  session."""
  from tests.serving import Server
  s = Server(str(tmp_path_factory.mktemp("browser") / "db.sqlite3")).start()
  yield s
  s.kill()

@pytest.fixture(scope="session")
def browser():
  """One headless Chromium for the session: each test opens pages (each its own context) of its own."""
  playwright = pytest.importorskip("playwright.sync_api")
  from tests.serving import CHROMIUM_ARGS, chromium_path
  with playwright.sync_playwright() as p:
    b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield b
    b.close()

@pytest.fixture(scope="session")
def result_url(server, browser) -> str:
  """Submits the form like a reviewer would (baseline and OLD of a 4->6 10x10 conv) and waits for the job page to turn
  into the result; the URL of that result, for every browser test that reads a baseline-vs-OLD result."""
  import re
  from tests.serving import page_errors
  ctx = browser.new_context()
  page = ctx.new_page()
  errors = page_errors(page)
  page.goto(server.url + "/")
  for name, value in (("cin", "4"), ("cout", "6"), ("h", "10"), ("w", "10")): page.fill(f"#f-{name}", value)
  page.uncheck("#f-mode-new")
  page.click("#submit")
  page.wait_for_url(re.compile(r"/jobs/"), timeout=10_000)
  assert page.locator("#job-state").is_visible()
  page.wait_for_url(re.compile(r"/c/[0-9a-f]{16}$"), timeout=180_000)
  assert not errors, errors
  url = page.url
  ctx.close()
  return url

@pytest.fixture(scope="session")
def three_modes(server) -> dict:
  """baseline, OLD and NEW (forced: its rewrite graphs, four kernels paired by role with OLD's) of one tiny conv,
  through the real server's API; its stored JSON, for every browser test that reads all three modes."""
  from tests.serving import compare_via_api
  body = {"spec": {"batch": 1, "cin": 4, "cout": 4, "h": 8, "w": 8, "padding": 1}, "modes": ["baseline", "old", "new"], "device": "CPU",
          "repeat": 1, "force_new": True}
  return compare_via_api(server, body)
