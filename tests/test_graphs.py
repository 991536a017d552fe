"""UOp graphs as JSON: the kernel graph, each kernel's AST and NEW's rewrite, from real runs on the CPU."""
import json, math
import pytest
from wino_core.run import run_mode
from wino_core.spec import ConvSpec

SPEC = ConvSpec(batch=1, cin=3, cout=4, h=10, w=10, padding=(1, 1, 1, 1))  # the shape of conftest's small_runs

@pytest.fixture(scope="module")
def runs(small_runs):
  spec, base_old = small_runs
  assert spec == SPEC
  # this small conv is under NEW's cost model: force it, to see its graphs
  return {**base_old, "new": run_mode(SPEC, "new", "CPU", repeat=1, warmup=0, force_new=True)}

def by_kind(g:dict, kind:str) -> list[dict]: return [n for n in g["nodes"] if n.get("kind") == kind]

def check_graph(g:dict):
  """one JSON shape for every graph: ids 0..n-1 in topological order, edges between kept nodes, sources first"""
  assert [n["id"] for n in sorted(g["nodes"], key=lambda n: n["id"])] == list(range(len(g["nodes"])))
  assert all(set(n) >= {"id", "op", "dtype", "arg"} for n in g["nodes"])
  pos = {n["id"]: i for i, n in enumerate(g["nodes"])}
  assert all(pos[s] < pos[d] for s, d in g["edges"]), "nodes come sources first"
  assert g["truncated"] is (g["total"] > len(g["nodes"]))

def writers(g:dict) -> dict[str, dict]:
  """buffer name -> the kernel node that writes it"""
  nodes = {n["id"]: n for n in g["nodes"]}
  return {nodes[d]["name"]: nodes[s] for s, d in g["edges"] if nodes[s]["kind"] == "kernel"}

def readers(g:dict, name:str) -> list[dict]:
  nodes = {n["id"]: n for n in g["nodes"]}
  return [nodes[d] for s, d in g["edges"] if nodes[s].get("name") == name and nodes[s]["kind"] == "buffer"]

def test_baseline_is_one_kernel_writing_the_output(runs):
  r = runs["baseline"]
  g = r.graphs["kernel_graph"]
  check_graph(g)
  [k] = by_kind(g, "kernel")
  assert k["name"] == r.kernels[0]["name"] and k["role"] == "conv" and k["time_s"] == r.kernels[0]["time_s"]["median"]
  assert writers(g) == {"out": k} and readers(g, "x") == [k] and readers(g, "w") == [k]
  shapes = {b["name"]: tuple(b["shape"]) for b in by_kind(g, "buffer")}
  assert shapes == {"x": SPEC.input_shape, "w": SPEC.weight_shape, "out": SPEC.output_shape}
  assert all(b["dtype"] == "float" and b["nbytes"] == 4 * b["size"] for b in by_kind(g, "buffer"))
  assert r.graphs["rewrite"] is None

@pytest.mark.parametrize("mode", ["old", "new"])
def test_winograd_materializes_xhat_ghat_mhat_feeding_the_output(runs, mode):
  r = runs[mode]
  g = r.graphs["kernel_graph"]
  check_graph(g)
  assert len(by_kind(g, "kernel")) == 4
  w = writers(g)
  assert {n: k["role"] for n, k in w.items()} == {"XHAT": "input transform", "GHAT": "weight transform", "MHAT": "batched product", "out": "output"}
  assert readers(g, "XHAT") == readers(g, "GHAT") == [w["MHAT"]] and readers(g, "MHAT") == [w["out"]]
  assert readers(g, "x") == [w["XHAT"]] and readers(g, "w") == [w["GHAT"]]
  for b in by_kind(g, "buffer"):  # each intermediate's shape is read off the store that writes it
    assert b["shape"] and math.prod(b["shape"]) == b["size"], b
    assert 6 in b["shape"] or b["name"] in ("x", "w", "out")
  assert (r.graphs["rewrite"] is not None) == (mode == "new"), "OLD rewrites tensors, not the UOp graph: nothing to show"

def test_each_kernel_has_its_ast(runs):
  for r in runs.values():
    assert len(r.graphs["kernel_asts"]) == len(r.kernels)
    for ast, k in zip(r.graphs["kernel_asts"], r.kernels):
      check_graph(ast)
      ops = {n["op"] for n in ast["nodes"]}
      assert {"SINK", "STORE", "INDEX", "RANGE", "PARAM"} <= ops and "CONST" not in ops, "constants are folded into their consumers"
      assert ast["nodes"][-1]["op"] == "SINK" and not ast["truncated"]
      assert ("REDUCE" in ops) == k["name"].startswith("r_")
      params = [n["arg"] for n in ast["nodes"] if n["op"] == "PARAM"]
      assert any("out" in p or "HAT" in p for p in params), "each PARAM says which buffer of the kernel graph it is"
  conv = runs["baseline"].graphs["kernel_asts"][0]["nodes"]
  assert any(n["op"] == "RANGE" and "reduce (3)" in n["arg"] for n in conv), "ky, kx: reduce ranges of size 3"
  assert any("#1 = " in c for n in conv for c in n.get("consts", []))

def test_new_rewrite_before_and_after_present_when_it_fired(runs):
  r = runs["new"]
  assert r.winograd["fired"]
  rw = r.graphs["rewrite"]
  check_graph(rw["before"]), check_graph(rw["after"])
  assert rw["description"] == r.winograd["rewrites"][0]["description"] and rw["count"] == 1
  before = rw["before"]["nodes"]
  assert before[-1]["op"] == "REDUCE" and before[-1]["arg"] == "ADD" and {"MUL", "INDEX", "RANGE"} <= {n["op"] for n in before}
  after = [n["op"] for n in rw["after"]["nodes"]]
  assert after.count("STAGE") == 3, "XHAT, GHAT and MHAT are materialized"
  stages = [n for n in rw["after"]["nodes"] if n["op"] == "STAGE"]
  assert sorted(n["name"] for n in stages) == ["GHAT", "MHAT", "XHAT"], "each STAGE named by what it holds"
  mhat = next(n["id"] for n in stages if n["name"] == "MHAT")
  # MHAT is the one whose inputs reach both others
  reach, todo = set(), [mhat]
  srcs = {}
  for s_, d in rw["after"]["edges"]: srcs.setdefault(d, []).append(s_)
  while todo:
    for x in srcs.get(todo.pop(), []):
      if x not in reach: reach.add(x); todo.append(x)
  assert {n["id"] for n in stages if n["name"] != "MHAT"} <= reach
  assert after.count("REDUCE") == 1 and "REDUCE" != after[-1], "the sum over cin moved into MHAT"
  assert len(json.dumps(r.graphs)) < 1_000_000

def test_no_rewrite_when_new_does_not_fire():
  r = run_mode(ConvSpec(batch=1, cin=2, cout=2, h=8, w=8, stride=2), "new", "CPU", repeat=1, warmup=0)
  assert r.status == "ok" and not r.winograd["fired"]
  assert r.graphs["rewrite"] is None and len(by_kind(r.graphs["kernel_graph"], "kernel")) == 1

def test_constants_fold_and_big_graphs_are_cut_nearest_the_root():
  from tinygrad.uop.ops import UOp
  from wino_core.graphs import uop_graph
  x = UOp.range(10, 0)
  y = x
  for _ in range(50): y = (y * 3) + 1   # the constants 3 and 1, each used 50 times
  g = uop_graph(y)
  check_graph(g)
  assert len(g["nodes"]) == 101 and len(g["edges"]) == 100 and not g["truncated"]
  assert sum(len(n.get("consts", [])) for n in g["nodes"]) == 100 and "CONST" not in {n["op"] for n in g["nodes"]}
  cut = uop_graph(y, max_nodes=10)
  check_graph(cut)
  assert cut["truncated"] and cut["total"] == 101 and len(cut["nodes"]) == 10
  strip = lambda ns: [{k: v for k, v in n.items() if k != "id"} for n in ns]
  assert strip(cut["nodes"]) == strip(g["nodes"][-10:]), "the 10 nodes nearest the root are kept"

def test_graphs_are_stored_and_exported(runs, tmp_path):
  """through the app: the JSON export carries each run's graphs, the page and the standalone file the graph pane"""
  from app import create_app
  from wino_core.result import comparison_dict
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True})
  store, cid = app.extensions["wino"]["store"], "0123456789abcdef"
  store.put_comparison(cid, {"repeat": 1}, comparison_dict(SPEC, "CPU", "0.14.0", runs))
  c = app.test_client()
  data = c.get(f"/c/{cid}.json").get_json()
  assert {m: r["graphs"] for m, r in data["runs"].items()} == {m: json.loads(json.dumps(r.graphs)) for m, r in runs.items()}
  page = c.get(f"/c/{cid}?a=baseline&b=new").get_data(as_text=True)
  assert 'id="graph-data"' in page and "js/graph-worker.js" in page and "vendor/elkjs-0.12.1/elk.bundled.js" in page
  assert c.get("/static/vendor/elkjs-0.12.1/elk.bundled.js").status_code == 200
  html = c.get(f"/c/{cid}.html").get_data(as_text=True)
  assert 'id="graph-data"' in html and 'id="graph-worker-src"' in html and "self.onmessage" in html and "ELK" in html
  assert 'data-worker=""' in html, "the standalone file loads no worker by URL"
