"""Reviewing a tinygrad branch: the same conv on the pinned release and on a checkout with one heuristic changed,
through the API and the result page, the CLI, history and the reproducer (issue: tinygrad under review)."""
import json, re, shutil, subprocess, sys

import pytest

from app import create_app
from tests.test_app import wait_done
from wino_core.envs import add_checkout, envs_home

SPEC = {"cin": 8, "cout": 16, "h": 16, "w": 16}  # big enough (16x16x16 outputs) that the CPU heuristic upcasts
HEURISTIC = "tinygrad/codegen/opt/heuristic.py"

def edit(repo, old:str, new:str):
  path = repo / HEURISTIC
  text = path.read_text()
  assert old in text, f"{old!r} is not in {HEURISTIC} any more: pick another heuristic to change"
  path.write_text(text.replace(old, new, 1))

@pytest.fixture
def branch(tinygrad_checkout, tmp_path):
  """A checkout of the pinned tinygrad whose extra upcasts try 2 where the release tries 3 and 4, registered as pr-1."""
  repo = tmp_path / "tinygrad-pr"
  shutil.copytree(tinygrad_checkout, repo)
  subprocess.run(["git", "-C", str(repo), "remote", "add", "upstream", "git@github.com:tinygrad/tinygrad.git"], check=True)
  edit(repo, "if is_dsp else [3,4]", "if is_dsp else [2]")
  db = str(tmp_path / "db.sqlite3")
  add_checkout(envs_home(db), str(repo), "pr-1")
  return repo, db

def compare(client, modes) -> dict:
  r = client.post("/api/compare", json={"spec": SPEC, "modes": modes, "repeat": 2})
  assert r.status_code in (200, 202), r.get_data(as_text=True)
  body = r.get_json()
  if body.get("status_url"): assert wait_done(client, body["status_url"])["state"] == "done"
  return client.get(f"/c/{body['id']}.json").get_json()

def test_a_checkout_against_the_release(branch):
  repo, db = branch
  client = create_app({"DATABASE": db, "TESTING": True}).test_client()
  c = compare(client, ["baseline", "baseline@pr-1"])
  release, pr = c["runs"]["baseline"], c["runs"]["baseline@pr-1"]
  assert release["status"] == pr["status"] == "ok", (release["message"], pr["message"])
  assert pr["tinygrad"] == "pr-1" and release["tinygrad"] == c["tinygrad"]
  # the changed heuristic shows: other upcasts, so other kernel names and sources; both still correct
  upcasts = lambda run: [o["arg"] for k in run["kernels"] for o in k.get("opts", []) if o["op"] == "UPCAST"]
  assert set(upcasts(pr)) == {2} and 2 not in upcasts(release)
  assert release["kernels"][0]["name"] != pr["kernels"][0]["name"]
  assert pr["max_rel_err"] < 1e-5
  ident = c["tinygrad_envs"]["pr-1"]
  assert ident["kind"] == "checkout" and ident["dirty"] and re.fullmatch(r"[0-9a-f]{12}", ident["diff_hash"])
  assert c["request"]["tinygrad_envs"]["pr-1"]["diff_hash"] == ident["diff_hash"]  # it is part of what makes the id

  page = client.get(f"/c/{c['id']}").get_data(as_text=True)
  assert ident["diff_hash"] in page and 'id="tinygrad-envs"' in page and str(repo) in page
  assert f'href="https://github.com/tinygrad/tinygrad/commit/{ident["commit"]}"' in page  # a GitHub remote: the commit is linked
  # the side by side opens on the two columns, the diff shows the change
  # (the page names the columns; its script adds each side's kernel name, as it does on every view change)
  assert re.search(r'id="diff-label-a">baseline · CPU · float32 · tinygrad [0-9.]+</div>', page)
  assert 'id="diff-label-b">baseline@pr-1 · CPU · float32 · tinygrad pr-1</div>' in page
  # the diffs the page carries for that pair (its script lays them out): the kernels differ
  view = json.loads(re.search(r'id="view-data">(.*?)</script>', page, re.S).group(1))
  summaries = [view["rows"][i]["summary"] for key, i in view["diffs"].items() if key.startswith("baseline|baseline@pr-1|")]
  assert summaries and all(not s["identical"] and s["changed"] + s["added"] + s["removed"] > 0 for s in summaries)
  v = client.get(f"/c/{c['id']}.json").get_json()["verdict"]
  assert [(s["a"], s["b"]) for s in v["speedups"]] == [("baseline@pr-1", "baseline")]

  # history lists it under both tinygrads, and filters by either
  hist = client.get("/history?tinygrad=pr-1").get_data(as_text=True)
  assert c["id"] in hist
  assert c["id"] not in client.get("/history?tinygrad=0.0.1").get_data(as_text=True)

  # the reproducer says what the column needs, and runs it when told where the checkout is
  script = client.get(f"/c/{c['id']}.py").get_data(as_text=True)
  assert "--tinygrad pr-1=" in script and ident["commit"] in script
  path = repo.parent / "repro.py"
  path.write_text(script)
  out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300).stdout
  assert "== baseline@pr-1: skipped: it needs the tinygrad checkout 'pr-1'" in out
  out = subprocess.run([sys.executable, str(path), "--tinygrad", f"pr-1={repo}"], capture_output=True, text=True, timeout=300).stdout
  assert out.count("kernel") >= 2 and pr["kernels"][0]["name"] in out and release["kernels"][0]["name"] in out

  # editing the checkout makes a new comparison (a new id), never the stored one
  edit(repo, "if is_dsp else [2]", "if is_dsp else [4]")
  c2 = compare(client, ["baseline", "baseline@pr-1"])
  assert c2["id"] != c["id"] and c2["tinygrad_envs"]["pr-1"]["diff_hash"] != ident["diff_hash"]
  assert set(o["arg"] for k in c2["runs"]["baseline@pr-1"]["kernels"] for o in k.get("opts", []) if o["op"] == "UPCAST") == {4}

def test_bad_environment_names_are_refused_with_a_message(branch, tmp_path):
  repo, db = branch
  client = create_app({"DATABASE": db, "TESTING": True}).test_client()
  r = client.post("/api/compare", json={"spec": SPEC, "modes": ["old", "old@pr-2"]})
  assert r.status_code == 400 and "unknown tinygrad environment 'pr-2'" in r.get_json()["error"]
  r = client.post("/", data={"modes": ["old"], "columns": "old@nope", "cin": "4"})
  assert r.status_code == 400 and "unknown tinygrad environment &#39;nope&#39;" in r.get_data(as_text=True)
  # the form offers the environments
  form = client.get("/").get_data(as_text=True)
  assert '<option value="pr-1"' in form and 'value="baseline@pr-1"' in form

def test_a_checkout_that_changed_after_the_request_fails_its_columns(branch):
  """The identity is taken when the request is made (it is in the id): a run must not report another tree under it."""
  from wino_core.columns import available_envs
  from wino_core.compare import CompareRequest, compare as run_compare
  from wino_core.devices import tinygrad_version
  from wino_core.run import RunSettings
  from wino_core.spec import parse_spec
  repo, db = branch
  home = envs_home(db)
  envs = {"pr-1": available_envs(home)["pr-1"]}
  edit(repo, "if is_dsp else [2]", "if is_dsp else [3]")
  req = CompareRequest(parse_spec({"cin": 2, "cout": 2, "h": 6, "w": 6}), ("baseline@pr-1",), "CPU", tinygrad_version(), 1, envs_json=json.dumps(envs))
  c = run_compare(req, RunSettings(envs_home=home))
  r = c["runs"]["baseline@pr-1"]
  assert r["status"] == "error" and "changed since this comparison was requested" in r["message"] and "diff_hash" in r["message"]

def test_cli_compares_on_an_environment(branch):
  repo, db = branch
  p = subprocess.run([sys.executable, "-m", "app.cli", "compare", "--cin", "8", "--cout", "16", "--size", "16", "--repeat", "1",
                      "--modes", "baseline,baseline@pr-1", "--db", db, "--json"], capture_output=True, text=True, timeout=300)
  assert p.returncode == 0, p.stderr
  c = json.loads(p.stdout)
  assert list(c["runs"]) == ["baseline", "baseline@pr-1"] and c["tinygrad_envs"]["pr-1"]["dirty"]
  p = subprocess.run([sys.executable, "-m", "app.cli", "compare", "--modes", "old", "--tinygrad", "nope", "--db", db],
                     capture_output=True, text=True, timeout=120)
  assert p.returncode == 2 and p.stderr.startswith("wino-dash: error: tinygrad: unknown tinygrad environment 'nope'")

def test_old_on_the_previous_release(tinygrad_013_home):
  """0.13.0 from the package index (installed once, cached): OLD runs there and is timed against 0.14.0's; NEW, written
  against 0.14.0's internals, says plainly what 0.13.0 lacks."""
  from wino_core.columns import available_envs, parse_columns
  from wino_core.compare import CompareRequest, compare as run_compare
  from wino_core.devices import tinygrad_version
  from wino_core.run import RunSettings
  from wino_core.spec import parse_spec
  known = available_envs(tinygrad_013_home)
  columns, envs = parse_columns("old@0.13.0,old,new@0.13.0", known, tinygrad_version())
  assert columns == ["old@0.13.0", "old", "new@0.13.0"] and envs["0.13.0"]["kind"] == "release"
  req = CompareRequest(parse_spec({"cin": 4, "cout": 4, "h": 8, "w": 8}), tuple(columns), "CPU", tinygrad_version(), 2, envs_json=json.dumps(envs))
  c = run_compare(req, RunSettings(envs_home=tinygrad_013_home))
  old13, old14, new13 = (c["runs"][k] for k in columns)
  assert old13["status"] == old14["status"] == "ok" and old13["tinygrad"] == "0.13.0"
  assert old13["max_rel_err"] < 1e-4 and len(old13["kernels"]) >= 2  # WINO=1 fired there too
  assert new13["status"] == "error" and "written against tinygrad 0.14.0's internals" in new13["message"] and "lacks 'WEAK'" in new13["message"]
  assert ("old", "old@0.13.0") in [tuple(p) for p in c["verdict_pairs"]]
