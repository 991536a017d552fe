"""The library is below the web and the queue: wino_core imports no Flask, Redis or RQ, and nothing of `app`."""
import ast, importlib.util, json, os, pkgutil, subprocess, sys
import wino_core

ROOT = os.path.dirname(wino_core.__file__)
MODULES = sorted(m.name for m in pkgutil.walk_packages([ROOT], prefix="wino_core."))  # subpackages' modules too

def test_importing_the_library_imports_no_web_or_queue():
  code = ("import importlib, json, sys\n"
          f"for m in {MODULES!r}: importlib.import_module(m)\n"
          "print(json.dumps(sorted(sys.modules)))")
  p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
  assert p.returncode == 0, p.stderr
  loaded = json.loads(p.stdout.splitlines()[-1])
  assert len(MODULES) > 20 and set(MODULES) <= set(loaded)
  above = [m for m in loaded if m.split(".")[0] in ("flask", "werkzeug", "redis", "rq", "app")]
  assert not above, f"wino_core pulled in {sorted({m.split('.')[0] for m in above})}"

def test_no_library_file_imports_the_app():
  for mod in MODULES:
    path = importlib.util.find_spec(mod).origin  # a module's file, a package's __init__.py
    for node in ast.walk(ast.parse(open(path).read())):
      names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
      assert not [n for n in names if n.split(".")[0] == "app"], f"{path}:{node.lineno} imports {names}"

def test_the_default_store_is_in_flasks_instance_folder(tmp_path):
  from flask import Flask
  from app import create_app, default_database
  assert os.path.dirname(default_database()) == Flask("app").instance_path
  assert create_app({"DATABASE": str(tmp_path / "db.sqlite3")}).instance_path == Flask("app").instance_path
