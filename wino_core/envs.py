"""tinygrad environments: the installed (pinned) tinygrad, other releases each in a venv of their own, and checkouts
used in place. The registry is one JSON file, `<home>/envs.json`, beside the server's store. Nothing here imports
tinygrad: an environment's tinygrad is only ever imported in its own child process."""
from __future__ import annotations
import contextlib, hashlib, importlib.metadata, json, os, re, shutil, subprocess, sys, tempfile, threading, time
from dataclasses import dataclass
from typing import Callable

from wino_core.childenv import PROJECT_ROOT  # on every child's PYTHONPATH, so wino_core imports in a release's venv too

PINNED: str = importlib.metadata.version("tinygrad")
REGISTRY = "envs.json"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
VERSION_RE = re.compile(r"[0-9][A-Za-z0-9._-]{0,63}")
GITHUB_RE = re.compile(r"github\.com[:/]+([^/\s]+)/([^/\s]+?)(?:\.git)?/*$")

class EnvError(ValueError):
  """What went wrong with an environment, as one line a user can act on."""

@dataclass(frozen=True)
class Env:
  name: str
  kind: str  # "pinned" | "release" | "checkout"
  python: str
  path: str|None = None  # checkout: the directory that contains the `tinygrad` package
  version: str|None = None  # pinned, release
  ref: str|None = None  # a checkout wino-dash made at a git ref (add_git): the ref it was asked for
  def child_env(self) -> dict[str, str]:
    """Variables to add to a child's environment. They replace any PYTHONPATH of the caller's: a tinygrad on it would
    shadow this environment's own."""
    return {"PYTHONPATH": os.pathsep.join(([self.path] if self.path else []) + [PROJECT_ROOT])}

def pinned_env() -> Env: return Env(name=PINNED, kind="pinned", python=sys.executable, version=PINNED)
def envs_home(db_path:str) -> str: return os.path.join(os.path.dirname(os.path.abspath(db_path)), "tinygrad")
def release_dir(home:str, version:str) -> str: return os.path.join(home, version)
def venv_python(venv:str) -> str: return os.path.join(venv, "Scripts", "python.exe") if os.name == "nt" else os.path.join(venv, "bin", "python")

# ***** the registry: {"envs": [entry, ...]} in the order added; a failed install is an entry with "failed" *****

def _load(home:str) -> list[dict]:
  path = os.path.join(home, REGISTRY)
  try:
    with open(path) as f: return json.load(f)["envs"]
  except FileNotFoundError: return []
  except (ValueError, KeyError, TypeError) as e: raise EnvError(f"the registry {path} is unreadable ({e}): fix or delete it") from None

def _save(home:str, entries:list[dict]):
  # temp file + os.replace: a reader (the server) never sees half a file
  os.makedirs(home, exist_ok=True)
  fd, tmp = tempfile.mkstemp(dir=home, prefix=".envs-", suffix=".json")
  try:
    with os.fdopen(fd, "w") as f: json.dump({"envs": entries}, f, indent=1)
    os.replace(tmp, os.path.join(home, REGISTRY))
  except BaseException:
    with contextlib.suppress(OSError): os.unlink(tmp)
    raise

@contextlib.contextmanager
def _locked(home:str):
  """Serializes read-modify-write of the registry between processes (a CLI `add` while another one finishes)."""
  os.makedirs(home, exist_ok=True)
  with open(os.path.join(home, ".envs.lock"), "w") as f:
    try: import fcntl
    except ImportError: fcntl = None  # Windows: no lock; the atomic replace still keeps the file whole
    if fcntl: fcntl.flock(f, fcntl.LOCK_EX)
    yield

def _to_env(home:str, e:dict) -> Env:
  if e["kind"] == "release":
    return Env(name=e["name"], kind="release", python=venv_python(os.path.join(release_dir(home, e["version"]), "venv")), version=e["version"])
  return Env(name=e["name"], kind="checkout", python=sys.executable, path=e["path"], ref=(e.get("git") or {}).get("ref"))

def _failure(e:dict) -> str:
  return f"tinygrad {e['name']} failed to install: {e['failed']}; run `wino-dash tinygrad add {e['version']}` again"

def list_envs(home:str) -> list[Env]:
  """The pinned one first, then the registered ones in the order added (failed installs are not environments)."""
  return [pinned_env()] + [_to_env(home, e) for e in _load(home) if not e.get("failed")]

def failed(home:str) -> dict[str, str]:
  """Releases whose install failed, by name: the message get_env gives for each."""
  return {e["name"]: _failure(e) for e in _load(home) if e.get("failed")}

def _known(home:str) -> str: return ", ".join(e.name for e in list_envs(home))

def get_env(home:str, name:str) -> Env:
  if name == PINNED: return pinned_env()
  e = next((e for e in _load(home) if e["name"] == name), None)
  if e is None: raise EnvError(f"unknown tinygrad environment {name!r}: known are {_known(home)} (add one with `wino-dash tinygrad add`)")
  if e.get("failed"): raise EnvError(_failure(e))
  env = _to_env(home, e)
  if env.kind == "release" and not os.path.exists(env.python):
    raise EnvError(f"tinygrad {name}'s venv is gone ({env.python} is missing): run `wino-dash tinygrad remove {name}`, then add it again")
  return env

def check_name(name:str) -> str:
  if not isinstance(name, str) or not NAME_RE.fullmatch(name):
    raise EnvError(f"bad environment name {name!r}: use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit")
  return name

def _check_free(home:str, name:str):
  if name == PINNED: raise EnvError(f"{name} is taken: it is the installed (pinned) tinygrad")
  e = next((e for e in _load(home) if e["name"] == name), None)
  if e is not None:
    what = "a failed install" if e.get("failed") else f"a {e['kind']}" + (f" at {e['path']}" if e.get("path") else "")
    raise EnvError(f"the name {name} is in use ({what}): `wino-dash tinygrad remove {name}` first, or pick another name")

def _put(home:str, entry:dict):
  """Adds an entry, or replaces the one of the same name in place (a failed install being retried)."""
  with _locked(home):
    entries = _load(home)
    i = next((i for i, e in enumerate(entries) if e["name"] == entry["name"]), None)
    if i is None: entries.append(entry)
    else: entries[i] = entry
    _save(home, entries)

# ***** adding and removing *****

def add_release(home:str, version:str, log:Callable[[str], None]=lambda line: None) -> Env:
  """`pip install tinygrad==VERSION numpy` into a venv of its own at <home>/<version>/venv. Registered only once the
  install worked and its python imports that version; a failure is remembered (get_env tells it) and its venv removed."""
  if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
    raise EnvError(f"bad tinygrad version {version!r}: give a release number such as 0.13.0")
  if version == PINNED: raise EnvError(f"tinygrad {version} is the installed (pinned) one: it is always there, nothing to add")
  prev = next((e for e in _load(home) if e["name"] == version), None)
  if prev is not None and not prev.get("failed"): _check_free(home, version)  # a failed install may be retried
  root = release_dir(home, version)
  venv = os.path.join(root, "venv")
  shutil.rmtree(root, ignore_errors=True)  # leftovers of an earlier failure or an interrupted install
  os.makedirs(root)
  log(f"installing tinygrad=={version} into a venv of its own, {venv}")
  try: error = _install(venv, version, log)
  except BaseException:
    shutil.rmtree(root, ignore_errors=True)  # interrupted (Ctrl-C): nothing half-made stays behind
    raise
  if error is not None:
    shutil.rmtree(root, ignore_errors=True)
    entry = {"name": version, "kind": "release", "version": version, "failed": error, "when": time.time()}
    _put(home, entry)
    raise EnvError(_failure(entry))
  _put(home, {"name": version, "kind": "release", "version": version, "when": time.time()})
  return get_env(home, version)

def _install(venv:str, version:str, log:Callable[[str], None]) -> str|None:
  """Makes the venv and installs into it; None when it worked, else the line that says why not."""
  python = venv_python(venv)
  steps = [("venv", [sys.executable, "-m", "venv", venv]),
           ("pip", [python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", f"tinygrad=={version}", "numpy"])]
  env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
  for what, cmd in steps:
    log(f"$ {' '.join(cmd)}")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env, cwd=os.path.dirname(venv))
    lines = []
    for line in proc.stdout:
      line = line.rstrip()
      log(line)
      if line.strip(): lines.append(line.strip())
    if proc.wait() != 0:
      errors = [l for l in lines if l.startswith("ERROR:")]
      last = (errors or lines or [f"{what} exited with code {proc.returncode}"])[-1]
      return last.removeprefix("ERROR:").strip()
  # -I: nothing from the caller's PYTHONPATH or the current directory can stand in for the venv's own tinygrad
  probe = subprocess.run([python, "-I", "-c", "import tinygrad, importlib.metadata as m; print(getattr(tinygrad, '__version__', None) or m.version('tinygrad'))"],
                         capture_output=True, text=True, env=env, cwd=os.path.dirname(venv))
  got = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else None
  if probe.returncode != 0:
    tail = [l for l in probe.stderr.splitlines() if l.strip()]
    return f"`import tinygrad` fails in the new venv: {tail[-1].strip() if tail else f'exit code {probe.returncode}'}"
  if got != version: return f"the new venv's tinygrad reports version {got}, not {version}"
  log(f"tinygrad {got} imports in {python}")
  return None

def add_checkout(home:str, path:str, name:str, git:dict|None=None) -> Env:
  """Registers a checkout used in place (never copied): `path` is the directory that contains the tinygrad package.
  `git`: where add_git made it from (source, ref, commit)."""
  check_name(name)
  path = os.path.abspath(os.path.expanduser(path))
  if not os.path.isfile(os.path.join(path, "tinygrad", "__init__.py")):
    if os.path.basename(path) == "tinygrad" and os.path.isfile(os.path.join(path, "__init__.py")):
      raise EnvError(f"{path} is the tinygrad package itself: pass its parent, {os.path.dirname(path)}")
    raise EnvError(f"{path} is not a tinygrad checkout: no tinygrad/__init__.py")
  with _locked(home):
    _check_free(home, name)
    entries = _load(home)
    entries.append({"name": name, "kind": "checkout", "path": path, "when": time.time(), **({"git": git} if git else {})})
    _save(home, entries)
  return get_env(home, name)

def git_dir(home:str) -> str: return os.path.join(home, "git")
def worktree_dir(home:str, name:str) -> str: return os.path.join(home, "worktrees", name)

def add_git(home:str, source:str, ref:str, name:str, log:Callable[[str], None]=lambda line: None) -> Env:
  """A checkout of `ref` (a branch, tag, commit or any ref such as refs/pull/12763/head) of the repository at `source`
  (a local clone's directory, or a URL), made by wino-dash as a git worktree at <home>/worktrees/<name>, then
  registered like any checkout. The commit's objects come into one bare repository of its own, <home>/git, with a
  shallow `git fetch`, so a local clone works offline and the clone itself is never changed. Removing the environment removes the worktree."""
  check_name(name)
  if not isinstance(ref, str) or not ref.strip() or ref.startswith("-"): raise EnvError(f"bad git ref {ref!r}: give a branch, tag, commit or ref")
  if not isinstance(source, str) or not source.strip() or source.startswith("-"): raise EnvError(f"bad repository {source!r}: give a clone's directory or a URL")
  with _locked(home): _check_free(home, name)
  local = os.path.isdir(os.path.expanduser(source))
  if local:
    source = os.path.abspath(os.path.expanduser(source))
    if _git(source, "rev-parse", "--git-dir") is None: raise EnvError(f"{source} is not a git repository")
  repo, where = git_dir(home), worktree_dir(home, name)
  if os.path.exists(where): raise EnvError(f"{where} exists already: remove it, or pick another name")
  if not os.path.isdir(repo): _git_or_fail(os.path.dirname(repo), log, "init", "--bare", "-q", repo)
  # fetched under a ref of our own per environment: git gc keeps it, and two environments never overwrite each other's
  mine = f"refs/wino-dash/{name}"
  # --depth 1: the commit's own tree is all a checkout needs (quick from a URL, and a clone missing old objects still works)
  _git_or_fail(repo, log, "fetch", "--depth", "1", "--no-tags", "--force", source, f"+{ref}:{mine}",
               what=f"{ref} is not in {source}" + (" (fetch it into that clone first, e.g. `git fetch origin " + ref + "`)" if local else ""))
  commit = (_git(repo, "rev-parse", "--verify", f"{mine}^{{commit}}") or b"").decode().strip()
  if not commit: raise EnvError(f"{ref} in {source} is not a commit")
  _git_or_fail(repo, log, "worktree", "add", "--detach", "--force", where, commit)
  try: env = add_checkout(home, where, name, git={"source": source, "ref": ref, "commit": commit})
  except BaseException:
    _git(repo, "worktree", "remove", "--force", where)
    raise
  log(f"{name}: {ref} of {source} is commit {commit}, checked out at {where}")
  return env

def _git_or_fail(cwd:str, log:Callable[[str], None], *args:str, what:str|None=None):
  log(f"$ git {' '.join(args)}")
  try: r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=3600)
  except FileNotFoundError: raise EnvError("git is not installed here") from None
  except subprocess.TimeoutExpired: raise EnvError(f"git {args[0]} took over an hour and was stopped") from None
  if r.returncode != 0:
    tail = [l.strip() for l in r.stderr.splitlines() if l.strip()]
    raise EnvError(what or f"git {args[0]} failed: {tail[-1] if tail else f'exit code {r.returncode}'}")

def remove(home:str, name:str) -> None:
  """Forgets an environment; a release's venv goes with it, and a checkout wino-dash made (add_git) its worktree; a
  checkout registered in place keeps its files."""
  if name == PINNED: raise EnvError(f"{name} is the installed (pinned) tinygrad: it cannot be removed")
  unknown = EnvError(f"unknown tinygrad environment {name!r}: known are {_known(home)}")
  if not any(e["name"] == name for e in _load(home)): raise unknown  # before the lock, which would create the home
  with _locked(home):
    entries = _load(home)
    e = next((e for e in entries if e["name"] == name), None)
    if e is None: raise unknown  # removed meanwhile by another process
    _save(home, [x for x in entries if x is not e])
  if e["kind"] == "release": shutil.rmtree(release_dir(home, e["version"]), ignore_errors=True)
  if e.get("git"):
    _git(git_dir(home), "worktree", "remove", "--force", e["path"])
    _git(git_dir(home), "update-ref", "-d", f"refs/wino-dash/{name}")

# ***** context variables: the names a column may set (+NAME=VALUE), asked of the environment's own Python *****

_CONTEXT_VARS: dict[str, dict[str, str]] = {}  # per identity: a checkout edited since is asked again

def context_vars(env:Env, ident:dict|None=None) -> dict[str, str]:
  """name -> "int" | "str" of every ContextVar that environment's tinygrad defines (wino_core/tinygrad_compat.py,
  run with its Python: a second or so, once per identity). `ident`: its identity if already taken."""
  key = json.dumps([env.python, env.path, ident if ident is not None else identity(env)], sort_keys=True)
  if key in _CONTEXT_VARS: return _CONTEXT_VARS[key]
  from wino_core.childenv import child_environ
  try:
    with tempfile.TemporaryDirectory(prefix="wino-dash-vars-") as home:  # it imports that tinygrad: a child like a run's
      r = subprocess.run([env.python, "-m", "wino_core.tinygrad_compat"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         env={**child_environ(home), **env.child_env()}, cwd=home, timeout=120)
    names = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 and r.stdout.strip() else None
  except (OSError, subprocess.TimeoutExpired, ValueError) as e: r, names = e, None
  if not isinstance(names, dict):
    tail = [l.strip() for l in getattr(r, "stderr", str(r)).splitlines() if l.strip()]
    raise EnvError(f"could not list tinygrad {env.name}'s context variables: {tail[-1][:300] if tail else r}")
  _CONTEXT_VARS[key] = names
  return names

# ***** identity: what exactly an environment's tinygrad is, taken now *****

RECENT_NS = 2_000_000_000  # a file changed this recently may change again within its timestamp's granularity
_IDENTITIES: dict[Env, tuple] = {}  # checkout -> (Layout, signature, identity), the last 64
_identities_lock = threading.Lock()

def identity(env:Env) -> dict:
  """Call it each time: a checkout changes under us. A checkout in git gives its commit, branch, whether it is dirty
  and a hash of the changes; one outside git a hash of its tinygrad/*.py, so edits still show. A release is its
  version (no git). A checkout's is taken again only when its signature (wino_core/checkout_signature.py: the stat of
  everything git reads for it, no git run) changed since."""
  if env.kind != "checkout": return {"name": env.name, "kind": env.kind, "version": env.version}
  from wino_core.checkout_signature import layout, signature
  if (hit:=_IDENTITIES.get(env)) is not None and (now:=signature(hit[0])) is not None and now[0] == hit[1]: return dict(hit[2])
  start = time.time_ns()
  ident = _identity(env)
  lay = layout(env.path, ident["commit"] is not None)
  # taken after the identity: a change while it was taken shows as a file newer than `start`, and is not kept
  sig = signature(lay) if lay is not None else None
  if sig is not None and sig[1] < start - RECENT_NS:
    with _identities_lock:
      _IDENTITIES.pop(env, None)
      _IDENTITIES[env] = (lay, sig[0], ident)
      while len(_IDENTITIES) > 64: _IDENTITIES.pop(next(iter(_IDENTITIES)))
  return dict(ident)

def _identity(env:Env) -> dict:
  out = {"name": env.name, "kind": env.kind, "version": env.version}
  init = os.path.join(env.path, "tinygrad", "__init__.py")
  if not os.path.isfile(init):
    raise EnvError(f"checkout {env.name} is gone: {env.path} has no tinygrad/__init__.py any more (`wino-dash tinygrad remove {env.name}`)")
  out.update(version=_init_version(init) or _pyproject_version(os.path.join(env.path, "pyproject.toml")), path=env.path, commit=None, branch=None, dirty=None, diff_hash=None, url=None,
             **({"ref": env.ref} if env.ref else {}))  # only checkouts made at a ref: other ids stay
  commit = _git(env.path, "rev-parse", "HEAD")
  # the package must be tracked: a tinygrad copied into some other repository is not that repository's commit
  if commit is None or _git(env.path, "ls-files", "--error-unmatch", "tinygrad/__init__.py") is None:
    out["diff_hash"] = _tree_hash(os.path.join(env.path, "tinygrad"))
    return out
  commit = commit.decode().strip()
  branch = _git(env.path, "symbolic-ref", "--short", "-q", "HEAD")
  diff = _git(env.path, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff") or b""
  untracked = sorted(n for n in (_git(env.path, "ls-files", "--others", "--exclude-standard", "--full-name", "-z", ":/") or b"").decode().split("\0") if n)
  dirty = bool(diff) or bool(untracked)
  out.update(commit=commit, branch=branch.decode().strip() if branch else None, dirty=dirty,
             diff_hash=_diff_hash(env.path, diff, untracked) if dirty else None, url=_github_url(env.path, commit))
  return out

def _git(cwd:str, *args:str) -> bytes|None:
  """A git command's stdout, or None when it fails (not a repository, no commit yet, git missing)."""
  try: r = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
  except (OSError, subprocess.TimeoutExpired): return None
  return r.stdout if r.returncode == 0 else None

def _diff_hash(path:str, diff:bytes, untracked:list[str]) -> str:
  h = hashlib.sha256(diff)
  top = (_git(path, "rev-parse", "--show-toplevel") or path.encode()).decode().strip()
  for name in untracked:  # named from the top of the repository (--full-name)
    h.update(b"\0untracked\0" + name.encode() + b"\0")
    _hash_file(h, os.path.join(top, name))
  return h.hexdigest()[:12]

def _hash_file(h, path:str):
  if os.path.islink(path): h.update(os.readlink(path).encode())
  elif os.path.isfile(path):
    with open(path, "rb") as f:
      for chunk in iter(lambda: f.read(1 << 20), b""): h.update(chunk)

def _tree_hash(pkg:str) -> str:
  h = hashlib.sha256()
  for root, dirs, files in os.walk(pkg):
    dirs[:] = sorted(d for d in dirs if d != "__pycache__")
    for f in sorted(files):
      if f.endswith(".py"):
        rel = os.path.relpath(os.path.join(root, f), pkg)
        h.update(rel.encode() + b"\0")
        _hash_file(h, os.path.join(root, f))
  return h.hexdigest()[:12]

def _init_version(init:str) -> str|None:
  with open(init, encoding="utf-8", errors="replace") as f:
    m = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", f.read(), re.M)
  return m.group(1) if m else None

def _pyproject_version(path:str) -> str|None:
  """tinygrads of the 0.11 era say their version only in pyproject.toml."""
  try:
    with open(path, encoding="utf-8", errors="replace") as f: m = re.search(r"^version\s*=\s*['\"]([^'\"]+)['\"]", f.read(), re.M)
  except OSError: return None
  return m.group(1) if m else None

def _github_url(path:str, commit:str) -> str|None:
  """A commit page when a remote is on GitHub (origin first): https, ssh:// or git@ form."""
  urls = {}
  for line in (_git(path, "config", "--get-regexp", r"^remote\..*\.url$") or b"").decode().splitlines():
    key, _, url = line.partition(" ")
    urls[key[len("remote."):-len(".url")]] = url.strip()
  for remote in sorted(urls, key=lambda r: r != "origin"):
    if (m:=GITHUB_RE.search(urls[remote])): return f"https://github.com/{m.group(1)}/{m.group(2)}/commit/{commit}"
  return None
