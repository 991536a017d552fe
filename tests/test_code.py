"""A result is tied to the code that made it: the identity of wino-dash's child-side code (the NEW rule and every module
the child imports, the settings that change what a mode compiles, wino-dash's version) is part of a comparison's id,
stored with it and shown with it, and the reproducer runs the rule stored with it (wino_core/code.py)."""
import json, shutil, subprocess, sys, time
import pytest
import wino_core.code as code
import wino_core.reproducer as reproducer
from app import create_app
from wino_core.compare import CompareRequest, compare, parse_request
from wino_core.sweep_request import parse_sweep

TINY = {"batch": 1, "cin": 2, "cout": 2, "h": 6, "w": 6, "padding": 1}
BODY = {"spec": TINY, "modes": ["baseline", "new"], "repeat": 1, "force_new": True, "device": "CPU"}

@pytest.fixture
def tree(tmp_path, monkeypatch):
  """A copy of this tree's wino_core/ and app/templates/, hashed instead of the real one: edits stay in the copy."""
  root = tmp_path / "tree"
  for d in ("wino_core", "app/templates"): shutil.copytree(f"{code.ROOT}/{d}", root / d, ignore=shutil.ignore_patterns("__pycache__"))
  monkeypatch.setattr(code, "ROOT", str(root))
  return root

def edit(path, text:str):
  path.write_text(path.read_text() + text)

def test_an_edit_of_the_rule_is_a_new_id_and_an_edit_elsewhere_is_not(tree):
  first = parse_request(BODY)
  assert first.code == code.code_identity()["id"] and first.to_dict()["code"] == first.code
  edit(tree / "app/templates/result.html", "\n{# a template edit #}\n")
  edit(tree / "wino_core/verdict.py", "\n# the verdict is computed when a result is read: not part of what ran\n")
  assert parse_request(BODY).id == first.id
  edit(tree / "wino_core/winograd/stages.py", "\n# an edit of the NEW rule\n")
  assert (second:=parse_request(BODY).id) != first.id
  edit(tree / "wino_core/capture.py", "\n# how kernels are read back: the child runs it too\n")
  assert parse_request(BODY).id not in (first.id, second)

def test_the_layout_setting_is_part_of_the_id(monkeypatch):
  monkeypatch.delenv("WINO_DASH_NEW_LAYOUT", raising=False)
  auto = parse_request(BODY).id
  monkeypatch.setenv("WINO_DASH_NEW_LAYOUT", "gpu")
  assert parse_request(BODY).id != auto

def test_the_identity_covers_every_module_a_child_imports():
  """The modules are found by reading import statements; a real child's run says whether that missed one."""
  probe = ("import io, json, sys\nfrom wino_core import child\n"
           f"child.run({{'spec': {TINY!r}, 'mode': 'new', 'device': 'CPU', 'repeat': 1, 'warmup': 0, 'force_new': True}}, io.StringIO())\n"
           "print(json.dumps(sorted(m.__file__ for n, m in sys.modules.items() if n.split('.')[0] == 'wino_core')))")
  p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=code.ROOT)
  assert p.returncode == 0, p.stderr
  imported = {f.removeprefix(code.ROOT + "/") for f in json.loads(p.stdout.splitlines()[-1])}
  assert {f for f in imported if f.startswith(code.RULE + "/")} == set(code.rule_source()), "every file of NEW's package"
  assert imported <= set(code.child_files())

def test_old_requests_keep_their_ids():
  old = {"spec": parse_request(BODY).spec.to_dict(), "modes": ["baseline", "new"], "device": "CPU", "tinygrad": "0.14.0", "repeat": 1, "force_new": True}
  req = CompareRequest.from_dict(old)
  assert req.code is None and req.to_dict() == old

def test_a_request_for_other_code_fails_its_columns_rather_than_run_under_its_id():
  from dataclasses import replace
  cmp = compare(replace(parse_request(BODY), code="0123456789abcdef"))
  assert all(r["status"] == "error" and "not what this comparison was requested with (0123456789abcdef)" in r["message"] for r in cmp["runs"].values())

def test_sweeps_reuse_layers_only_for_the_same_code(tree):
  body = {"model": "custom", "layers": "a 2 2 3 1 1 6", "modes": ["baseline", "new"], "device": "CPU"}
  before = parse_sweep(body)
  edit(tree / "wino_core/winograd/stages.py", "\n# an edit of the NEW rule\n")
  after = parse_sweep(body)
  assert after.id != before.id and after.layer_table()[0]["comparison"] != before.layer_table()[0]["comparison"]

def test_the_result_keeps_its_code_and_the_reproducer_runs_its_stored_rule(tmp_path, monkeypatch):
  c = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True}).test_client()
  r = c.post("/api/compare", json=BODY).get_json()
  while c.get(r["status_url"]).get_json()["state"] not in ("done", "failed"): time.sleep(0.1)
  stored = c.get(f"/c/{r['id']}.json").get_json()
  ident = code.code_identity()
  assert stored["code"] == ident and stored["request"]["code"] == ident["id"]
  assert stored["rule_source"] == (rule:=code.rule_source()) and f"{code.RULE}/__init__.py" in rule
  page = c.get(f"/c/{r['id']}").get_data(as_text=True)
  assert f'<code id="code-id">{ident["id"]}</code>' in page and f'<code id="rule-hash">{ident["rule"]}</code>' in page
  # the rule on disk moves on; the script still embeds (and names) the one that ran
  monkeypatch.setattr(reproducer, "NEW_RULE_DIR", (other:=tmp_path / "winograd"))
  shutil.copytree(f"{code.ROOT}/{code.RULE}", other, ignore=shutil.ignore_patterns("__pycache__"))
  edit(other / "__init__.py", "\n# a later rule\n")
  script = c.get(f"/c/{r['id']}.py").get_data(as_text=True)
  assert all(reproducer._literal(src) in script for src in rule.values())
  assert "a later rule" not in script and f"wino-dash code {ident['id']}" in script
  # a comparison stored before the code was kept: still readable under its id, and says what it lacks
  store = c.application.extensions["wino"]["store"]
  old = {k: v for k, v in stored.items() if k not in ("code", "rule_source", "id", "created", "request", "verdict")}
  old_request = {k: v for k, v in stored["request"].items() if k != "code"}
  store.put_comparison(oid:=CompareRequest.from_dict(old_request).id, old_request, old)
  assert "code: not recorded" in c.get(f"/c/{oid}").get_data(as_text=True) and "code" not in c.get(f"/c/{oid}.json").get_json()
  assert "a later rule" in c.get(f"/c/{oid}.py").get_data(as_text=True), "without a stored rule: the tree's, and it says so"
