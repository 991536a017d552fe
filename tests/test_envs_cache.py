"""A checkout's identity is kept while its signature (wino_core/checkout_signature.py: the stat of what git reads) is
unchanged: no git process then, and every change git would see (an edit of a tracked or untracked file, even of the
same size under the old mtime, a commit, a checkout of another ref, `git add`) gives the identity taken afresh."""
import os, subprocess, time
import pytest
from tests.conftest import git
from wino_core import envs
from wino_core.envs import add_checkout, get_env, identity, PINNED

@pytest.fixture()
def processes(monkeypatch):
  """Counts the processes started (git or any other) from here on."""
  started, real = [], subprocess.Popen.__init__
  def counting(self, args, *a, **kw):
    started.append(args)
    real(self, args, *a, **kw)
  monkeypatch.setattr(subprocess.Popen, "__init__", counting)
  return started

def age(root:str, git_dir:str|None=None):
  """Every file of the work tree `root` as if last written two hours ago, then those of its repository `git_dir`
  (default root/.git) an hour ago, the index refreshed in between (git's stat of the files matches theirs, and the
  index is newer than them): a checkout nobody has touched lately, whose identity may be kept."""
  def touch(top, seconds_ago):
    t = time.time() - seconds_ago
    for d, dirs, files in os.walk(top):
      if d == root and ".git" in dirs: dirs.remove(".git")
      for n in files + dirs: os.utime(os.path.join(d, n), (t, t), follow_symlinks=False)
    os.utime(top, (t, t))
  touch(root, 7200)
  git_dir = git_dir or os.path.join(root, ".git")
  if os.path.isdir(git_dir):
    git(root, "update-index", "-q", "--refresh")
    touch(git_dir, 3600)

def package(root:str):
  """A small stand-in for a tinygrad checkout (the identity reads files, never imports them): quicker than a copy."""
  for rel, text in {"tinygrad/__init__.py": '__version__ = "0.0.1"\n', "tinygrad/helpers.py": "import os\nimport sys\n",
                    "tinygrad/nn/__init__.py": "import math\n", ".gitignore": "__pycache__/\n*.pyc\n"}.items():
    os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
    with open(os.path.join(root, rel), "w") as f: f.write(text)

@pytest.fixture()
def clone(tmp_path):
  """A repository (branch master, one commit) holding the package."""
  repo = str(tmp_path / "clone")
  package(repo)
  git(repo, "init", "-q", "-b", "master")
  git(repo, "add", "-A")
  git(repo, "commit", "-q", "-m", "a tinygrad")
  envs._IDENTITIES.clear()
  yield repo
  envs._IDENTITIES.clear()

@pytest.fixture()
def worktree(tmp_path, clone):
  """A worktree of the clone on a branch of its own, as `wino-dash tinygrad add --git` makes them: its HEAD and index
  in the clone's .git/worktrees/, its refs in the clone's; a .git file at its top."""
  wt = str(tmp_path / "worktree")
  git(clone, "worktree", "add", "-q", "-b", "work", wt)
  return wt

def afresh(env) -> dict:
  envs._IDENTITIES.clear()
  return identity(env)

def rewrite(path:str, text:str, mtime_ns:int|None=None):
  """Written in place with the same size (the inode and size stay), its mtime then set to `mtime_ns` if given."""
  assert len(text.encode()) == os.stat(path).st_size
  with open(path, "r+") as f: f.write(text)
  if mtime_ns is not None: os.utime(path, ns=(mtime_ns, mtime_ns))

def a_second_later(path:str) -> int:
  """The file's mtime plus a second: still long ago, so what is taken then may be kept (git compares mtimes to the
  second, unless built with USE_NSEC: an mtime kept as it was would hide the change from git itself)."""
  return os.stat(path).st_mtime_ns + 10**9

def warm(env, processes) -> dict:
  """The identity, kept: asked again, it runs nothing."""
  ident = identity(env)
  del processes[:]
  assert identity(env) == ident and processes == []
  return ident

def test_an_unchanged_checkout_is_not_asked_again(tmp_path, clone, processes):
  env = add_checkout(str(tmp_path / "home"), clone, "mine")
  age(clone)
  del processes[:]
  first = identity(env)
  assert processes, "the first time it asks git"
  del processes[:]
  for _ in range(3): assert identity(env) == first
  assert processes == []  # failed before: 6 git processes each time
  assert afresh(env) == first and first["commit"] == git(clone, "rev-parse", "HEAD") and first["dirty"] is False
  # a release's identity is its version: no git, cached or not
  del processes[:]
  assert identity(get_env(str(tmp_path / "home"), PINNED))["version"] == PINNED and processes == []

def test_every_change_git_sees_changes_the_kept_identity(tmp_path, clone, worktree, processes):
  env = add_checkout(str(tmp_path / "home"), worktree, "mine")
  def kept() -> dict:  # an hour later, nothing changed: the identity is kept
    age(worktree, os.path.join(clone, ".git"))
    return warm(env, processes)
  helpers = os.path.join(worktree, "tinygrad", "helpers.py")
  with open(helpers) as f: original = f.read()
  clean = kept()
  # a tracked file: one character changed in place
  rewrite(helpers, original.replace("import", "imporT", 1), a_second_later(helpers))
  edited = identity(env)
  assert edited["dirty"] is True and edited == afresh(env)
  # and again within the same second, the same size, mtime now; and back
  rewrite(helpers, original.replace("import", "impOrt", 1))
  assert identity(env)["diff_hash"] not in (None, edited["diff_hash"])
  rewrite(helpers, original.replace("import", "imporT", 1))
  assert identity(env) == edited
  # an untracked file, then other bytes of the same size
  rewrite(helpers, original)
  new = os.path.join(worktree, "tinygrad", "new_rule.py")
  with open(new, "w") as f: f.write("A = 1\n")
  one = kept()
  assert one["dirty"] is True and one["diff_hash"] not in (None, edited["diff_hash"])
  rewrite(new, "A = 2\n", a_second_later(new))
  two = identity(env)
  assert two["diff_hash"] not in (None, one["diff_hash"]) and two == afresh(env)
  # `git add` of it: a change against HEAD now, hashed as a diff (only the index changed)
  kept()
  git(worktree, "add", "tinygrad/new_rule.py")
  added = identity(env)
  assert added["diff_hash"] not in (None, two["diff_hash"]) and added == afresh(env)
  # a commit (the branch's ref and the index change, no file of the work tree)
  kept()
  git(worktree, "commit", "-q", "-m", "a new rule")
  committed = identity(env)
  assert committed["commit"] not in (None, clean["commit"]) and committed["dirty"] is False and committed == afresh(env)
  # another branch at the same commit: only HEAD changes
  git(worktree, "branch", "other")
  kept()
  git(worktree, "symbolic-ref", "HEAD", "refs/heads/other")
  other = identity(env)
  assert (other["branch"], other["commit"]) == ("other", committed["commit"]) and other == afresh(env)
  # that branch moved from elsewhere (another worktree, a fetch): only its ref changes
  kept()
  git(clone, "update-ref", "refs/heads/other", clean["commit"])
  moved = identity(env)
  assert (moved["branch"], moved["commit"], moved["dirty"]) == ("other", clean["commit"], True) and moved == afresh(env)
  # a checkout of a commit, detached
  kept()
  git(worktree, "checkout", "-q", "-f", "--detach", committed["commit"])
  detached = identity(env)
  assert (detached["branch"], detached["commit"], detached["dirty"]) == (None, committed["commit"], False) and detached == afresh(env)

def test_what_git_ignores_is_not_read_and_a_file_changed_just_now_is_not_kept(tmp_path, clone, processes):
  env = add_checkout(str(tmp_path / "home"), clone, "mine")
  cache = os.path.join(clone, "tinygrad", "__pycache__")
  os.makedirs(cache)
  with open(os.path.join(cache, "x.cpython-311.pyc"), "wb") as f: f.write(b"\0")  # what running tinygrad writes: ignored
  age(clone)
  clean = warm(env, processes)
  with open(os.path.join(cache, "y.cpython-311.pyc"), "wb") as f: f.write(b"\0")
  assert identity(env) == clean and processes == []
  # a file whose mtime is not older than a couple of seconds may change again under the same mtime: asked each time
  new = os.path.join(clone, "tinygrad", "new_rule.py")
  with open(new, "w") as f: f.write("A = 1\n")
  ahead = time.time_ns() + 600 * 10**9  # a clock ahead of ours (a network filesystem) is recent too
  os.utime(new, ns=(ahead, ahead))
  dirty = identity(env)
  del processes[:]
  assert identity(env) == dirty and processes, "recent: not kept"

def test_a_repository_inside_the_work_tree_is_never_kept(tmp_path, clone, processes):
  env = add_checkout(str(tmp_path / "home"), clone, "mine")
  inner = os.path.join(clone, "vendor")
  os.makedirs(inner)
  git(inner, "init", "-q")
  age(clone)
  identity(env)
  del processes[:]
  identity(env)
  assert processes, "a nested repository's state is in git only"

def test_a_checkout_outside_git_keeps_its_tree_hash_until_a_file_changes(tmp_path, processes):
  outer = str(tmp_path / "outer")
  root = os.path.join(outer, "vendored")
  package(root)
  env = add_checkout(str(tmp_path / "home"), root, "plain")
  envs._IDENTITIES.clear()
  age(outer)
  first = warm(env, processes)
  assert first["commit"] is None and first["diff_hash"]
  init = os.path.join(root, "tinygrad", "nn", "__init__.py")
  with open(init) as f: text = f.read()
  rewrite(init, text.replace("import", "imporT", 1), a_second_later(init))
  edited = identity(env)
  assert edited["diff_hash"] != first["diff_hash"] and edited == afresh(env)
  # the directory above made a repository holding it: that repository's commit from now on
  age(outer)
  warm(env, processes)
  git(outer, "init", "-q")
  git(outer, "add", "-A")
  git(outer, "commit", "-q", "-m", "now in git")
  assert identity(env)["commit"] == git(outer, "rev-parse", "HEAD")
  envs._IDENTITIES.clear()
