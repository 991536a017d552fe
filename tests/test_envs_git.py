"""`wino-dash tinygrad add --git CLONE --ref REF --name NAME`: a checkout of a ref made from a local repository
(offline), registered like any checkout, its identity the commit and the ref; removing it removes what it made."""
import os
from tests.conftest import git
from app.cli import main
from wino_core.envs import PINNED, EnvError, add_git, get_env, identity, list_envs, remove
import pytest

@pytest.fixture()
def clone_with_a_pull_ref(tmp_path, tinygrad_checkout):
  """A clone of the test checkout with one more commit, reachable only as refs/pull/7/head (as GitHub keeps a PR's head)."""
  clone = str(tmp_path / "clone")
  git(tmp_path, "clone", "-q", tinygrad_checkout, clone)
  with open(os.path.join(clone, "tinygrad", "pr7.py"), "w") as f: f.write("WHAT = 'the pull request'\n")
  git(clone, "add", "-A")
  git(clone, "commit", "-q", "-m", "pr 7")
  pr = git(clone, "rev-parse", "HEAD")
  git(clone, "update-ref", "refs/pull/7/head", pr)
  git(clone, "reset", "-q", "--hard", "HEAD~1")  # the clone's own branch stays where it was
  return clone, pr

def test_add_git_makes_a_worktree_of_the_ref(tmp_path, clone_with_a_pull_ref):
  clone, pr = clone_with_a_pull_ref
  home = str(tmp_path / "home")
  before = git(clone, "worktree", "list", "--porcelain"), git(clone, "for-each-ref")
  env = add_git(home, clone, "refs/pull/7/head", "pr-7")
  assert os.path.isfile(os.path.join(env.path, "tinygrad", "pr7.py")) and env.ref == "refs/pull/7/head"
  ident = identity(get_env(home, "pr-7"))
  assert (ident["commit"], ident["ref"], ident["dirty"], ident["branch"]) == (pr, "refs/pull/7/head", False, None)
  assert (git(clone, "worktree", "list", "--porcelain"), git(clone, "for-each-ref")) == before  # the clone is left alone
  with pytest.raises(EnvError, match="the name pr-7 is in use"): add_git(home, clone, "master", "pr-7")
  remove(home, "pr-7")
  assert not os.path.exists(env.path) and [e.name for e in list_envs(home)] == [PINNED]
  assert add_git(home, clone, "refs/pull/7/head", "pr-7").path == env.path  # and it can be made again

def test_add_git_refuses_what_it_cannot_check_out(tmp_path, clone_with_a_pull_ref):
  clone, _ = clone_with_a_pull_ref
  home = str(tmp_path / "home")
  with pytest.raises(EnvError, match=r"refs/pull/8/head is not in .*clone \(fetch it into that clone first"): add_git(home, clone, "refs/pull/8/head", "pr-8")
  with pytest.raises(EnvError, match="is not a git repository"): add_git(home, str(tmp_path), "master", "x")
  with pytest.raises(EnvError, match="bad git ref"): add_git(home, clone, "--upload-pack=touch", "x")
  with pytest.raises(EnvError, match="bad repository"): add_git(home, "--upload-pack=touch", "master", "x")
  assert [e.name for e in list_envs(home)] == [PINNED] and not os.path.exists(os.path.join(home, "worktrees", "pr-8"))

def test_cli_add_git(tmp_path, clone_with_a_pull_ref, capsys):
  clone, pr = clone_with_a_pull_ref
  db = str(tmp_path / "inst" / "wino-dash.sqlite3")
  assert main(["tinygrad", "add", "--git", clone, "--ref", "refs/pull/7/head", "--name", "pr-7", "--db", db]) == 0
  path = str(tmp_path / "inst" / "tinygrad" / "worktrees" / "pr-7")
  assert capsys.readouterr().out == f"added pr-7: checkout at {path}, tinygrad version unknown, {pr[:12]} on ref refs/pull/7/head, clean\n"
  assert main(["tinygrad", "add", "--git", clone, "--name", "x", "--db", db]) == 2
  assert capsys.readouterr().err == "wino-dash: error: a checkout at a git ref needs all three: --git CLONE_OR_URL --ref REF --name NAME\n"
