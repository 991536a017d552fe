"""Columns with tinygrad context variables (`MODE[@ENV][+NAME=VALUE...]`): parsing, ids, the names each environment
defines, and a real run where the variable changes what tinygrad makes."""
import json, subprocess, sys
import pytest

from wino_core.columns import parse, parse_columns, verdict_pairs
from wino_core.compare import CompareRequest, compare, parse_request
from wino_core.spec import ConvSpec, SpecError, parse_spec

PINNED = "0.14.0"
KNOWN = {PINNED: {"name": PINNED, "kind": "pinned", "version": PINNED},
         "pr-1": {"name": "pr-1", "kind": "checkout", "path": "/src/tinygrad", "commit": "a" * 40, "version": None}}
TYPES = {"WINO": "int", "NOOPT": "int", "DEBUG": "int", "DEV": "str"}
SMALL = {"batch": 1, "cin": 4, "cout": 4, "h": 8, "w": 8, "padding": 1}

def cols(modes, **kw): return parse_columns(modes, KNOWN, PINNED, var_types=lambda env: TYPES, **kw)[0]

def test_variables_are_canonical_and_part_of_the_column():
  assert cols("baseline+WINO=1,old") == ["baseline+WINO=1", "old"]
  # sorted by name, ints without leading zeros; the object form is the same column
  assert cols(["new+WINO=01+NOOPT=1", {"mode": "new", "vars": {"NOOPT": 1, "WINO": "1"}}]) == ["new+NOOPT=1+WINO=1"]
  assert cols([{"mode": "baseline", "tinygrad": "pr-1", "vars": {"WINO": 1}}]) == ["baseline@pr-1+WINO=1"]
  assert cols("baseline,baseline+WINO=1") == ["baseline", "baseline+WINO=1"]  # two columns of one mode
  assert parse("baseline@pr-1+WINO=1+NOOPT=0") == ("baseline", "pr-1", {"WINO": "1", "NOOPT": "0"})

@pytest.mark.parametrize("modes, says", [
  ("baseline+NOPE=1", "tinygrad 0.14.0 defines no context variable NOPE"),
  ("baseline+WINO=yes", "WINO is an integer context variable"),
  ("baseline+WINO", "bad column"), ("baseline+=1", "bad column"), ("baseline+wino=1", "bad context variable name"),
  ("baseline+BEAM=2", "cannot set BEAM"), ("baseline+WINO=1=2", "bad value"), ("baseline+WINO=a:b", "bad value"),
  ([{"mode": "baseline", "vars": {"WINO": [1]}}], "bad value"), ([{"mode": "old", "env": "x"}], "unknown key 'env'"),
])
def test_bad_variables_say_what_is_wrong(modes, says):
  with pytest.raises(SpecError) as e: cols(modes)
  assert e.value.field == "modes" and says in str(e.value)

def test_variables_change_the_id():
  spec = ConvSpec()
  ids = {CompareRequest(spec, m, "CPU", PINNED).id for m in (("baseline", "old"), ("baseline+WINO=1", "old"), ("baseline+WINO=2", "old"))}
  assert len(ids) == 3

def test_verdict_pairs_a_flagged_column_with_new_first():
  assert verdict_pairs(["baseline", "old", "new", "baseline@pr-1+WINO=1"]) == [
    ("new", "baseline@pr-1+WINO=1"), ("baseline@pr-1+WINO=1", "baseline"), ("new", "old"), ("new", "baseline"), ("old", "baseline")]
  assert verdict_pairs(["baseline", "baseline+NOOPT=1"]) == [("baseline+NOOPT=1", "baseline")]

def test_the_pinned_tinygrad_is_asked_for_its_names(tmp_path):
  """parse_request asks the environment's own Python which ContextVars exist: WINO does, NOPE does not."""
  assert parse_request({"spec": SMALL, "modes": ["baseline+WINO=1", "old"]}, envs_home=str(tmp_path)).modes == ("baseline+WINO=1", "old")
  with pytest.raises(SpecError) as e: parse_request({"spec": SMALL, "modes": ["baseline+NOPE=1"]}, envs_home=str(tmp_path))
  assert "defines no context variable NOPE" in str(e.value)

def test_baseline_with_wino_set_makes_olds_kernels():
  """WINO=1 set as a column's variable on the pinned tinygrad: the baseline column turns into OLD, kernel for kernel,
  and says that Winograd ran (so its error is judged as Winograd's)."""
  req = parse_request({"spec": SMALL, "modes": ["baseline", "baseline+WINO=1", "old"], "device": "CPU", "repeat": 1})
  cmp = compare(req)
  runs = cmp["runs"]
  assert all(r["status"] == "ok" for r in runs.values()), {m: r["message"] for m, r in runs.items()}
  names = {m: [k["name"] for k in r["kernels"]] for m, r in runs.items()}
  assert names["baseline+WINO=1"] == names["old"] and len(names["old"]) == 4 and len(names["baseline"]) == 1
  assert runs["baseline+WINO=1"]["winograd"]["fired"] and "WINO=1" in runs["baseline+WINO=1"]["message"]
  assert runs["baseline"]["winograd"] is None
  assert cmp["verdict_pairs"][0] == ("baseline+WINO=1", "baseline")

def test_cli_and_api_refuse_an_unknown_variable(tmp_path):
  p = subprocess.run([sys.executable, "-m", "app.cli", "compare", "--modes", "baseline+NOPE=1", "--db", str(tmp_path / "db.sqlite3")],
                     capture_output=True, text=True, timeout=300)
  assert p.returncode == 2 and p.stdout == "" and len(p.stderr.strip().splitlines()) == 1
  assert p.stderr.startswith("wino-dash: error:") and "NOPE" in p.stderr
  from app import create_app
  client = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True}).test_client()
  r = client.post("/api/compare", json={"spec": SMALL, "modes": [{"mode": "baseline", "vars": {"NOPE": 1}}], "device": "CPU"})
  assert r.status_code == 400 and r.get_json()["field"] == "modes" and "defines no context variable NOPE" in r.get_json()["error"]
  r = client.post("/", data={**{k: str(v) for k, v in SMALL.items()}, "modes": "old", "columns": "baseline+NOPE=1", "device": "CPU"})
  assert r.status_code == 400 and "defines no context variable NOPE" in r.get_data(as_text=True)
  assert 'value="baseline+NOPE=1"' in r.get_data(as_text=True)  # the column stays in the "more columns" field

def test_the_child_refuses_a_name_its_tinygrad_lacks():
  """A queue worker's environment is checked only in its child: the run fails saying which name is missing."""
  from wino_core.run import run_mode
  r = run_mode(parse_spec(SMALL), "baseline", "CPU", repeat=1, variables={"NOPE": "1"})
  assert r.status == "error" and "defines no context variable NOPE" in r.message

def test_the_reproducer_sets_a_columns_variables(tmp_path):
  from wino_core.reproducer import reproducer_script
  script = tmp_path / "repro.py"
  script.write_text(reproducer_script(parse_spec(SMALL), ["baseline", "baseline+WINO=1"], "CPU"))
  p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
  assert p.returncode == 0, p.stdout + p.stderr
  assert "== baseline on CPU: 1 kernel" in p.stdout and "== baseline on CPU: 4 kernels" in p.stdout

def test_the_summary_says_what_a_flag_made_and_what_was_not_captured():
  """A flagged column's Winograd cell is its report (how many kernels, transforms or not); an ok run's message beyond
  that report (what an older tinygrad did not let wino-dash capture) shows under its status."""
  from app.result_context import summary_row
  reason = "with WINO=1: Winograd transforms among 6 kernels (weight transform, input transform, ...)"
  missing = "not captured on this tinygrad (no LINEAR schedule, 0.11 era): kernel axes, opts"
  row = summary_row("baseline@pr-12763+WINO=1", {"status": "ok", "message": f"{reason}; {missing}", "winograd": {"fired": True, "reason": reason, "rewrites": []}})
  assert row["fired"] == f"fired {reason}" and row["note"] == missing
  row = summary_row("old", {"status": "ok", "message": "", "winograd": {"fired": True, "reason": None, "rewrites": []}})
  assert row["fired"] == "fired" and row["note"] == ""

def test_a_kernel_without_captured_axes_keeps_its_whole_name():
  from app.highlight import kernel_name_html
  assert str(kernel_name_html({"name": "r_4_16_36_4_4_16", "axes": []})) == '<span class="kname">r_4_16_36_4_4_16</span>'
  assert "ax-reduce" in str(kernel_name_html({"name": "r_4_3", "axes": [[4, "global"], [3, "reduce"]]}))
