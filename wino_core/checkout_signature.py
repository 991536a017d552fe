"""A checkout's signature: the stat of everything its identity (envs.identity) reads, taken without running git, so an
unchanged checkout is not asked again (its identity is 7 git processes and a hash of its changes; the form takes the
identity of every checkout on each GET, a queue worker on each heartbeat).

What git reads to give the identity, and so what the signature stats: the repository's HEAD, the ref it names and
packed-refs (the commit, the branch), the index (what is tracked, what is staged), its config and the global ones
(remotes, core.excludesFile, diff settings), the ignore and attribute files, and every file of the work tree (a
tracked file changed, an untracked one added or changed). Each file gives (inode, size, mtime_ns, ctime_ns, mode): an
edit rewrites mtime and ctime (ctime even when a tool puts the old mtime back), a replacement the inode. What git
ignores is left out of the walk (a .venv, __pycache__, datasets: git does not look into them either): `layout` asks
git for it once, and a change of the ignore rules changes the signature. Not in a repository (or the package not
tracked): the package's *.py and the .git each directory above would have, as envs._tree_hash reads them."""
from __future__ import annotations
import os
from dataclasses import dataclass

GLOBAL = ("/etc/gitconfig", "~/.gitconfig", "$XDG_CONFIG_HOME/git/config", "$XDG_CONFIG_HOME/git/ignore", "$XDG_CONFIG_HOME/git/attributes")

@dataclass(frozen=True)
class Layout:
  """Where a checkout's git state lives and what git ignores in it, as git said when its identity was last taken."""
  path: str                   # the directory holding the tinygrad package
  top: str|None = None        # the repository's work tree, None outside git
  git_dir: str|None = None    # HEAD, index (per worktree)
  common_dir: str|None = None  # refs, packed-refs, config, info/ (shared by a repository's worktrees)
  tracked: bool = False       # the package is tracked there: the identity is the repository's, else a hash of the package
  ignored: frozenset[str] = frozenset()  # top-relative paths git ignores (a directory: all of it)
  files: tuple[str, ...] = ()  # the global config, excludes and attributes files

def _git(cwd:str, *args:str) -> str:
  from wino_core.envs import _git
  return (_git(cwd, *args) or b"").decode(errors="surrogateescape")  # file names as os.scandir spells them

def layout(path:str, tracked:bool) -> Layout|None:
  """Asks git (3 processes, taken with each full identity) where the repository is and what it ignores. `tracked`:
  the identity found the package tracked. None: git disagrees with itself (no work tree for a tracked package)."""
  where = _git(path, "rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir").splitlines()
  env = lambda p: os.path.expanduser(p.replace("$XDG_CONFIG_HOME", os.environ.get("XDG_CONFIG_HOME") or "~/.config"))
  files = [env(p) for p in GLOBAL]
  if len(where) != 3: return None if tracked else Layout(path=path, files=tuple(files))
  top, git_dir, common = where[0], where[1], os.path.join(path, where[2])
  for line in _git(path, "config", "-z", "--path", "--get-regexp", r"^core\.(excludesfile|attributesfile)$").split("\0"):
    if "\n" in line: files.append(os.path.join(top, line.split("\n", 1)[1]))
  ignored = set()
  if tracked:  # matching: a directory git ignores as a whole shows as `dir/`, never one that only holds ignored files
    entries = iter(_git(top, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--ignored=matching", "--untracked-files=normal").split("\0"))
    for e in entries:
      if e.startswith("!! "): ignored.add(e[3:].rstrip("/"))
      elif "R" in e[:2] or "C" in e[:2]: next(entries, None)  # a rename's source path follows
  return Layout(path=path, top=top, git_dir=git_dir, common_dir=os.path.abspath(common), tracked=tracked, ignored=frozenset(ignored), files=tuple(files))

def _stat(path:str, follow:bool=True) -> tuple|None:
  try: st = os.stat(path, follow_symlinks=follow)
  except OSError: return None
  return st.st_mtime_ns, st.st_ino, st.st_size, st.st_ctime_ns, st.st_mode

def _entry(e:os.DirEntry) -> tuple:
  st = e.stat(follow_symlinks=False)
  return e.name, st.st_mtime_ns, st.st_ino, st.st_size, st.st_ctime_ns, st.st_mode

def _read(path:str) -> str|None:
  try:
    with open(path, encoding="utf-8", errors="replace") as f: return f.read(4096)
  except OSError: return None

def signature(lay:Layout) -> tuple[tuple, int]|None:
  """(signature, the newest mtime_ns in it); None when it cannot be taken without git: a repository inside the work
  tree (a submodule's commit or a nested clone's state is in git only)."""
  files = [os.path.join(lay.path, f) for f in ("tinygrad/__init__.py", "pyproject.toml")] + list(lay.files)  # the version; global config
  head = None
  if lay.git_dir:
    head = _read(os.path.join(lay.git_dir, "HEAD"))
    files += [os.path.join(lay.git_dir, f) for f in ("HEAD", "index", "commondir", "config.worktree")] + \
             [os.path.join(lay.common_dir, f) for f in ("packed-refs", "config", "info/exclude", "info/attributes", "info/grafts", "refs/replace")]
    if head and head.startswith("ref: "): files.append(os.path.join(lay.common_dir, head[5:].strip()))
  stats = [_stat(f) for f in files]
  d = lay.path
  while True:  # a .git appearing or going between the package and the repository's top moves it to another one
    stats.append(_stat(os.path.join(d, ".git"), follow=False))
    if d == lay.top or os.path.dirname(d) == d: break
    d = os.path.dirname(d)
  tree: list = []
  if not lay.tracked: _walk_package(os.path.join(lay.path, "tinygrad"), tree)
  elif not _walk(lay.top, "", lay.ignored, tree): return None
  newest = max([s[0] for s in stats if s] + [t[1] for t in tree if isinstance(t, tuple)], default=0)
  git_env = tuple((k, v) for k, v in sorted(os.environ.items()) if k.startswith("GIT_"))
  return (git_env, head, tuple(stats), tuple(tree)), newest

def _walk(root:str, rel:str, ignored:frozenset[str], out:list) -> bool:
  """Every file of the work tree under `root` but .git and what git ignores: (name, mtime, inode, size, ctime, mode);
  a directory is its name, its entries, then None. False: a repository inside, or a directory it cannot read."""
  try: it = os.scandir(root)
  except OSError: return False
  with it:
    for e in it:
      name = f"{rel}/{e.name}" if rel else e.name
      if name in ignored: continue
      if e.name == ".git":
        if rel: return False
        continue
      if e.is_dir(follow_symlinks=False):
        out.append(e.name)
        if not _walk(e.path, name, ignored, out): return False
        out.append(None)
      else: out.append(_entry(e))
  return True

def _walk_package(pkg:str, out:list):
  """The *.py files of a package outside git, as envs._tree_hash reads them (no __pycache__)."""
  try: it = os.scandir(pkg)
  except OSError: return  # as os.walk: gone (its __init__.py's stat says so) or unreadable
  with it:
    for e in it:
      if e.is_dir(follow_symlinks=False):  # os.walk's dirs (it does not follow links)
        if e.name != "__pycache__":
          out.append(e.name)
          _walk_package(e.path, out)
          out.append(None)
      elif e.name.endswith(".py"): out.append(_entry(e))
