"""The identity of the code that makes a comparison's numbers: part of its id, stored with it, shown with it.

A mode's kernels and measurements come from the child process (wino_core/child.py) and every wino_core module it
imports: the NEW rule (the package winograd/), the mode table, capture, BEAM search, the reference, the child's environment
(childenv.py) and its runner (run.py), … . Their sources are hashed, with wino-dash's version and the settings that
change what a mode compiles (WINO_DASH_NEW_LAYOUT, tinygrad's device/compiler choice: wino_core/childenv.py). The
modules are found by reading import statements from child.py on, so a module the child starts to import joins by
itself. The app, the CLI, the templates, the verdict, the tests are not in it: editing them gives no new id."""
from __future__ import annotations
import ast, hashlib, json, os
from importlib.metadata import PackageNotFoundError, version

from wino_core.childenv import PROJECT_ROOT as ROOT  # paths below are relative to it

RULE = "wino_core/winograd"  # NEW's rule: a package, every file of it
ROOTS = ("wino_core/child.py", "wino_core/run.py", "wino_core/__init__.py")  # run.py: how a child is started (limits, environment)

_FILES: dict[str, tuple[tuple[int, int], str, list[str]]] = {}  # full path -> ((mtime_ns, size), sha256, wino_core imports)

def _read(rel:str) -> tuple[str, list[str]]:
  """(sha256 of the file, the wino_core files it imports), cached until the file changes."""
  path = os.path.join(ROOT, rel)
  st = os.stat(path)
  key = (st.st_mtime_ns, st.st_size)
  if (hit:=_FILES.get(path)) is not None and hit[0] == key: return hit[1], hit[2]
  with open(path, "rb") as f: src = f.read()
  imports = set()
  for node in ast.walk(ast.parse(src)):
    names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] + [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
    imports |= {f for n in names if n.startswith("wino_core.") for f in _module_files(n)}
  deps = sorted(imports)
  _FILES[path] = (key, hashlib.sha256(src).hexdigest(), deps)
  return _FILES[path][1], deps

def _module_files(name:str) -> list[str]:
  """The files importing module `name` runs: the __init__.py of each package on the way, then the module's own."""
  parts = name.split(".")
  paths = [f"{'/'.join(parts[:i])}/__init__.py" for i in range(1, len(parts)+1)] + [f"{'/'.join(parts)}.py"]
  return [p for p in paths if os.path.isfile(os.path.join(ROOT, p))]

def child_files() -> dict[str, str]:
  """path -> sha256 of the child and every wino_core module it imports, transitively (the package's __init__ too)."""
  seen: dict[str, str] = {}
  todo = list(ROOTS)
  while todo:
    if (rel:=todo.pop()) in seen: continue
    seen[rel], deps = _read(rel)
    todo += deps
  return dict(sorted(seen.items()))

def wino_dash_version() -> str:
  try: return version("wino-dash")
  except PackageNotFoundError: return "unknown"

def code_identity() -> dict:
  """{"id", "wino_dash", "files": {path: sha256[:16]}, "settings": {name: value}, "rule"}: `id` goes into a comparison's
  id; `rule` is the NEW rule's own (its package's files), shown as its version."""
  from wino_core.childenv import compile_settings
  ident = {"wino_dash": wino_dash_version(), "files": {p: h[:16] for p, h in child_files().items()}, "settings": compile_settings()}
  rule = {p: h for p, h in ident["files"].items() if p.startswith(RULE + "/")}
  return {"id": _digest(ident), **ident, "rule": _digest(rule)}

def _digest(obj) -> str: return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]

def rule_source(package:str|None=None) -> dict[str, str]:
  """The NEW rule as it is now, {path: source} for each file of its package (`package`: its directory, by default this
  tree's): stored with a comparison, so its reproducer runs the rule that ran. Comparisons stored while the rule was
  one file (wino_core/winograd.py) keep that file's source, a string."""
  root = package or os.path.join(ROOT, RULE)
  files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs if f.endswith(".py"))
  ret = {}
  for rel in files:
    with open(os.path.join(root, rel)) as f: ret[f"{RULE}/{rel}"] = f.read()
  return ret
