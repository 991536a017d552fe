"""tinygrad environments (wino_core/envs.py): the registry, a checkout's identity, the `wino-dash tinygrad` CLI, and a
real release (0.13.0) installed from the package index. Fast tests first; the install ones last."""
import importlib.metadata, json, os, re, shutil, subprocess, sys
import pytest
from tests.conftest import git, installed_tinygrad_dir
from wino_core import envs
from app.cli import main
from wino_core.envs import PINNED, PROJECT_ROOT, Env, EnvError, add_checkout, add_release, failed, get_env, identity, list_envs, remove

def test_the_pinned_env_is_the_installed_tinygrad(tmp_path):
  assert PINNED == importlib.metadata.version("tinygrad")
  home = str(tmp_path / "tinygrad")
  assert list_envs(home) == [Env(name=PINNED, kind="pinned", python=sys.executable, version=PINNED)]
  assert get_env(home, PINNED) == list_envs(home)[0]
  assert identity(get_env(home, PINNED)) == {"name": PINNED, "kind": "pinned", "version": PINNED}
  assert os.path.isfile(os.path.join(PROJECT_ROOT, "wino_core", "child.py"))
  assert get_env(home, PINNED).child_env() == {"PYTHONPATH": PROJECT_ROOT}
  assert not os.path.exists(home)  # reading creates nothing

def test_envs_home_is_beside_the_store(tmp_path):
  assert envs.envs_home(str(tmp_path / "inst" / "wino-dash.sqlite3")) == str(tmp_path / "inst" / "tinygrad")

def test_envs_imports_neither_tinygrad_nor_flask():
  code = "import sys, wino_core.envs; print(sorted(m for m in ('tinygrad', 'flask') if m in sys.modules))"
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT).stdout
  assert out.strip() == "[]"

def test_add_checkout_registers_it_in_place(tmp_path, tinygrad_checkout):
  home = str(tmp_path / "tinygrad")
  env = add_checkout(home, tinygrad_checkout, "pr-1")
  assert env == Env(name="pr-1", kind="checkout", python=sys.executable, path=tinygrad_checkout)
  assert env.child_env()["PYTHONPATH"].split(os.pathsep) == [tinygrad_checkout, PROJECT_ROOT]
  add_checkout(home, tinygrad_checkout + "/", "pr_2.b")  # any spelling of the same directory
  assert [(e.name, e.kind) for e in list_envs(home)] == [(PINNED, "pinned"), ("pr-1", "checkout"), ("pr_2.b", "checkout")]
  assert get_env(home, "pr_2.b").path == tinygrad_checkout
  with open(os.path.join(home, "envs.json")) as f: reg = json.load(f)
  assert [e["name"] for e in reg["envs"]] == ["pr-1", "pr_2.b"]
  assert not [f for f in os.listdir(home) if f.endswith(".json") and f != "envs.json"]  # no temp file left
  assert not os.path.exists(os.path.join(home, "pr-1"))  # used in place: nothing copied

def test_add_checkout_refuses(tmp_path, tinygrad_checkout):
  home = str(tmp_path / "tinygrad")
  (tmp_path / "empty").mkdir()
  with pytest.raises(EnvError, match=r"empty is not a tinygrad checkout: no tinygrad/__init__.py$"): add_checkout(home, str(tmp_path / "empty"), "x")
  with pytest.raises(EnvError, match="not a tinygrad checkout"): add_checkout(home, str(tmp_path / "nowhere"), "x")
  pkg = os.path.join(tinygrad_checkout, "tinygrad")
  with pytest.raises(EnvError, match=f"is the tinygrad package itself: pass its parent, {re.escape(tinygrad_checkout)}$"): add_checkout(home, pkg, "x")
  for bad in ("", "a/b", "../up", "-flag", ".hidden", "x" * 65, "sp ace"):
    with pytest.raises(EnvError, match="bad environment name"): add_checkout(home, tinygrad_checkout, bad)
  add_checkout(home, tinygrad_checkout, "x" * 64)
  with pytest.raises(EnvError, match="name x+ is in use \\(a checkout at "): add_checkout(home, tinygrad_checkout, "x" * 64)
  with pytest.raises(EnvError, match=f"{PINNED} is taken: it is the installed \\(pinned\\) tinygrad"): add_checkout(home, tinygrad_checkout, PINNED)
  assert [e.name for e in list_envs(home)] == [PINNED, "x" * 64]

def test_get_env_on_an_unknown_name_says_which_are_known(tmp_path, tinygrad_checkout):
  home = str(tmp_path / "tinygrad")
  add_checkout(home, tinygrad_checkout, "pr-7")
  with pytest.raises(EnvError) as e: get_env(home, "pr-8")
  assert str(e.value) == f"unknown tinygrad environment 'pr-8': known are {PINNED}, pr-7 (add one with `wino-dash tinygrad add`)"

def test_remove(tmp_path, tinygrad_checkout):
  home = str(tmp_path / "tinygrad")
  add_checkout(home, tinygrad_checkout, "a")
  add_checkout(home, tinygrad_checkout, "b")
  remove(home, "a")
  assert [e.name for e in list_envs(home)] == [PINNED, "b"]
  assert os.path.isfile(os.path.join(tinygrad_checkout, "tinygrad", "__init__.py"))  # a checkout's files stay
  with pytest.raises(EnvError, match="unknown tinygrad environment 'a'"): get_env(home, "a")
  with pytest.raises(EnvError, match="unknown tinygrad environment 'a': known are"): remove(home, "a")
  with pytest.raises(EnvError, match=f"{PINNED} is the installed \\(pinned\\) tinygrad: it cannot be removed"): remove(home, PINNED)
  assert get_env(home, PINNED).kind == "pinned"

def test_a_removed_release_takes_its_venv_along(tmp_path):
  # registered by hand, as add_release leaves it: the venv is deleted with the entry
  home = tmp_path / "tinygrad"
  (home / "0.9.0" / "venv" / "bin").mkdir(parents=True)
  (home / "0.9.0" / "venv" / "bin" / "python").write_text("")
  (home / "envs.json").write_text(json.dumps({"envs": [{"name": "0.9.0", "kind": "release", "version": "0.9.0"}]}))
  assert get_env(str(home), "0.9.0") == Env(name="0.9.0", kind="release", python=str(home / "0.9.0" / "venv" / "bin" / "python"), version="0.9.0")
  remove(str(home), "0.9.0")
  assert not (home / "0.9.0").exists() and [e.name for e in list_envs(str(home))] == [PINNED]

def test_a_release_whose_venv_vanished_says_so(tmp_path):
  home = tmp_path / "tinygrad"
  home.mkdir()
  (home / "envs.json").write_text(json.dumps({"envs": [{"name": "0.9.0", "kind": "release", "version": "0.9.0"}]}))
  with pytest.raises(EnvError, match=r"tinygrad 0.9.0's venv is gone .*: run `wino-dash tinygrad remove 0.9.0`, then add it again$"): get_env(str(home), "0.9.0")

def test_an_unreadable_registry_says_where(tmp_path):
  home = tmp_path / "tinygrad"
  home.mkdir()
  (home / "envs.json").write_text("{not json")
  with pytest.raises(EnvError, match=f"the registry {re.escape(str(home / 'envs.json'))} is unreadable .*: fix or delete it$"): list_envs(str(home))

def test_adding_the_pinned_version_or_a_bad_one_is_refused(tmp_path):
  home = str(tmp_path / "tinygrad")
  with pytest.raises(EnvError, match=f"tinygrad {PINNED} is the installed \\(pinned\\) one: it is always there"): add_release(home, PINNED)
  for bad in ("latest", "0.13.0; rm -rf /", "../0.13.0", ""):
    with pytest.raises(EnvError, match="bad tinygrad version"): add_release(home, bad)
  assert not os.path.exists(home)

# ***** identity *****

def test_identity_of_a_clean_checkout(tmp_path, tinygrad_checkout):
  env = add_checkout(str(tmp_path / "tinygrad"), tinygrad_checkout, "mine")
  assert identity(env) == {"name": "mine", "kind": "checkout", "version": None, "path": tinygrad_checkout,
                           "commit": git(tinygrad_checkout, "rev-parse", "HEAD"), "branch": "master",
                           "dirty": False, "diff_hash": None, "url": None}

def test_identity_follows_edits_untracked_files_remotes_and_branches(tmp_path, tinygrad_checkout):
  repo = str(tmp_path / "clone")
  git(str(tmp_path), "clone", "-q", tinygrad_checkout, repo)  # our own copy: the session's checkout stays clean
  env = add_checkout(str(tmp_path / "tinygrad"), repo, "clone")
  clean = identity(env)
  assert (clean["dirty"], clean["diff_hash"], clean["url"]) == (False, None, None)  # origin is a local path, not GitHub
  helpers = os.path.join(repo, "tinygrad", "helpers.py")
  original = open(helpers).read()
  with open(helpers, "a") as f: f.write("\n# one edit\n")
  one = identity(env)
  assert one["dirty"] is True and re.fullmatch(r"[0-9a-f]{12}", one["diff_hash"]) and one["commit"] == clean["commit"]
  assert identity(env)["diff_hash"] == one["diff_hash"]  # the same changes, the same hash
  with open(helpers, "w") as f: f.write(original + "\n# another edit\n")
  two = identity(env)
  assert two["dirty"] is True and two["diff_hash"] not in (None, one["diff_hash"])
  git(repo, "add", "-A")  # staged changes are still changes against HEAD
  assert identity(env)["diff_hash"] == two["diff_hash"]
  git(repo, "checkout", "-q", "HEAD", "--", ".")
  assert identity(env)["dirty"] is False and identity(env)["diff_hash"] is None
  # untracked files count, by name and content; ignored ones (what running tinygrad writes) do not
  os.makedirs(os.path.join(repo, "tinygrad", "__pycache__"), exist_ok=True)
  with open(os.path.join(repo, "tinygrad", "__pycache__", "x.cpython-311.pyc"), "wb") as f: f.write(b"\0")
  assert identity(env)["dirty"] is False
  with open(os.path.join(repo, "tinygrad", "new_rule.py"), "w") as f: f.write("A = 1\n")
  new1 = identity(env)
  with open(os.path.join(repo, "tinygrad", "new_rule.py"), "w") as f: f.write("A = 2\n")
  new2 = identity(env)
  assert new1["dirty"] and new2["dirty"] and len({new1["diff_hash"], new2["diff_hash"]}) == 2
  os.remove(os.path.join(repo, "tinygrad", "new_rule.py"))
  # a GitHub remote gives the commit's page, in either form; origin first
  git(repo, "remote", "add", "fork", "https://github.com/someone/tinygrad-fork.git")
  assert identity(env)["url"] == f"https://github.com/someone/tinygrad-fork/commit/{clean['commit']}"
  git(repo, "remote", "set-url", "origin", "git@github.com:tinygrad/tinygrad.git")
  assert identity(env)["url"] == f"https://github.com/tinygrad/tinygrad/commit/{clean['commit']}"
  # a commit made here and a branch of its own; then a detached HEAD has no branch
  git(repo, "checkout", "-q", "-b", "wino-change")
  with open(helpers, "a") as f: f.write("\n# committed\n")
  git(repo, "commit", "-q", "-am", "a change")
  moved = identity(env)
  assert (moved["branch"], moved["dirty"]) == ("wino-change", False) and moved["commit"] not in (None, clean["commit"])
  git(repo, "checkout", "-q", "--detach", clean["commit"])
  assert (identity(env)["branch"], identity(env)["commit"]) == (None, clean["commit"])

def test_identity_of_a_checkout_outside_git(tmp_path):
  # a tinygrad lying untracked inside some other repository is not that repository's commit either
  outer = str(tmp_path / "outer")
  os.makedirs(outer)
  git(outer, "init", "-q")
  with open(os.path.join(outer, "README"), "w") as f: f.write("another project\n")
  git(outer, "add", "README")
  git(outer, "commit", "-q", "-m", "another project")
  root = os.path.join(outer, "vendored")
  py_only = lambda d, names: [n for n in names if not n.endswith(".py") and not os.path.isdir(os.path.join(d, n))]
  shutil.copytree(installed_tinygrad_dir(), os.path.join(root, "tinygrad"), ignore=py_only)
  env = add_checkout(str(tmp_path / "tinygrad"), root, "plain")
  a = identity(env)
  assert {k: a[k] for k in ("commit", "branch", "dirty", "url", "version")} == dict.fromkeys(("commit", "branch", "dirty", "url", "version"))
  assert re.fullmatch(r"[0-9a-f]{12}", a["diff_hash"])
  init = os.path.join(root, "tinygrad", "__init__.py")
  with open(init, "a") as f: f.write('\n__version__ = "9.9.9"\n')
  b = identity(env)
  assert b["version"] == "9.9.9" and b["diff_hash"] != a["diff_hash"]
  shutil.rmtree(os.path.join(root, "tinygrad"))
  with pytest.raises(EnvError, match=r"checkout plain is gone: .* has no tinygrad/__init__.py any more"): identity(env)

# ***** the CLI *****

def test_cli_add_list_remove_a_checkout(tmp_path, tinygrad_checkout, capsys):
  db = str(tmp_path / "inst" / "wino-dash.sqlite3")
  assert main(["tinygrad", "add", "--path", tinygrad_checkout, "--name", "pr-1234", "--db", db]) == 0
  commit = git(tinygrad_checkout, "rev-parse", "HEAD")
  assert capsys.readouterr().out == f"added pr-1234: checkout at {tinygrad_checkout}, tinygrad version unknown, {commit[:12]} on master, clean\n"
  assert os.path.isfile(tmp_path / "inst" / "tinygrad" / "envs.json")  # the home is beside the store
  assert main(["tinygrad", "list", "--json", "--db", db]) == 0
  listed = json.loads(capsys.readouterr().out)
  assert listed["home"] == str(tmp_path / "inst" / "tinygrad") and listed["failed"] == []
  assert [(e["name"], e["kind"], e["version"], e["python"]) for e in listed["envs"]] == [(PINNED, "pinned", PINNED, sys.executable), ("pr-1234", "checkout", None, sys.executable)]
  assert {k: listed["envs"][1][k] for k in ("path", "commit", "branch", "dirty")} == {"path": tinygrad_checkout, "commit": commit, "branch": "master", "dirty": False}
  assert main(["tinygrad", "list", "--db", db]) == 0
  assert capsys.readouterr().out.splitlines() == [f"{PINNED:7}  pinned, tinygrad {PINNED}", f"pr-1234  checkout at {tinygrad_checkout}, tinygrad version unknown, {commit[:12]} on master, clean"]
  assert main(["tinygrad", "remove", "pr-1234", "--db", db]) == 0
  assert capsys.readouterr().out == "removed pr-1234\n"
  assert [e["name"] for e in json.loads((main(["tinygrad", "list", "--json", "--db", db]), capsys.readouterr().out)[1])["envs"]] == [PINNED]

@pytest.mark.parametrize("argv, message", [
  (["remove", "nope"], f"unknown tinygrad environment 'nope': known are {PINNED}"),
  (["remove", PINNED], f"{PINNED} is the installed (pinned) tinygrad: it cannot be removed"),
  (["add", PINNED], f"tinygrad {PINNED} is the installed (pinned) one: it is always there, nothing to add"),
  (["add"], "give a release (`wino-dash tinygrad add 0.13.0`) or a checkout (`--path DIR --name NAME`)"),
  (["add", "--path", "/nonexistent-wino"], "a checkout needs a name: --path DIR --name NAME (e.g. --name pr-1234)"),
  (["add", "--path", "/nonexistent-wino", "--name", "x"], "/nonexistent-wino is not a tinygrad checkout: no tinygrad/__init__.py"),
  (["add", "0.13.0", "--name", "x"], "--name is for a checkout (--path); a release is named by its version, 0.13.0"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
  assert main(["tinygrad", *argv, "--db", str(tmp_path / "wino-dash.sqlite3")]) == 2
  out, err = capsys.readouterr()
  assert (out, err) == ("", f"wino-dash: error: {message}\n")

def test_cli_as_a_process_without_db_uses_the_instance_folder(tmp_path):
  # the console script's own path: no traceback, one line, exit 2; --db left out, the instance folder's home is only read
  from app import default_database
  home = envs.envs_home(default_database())
  existed = os.path.exists(home)
  r = subprocess.run([sys.executable, "-m", "app.cli", "tinygrad", "remove", "no-such-env-here"], capture_output=True, text=True,
                     cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": PROJECT_ROOT})
  assert (r.returncode, r.stdout) == (2, "")
  assert re.fullmatch(r"wino-dash: error: unknown tinygrad environment 'no-such-env-here': known are [^\n]+\n", r.stderr)
  assert os.path.exists(home) == existed

# ***** real installs from the package index (slow) *****

def test_a_failed_install_is_remembered_and_leaves_no_venv(tmp_path, capsys):
  home = str(tmp_path / "inst" / "tinygrad")
  lines = []
  with pytest.raises(EnvError) as e: add_release(home, "0.0.999", log=lines.append)
  msg = str(e.value)
  assert "\n" not in msg and msg.startswith("tinygrad 0.0.999 failed to install: ") and msg.endswith("; run `wino-dash tinygrad add 0.0.999` again")
  assert "No matching distribution found for tinygrad==0.0.999" in msg  # pip's own last error line
  assert any("ERROR: No matching distribution found for tinygrad==0.0.999" in l for l in lines)  # the log saw pip's output
  with open(os.path.join(home, "envs.json")) as f: entry, = json.load(f)["envs"]
  assert entry["name"] == "0.0.999" and "No matching distribution" in entry["failed"]
  with pytest.raises(EnvError) as e2: get_env(home, "0.0.999")
  assert str(e2.value) == msg
  assert failed(home) == {"0.0.999": msg}
  assert [x.name for x in list_envs(home)] == [PINNED]  # nothing half-made is registered
  assert not os.path.exists(os.path.join(home, "0.0.999"))  # nor left on disk
  with pytest.raises(EnvError, match="name 0.0.999 is in use \\(a failed install\\)"): add_checkout(home, installed_tinygrad_dir() + "/..", "0.0.999")
  # the CLI lists it as failed; removing it forgets it
  db = str(tmp_path / "inst" / "wino-dash.sqlite3")
  assert main(["tinygrad", "list", "--db", db]) == 0
  assert capsys.readouterr().out.splitlines()[-1] == f"0.0.999  failed: {msg}"
  assert main(["tinygrad", "remove", "0.0.999", "--db", db]) == 0
  assert failed(home) == {}

def test_release_013_installed_once_runs_the_child(tinygrad_013_home, tmp_path):
  env = get_env(tinygrad_013_home, "0.13.0")
  assert (env.kind, env.version, env.path) == ("release", "0.13.0", None)
  assert env.python == os.path.join(tinygrad_013_home, "0.13.0", "venv", "bin", "python") and os.path.isfile(env.python)
  assert identity(env) == {"name": "0.13.0", "kind": "release", "version": "0.13.0"}
  with pytest.raises(EnvError, match="name 0.13.0 is in use \\(a release\\)"): add_release(tinygrad_013_home, "0.13.0")
  # the venv's own tinygrad, even with the child's environment (our project first on PYTHONPATH)
  probe = "import tinygrad, importlib.metadata as m; print(m.version('tinygrad'), tinygrad.__file__)"
  r = subprocess.run([env.python, "-c", probe], capture_output=True, text=True, env={**os.environ, **env.child_env()}, cwd=tmp_path)
  assert r.returncode == 0, r.stderr
  version, where = r.stdout.split()
  assert version == "0.13.0" and where.startswith(os.path.join(tinygrad_013_home, "0.13.0", "venv"))
  # the child, as wino-dash runs it, in that venv: wino_core comes from the project root on PYTHONPATH
  req = {"spec": {"cin": 4, "cout": 4, "h": 8, "w": 8}, "mode": "baseline", "device": "CPU", "repeat": 2}
  r = subprocess.run([env.python, "-m", "wino_core.child"], input=json.dumps(req), capture_output=True, text=True, timeout=300, cwd=tmp_path,
                     env={**os.environ, "CACHELEVEL": "0", **env.child_env()})
  result = json.loads(r.stdout.strip().splitlines()[-1])["result"]
  assert result["status"] == "ok", result["message"]  # 0.13.0's time_call returned one float: the child adapts to it
  assert result["tinygrad"] == "0.13.0" and result["kernels"] and result["max_rel_err"] < 1e-5
  # OLD on 0.13.0 fuses its transforms into the product (two kernels, no weight-only one): it fired, as its kernels say
  r = subprocess.run([env.python, "-m", "wino_core.child"], input=json.dumps({**req, "mode": "old", "spec": {"cin": 4, "cout": 4, "h": 10, "w": 10}}),
                     capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ, "CACHELEVEL": "0", **env.child_env()})
  old = json.loads(r.stdout.strip().splitlines()[-1])["result"]
  assert old["status"] == "ok" and old["winograd"]["fired"] and old["max_rel_err"] < 1e-4, old["message"]
  assert [k["reduces"] for k in old["kernels"] if k["role"] == "output"] == [False]
