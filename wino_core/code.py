"""The identity of the code that makes a comparison's numbers: part of its id, stored with it, shown with it.

A mode's kernels and measurements come from the child process (wino_core/child.py) and every wino_core module it
imports: the NEW rule (winograd.py), the mode table, capture, BEAM search, the reference, the child's environment
(childenv.py) and its runner (run.py), … . Their sources are hashed, with wino-dash's version and the settings that
change what a mode compiles (WINO_DASH_NEW_LAYOUT, tinygrad's device/compiler choice: wino_core/childenv.py). The
modules are found by reading import statements from child.py on, so a module the child starts to import joins by
itself. The app, the CLI, the templates, the verdict, the tests are not in it: editing them gives no new id."""
from __future__ import annotations
import ast, hashlib, json, os
from importlib.metadata import PackageNotFoundError, version

from wino_core.childenv import PROJECT_ROOT as ROOT  # paths below are relative to it

RULE = "wino_core/winograd.py"
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
    imports |= {f"{n.replace('.', '/')}.py" for n in names if n.startswith("wino_core.")}
  deps = sorted(p for p in imports if os.path.isfile(os.path.join(ROOT, p)))
  _FILES[path] = (key, hashlib.sha256(src).hexdigest(), deps)
  return _FILES[path][1], deps

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
  """{"id", "wino_dash", "files": {path: sha256[:16]}, "settings": {name: value}}: `id` goes into a comparison's id."""
  from wino_core.childenv import compile_settings
  ident = {"wino_dash": wino_dash_version(), "files": {p: h[:16] for p, h in child_files().items()}, "settings": compile_settings()}
  return {"id": hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16], **ident}

def rule_source() -> str:
  """The NEW rule as it is now: stored with a comparison, so its reproducer runs the rule that ran."""
  with open(os.path.join(ROOT, RULE)) as f: return f.read()
