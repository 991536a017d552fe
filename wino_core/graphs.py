"""UOp graphs as plain JSON for the browser, in one shape for every graph:
  {"nodes": [{"id", "op", "dtype", "arg", ...}], "edges": [[src_id, dst_id], ...], "total": int, "truncated": bool}
Nodes come in topological order (sources before consumers). CONSTs are not nodes: as in tinygrad's VIZ, each is folded
into its consumer's "consts" ("#1 = 4 int": operand 1 is the constant 4), so a constant used 50 times is 50 short lines,
not 50 edges to one node. A graph over MAX_NODES keeps the MAX_NODES nodes nearest its root and says so
("truncated": true, "total": the node count before the cut)."""
from __future__ import annotations
from collections import deque
from math import prod
from tinygrad.uop.ops import Ops, UOp

MAX_NODES = 5000   # per graph: a safety net (real kernel ASTs are hundreds of nodes whatever the shape), keeps stored JSON sane
MAX_ASTS = 16      # kernel ASTs kept per run
MAX_RUN_NODES = 20_000  # all of a run's UOp graphs together (about 2 MB of JSON): later graphs are cut harder
ARG_CHARS = 120

def _short(s:str, n:int=ARG_CHARS) -> str: return s if len(s) <= n else s[:n-1] + "…"
def _clean(s:str) -> str: return s.replace("dtypes.", "").replace("Ops.", "").replace("AxisType.", "")
def dtype_text(u:UOp) -> str: return _clean(str(u.dtype))

def const_text(c:UOp) -> str:
  return f"{c.arg:g}" if isinstance(c.arg, float) else _clean(str(c.arg))

def arg_text(u:UOp, params:dict[int, str]|None=None) -> str:
  """The arg as a reviewer reads it: RANGE r3 reduce (6), PARAM slot 1 → buf 2 XHAT, REDUCE ADD; else str(arg), shortened."""
  if u.op is Ops.RANGE:
    size = f" ({u.src[0].arg})" if u.src and u.src[0].op is Ops.CONST else ""
    return f"r{u.arg[0]} {u.arg[-1].name.lower()}{size}"
  if u.op.name == "PARAM" and hasattr(u.arg, "slot"):  # by name: the 0.11 era has no PARAM
    return f"slot {u.arg.slot}" + (f" → {params[u.arg.slot]}" if params and u.arg.slot in params else "")
  if u.op is Ops.REDUCE and isinstance(u.arg, tuple): return _clean(str(u.arg[0]))
  if u.op is Ops.SINK and u.arg is not None: return type(u.arg).__name__  # KernelInfo: its name is a placeholder before codegen
  return "" if u.arg is None else _short(_clean(str(u.arg)))

def _near_root(root:UOp, keep:set[UOp], n:int) -> set[UOp]:
  """the first n nodes of `keep` reached breadth-first from root, along sources"""
  seen, todo = {root}, deque([root])
  while todo and len(seen) < n:
    for s in todo.popleft().src:
      if s in keep and s not in seen and len(seen) < n:
        seen.add(s)
        todo.append(s)
  return seen

def uop_graph(root:UOp, params:dict[int, str]|None=None, max_nodes:int=MAX_NODES, names:dict[UOp, str]|None=None,
              lines:dict[UOp, list[int]]|None=None) -> dict:
  """`names`: what to call some nodes (NEW's STAGEs: XHAT, GHAT, MHAT); `lines`: the kernel source lines each node made
  (wino_core.linemap)."""
  topo = [u for u in root.toposort() if u.op is not Ops.CONST or u is root]
  kept = _near_root(root, set(topo), max_nodes) if len(topo) > max_nodes else set(topo)
  ids: dict[UOp, int] = {}
  nodes, edges = [], []
  for u in topo:
    if u not in kept: continue
    ids[u] = len(ids)
    node = {"id": ids[u], "op": u.op.name, "dtype": dtype_text(u), "arg": arg_text(u, params)}
    if names and u in names: node["name"] = names[u]
    # (a RANGE's one CONST is its size, already in its arg)
    if u.op is not Ops.RANGE and (consts:=[f"#{i} = {const_text(s)} {dtype_text(s)}" for i, s in enumerate(u.src) if s.op is Ops.CONST]):
      node["consts"] = consts
    if u.op is Ops.INDEX and (expr:=_render(u)): node["expr"] = expr
    if lines and u in lines: node["lines"] = lines[u]
    nodes.append(node)
    edges += [[ids[s], ids[u]] for s in dict.fromkeys(u.src) if s in ids]
  return {"nodes": nodes, "edges": edges, "total": len(topo), "truncated": len(kept) < len(topo)}

def _render(u:UOp) -> str:
  # the index as an expression, like VIZ shows it; small ones only (rendering a big index is slow and unreadable)
  if sum(len(s.toposort()) for s in u.src[1:]) >= 40: return ""
  # the index operands only (the buffer may be a whole STAGE), unsimplified: what the graph holds, and much cheaper
  try: return _short("[" + ", ".join(s.render(simplify=False) for s in u.src[1:]) + "]", 200)
  except Exception: return ""

# *** the kernel graph: kernels and the buffers they read and write ***

# an intermediate is named by what the kernel that writes it computes (as in NEW's and OLD's Winograd)
TMP_NAMES = {"input transform": "XHAT", "weight transform": "GHAT", "batched product": "MHAT"}

def store_shape(sink:UOp, slot:int) -> list[int]|None:
  """The shape a kernel writes PARAM `slot` in, when its store index is a plain row-major sum of range*stride
  (it is for every Winograd intermediate): the range sizes ordered by stride. None when it is anything else."""
  for st in (u for u in sink.toposort() if u.op is Ops.STORE and u.src[0].op is Ops.INDEX and len(u.src[0].src) == 2):
    if getattr(st.src[0].src[0].arg, "slot", None) != slot: continue
    terms, todo = [], [st.src[0].src[1]]
    while todo:
      t = todo.pop()
      if t.op is Ops.ADD: todo += t.src
      elif t.op is Ops.RANGE: terms.append((1, t))
      elif t.op is Ops.MUL and {s.op for s in t.src} == {Ops.RANGE, Ops.CONST}:
        r, c = sorted(t.src, key=lambda s: s.op is Ops.CONST)
        terms.append((c.arg, r))
      else: return None
    terms.sort(key=lambda sr: -sr[0])
    shape, stride = [int(r.vmax)+1 for _, r in terms], 1
    for (s, _), n in zip(reversed(terms), reversed(shape)):
      if s != stride: return None
      stride *= n
    return shape
  return None

def kernel_graph(kernels:list[dict], buffers:dict[int, dict]) -> dict:
  """kernels: describe_kernel dicts (reads/writes buffer ids, time_s); buffers: id -> {role, dtype, size, nbytes, shape}.
  Node ids: kernel i is i, buffer b is len(kernels)+b. Buffer nodes carry "name": x, w, out, or XHAT/GHAT/MHAT/tmp."""
  writer = {b: k for k in kernels for b in k["writes"]}
  nodes, edges, placed = [], [], set()
  def buffer_node(b:int):
    if b in placed: return
    placed.add(b)
    d = buffers[b]
    name = TMP_NAMES.get(writer[b]["role"], "tmp") if d["role"] == "tmp" and b in writer else d["role"]
    shape = "×".join(map(str, d["shape"])) if d.get("shape") else f"{d['size']}"
    nodes.append({"id": len(kernels)+b, "op": "BUFFER", "dtype": d["dtype"], "arg": f"{name} {shape}", "kind": "buffer", "name": name,
                  "role": name, "buffer": b, "shape": d.get("shape"), "size": d["size"], "nbytes": d["nbytes"]})
  for i, k in enumerate(kernels):
    for b in k["reads"]:
      buffer_node(b)
      edges.append([len(kernels)+b, i])
    t = (k.get("time_s") or {}).get("median")
    nodes.append({"id": i, "op": "KERNEL", "dtype": "", "arg": k["name"], "kind": "kernel", "name": k["name"], "role": k["role"],
                  "index": i, "time_s": t, **({"stage": k["stage"]} if k.get("stage") else {})})
    for b in k["writes"]:
      buffer_node(b)
      edges.append([i, len(kernels)+b])
  return {"nodes": nodes, "edges": edges, "total": len(nodes), "truncated": False}

def kernel_stages(rewrites:list, kernels:list[dict], buffers:dict[int, dict]) -> list[str|None]:
  """NEW's stage of each kernel, from the STAGEs its rule made (Rewrite.stages: XHAT, GHAT, MHAT): a kernel is the stage
  whose buffer it writes, matched by the STAGE's element count and dtype (where two stages match, the one its role
  names); the kernel that writes the conv's output is "output". None for a kernel no stage made, and for every kernel
  of a run whose rule did not fire."""
  made = [(name, prod(int(s) for s in u.shape), u.dtype.name) for rw in rewrites for name, u in rw.stages.items()]
  out: list[str|None] = []
  for k in kernels:
    writes = [buffers[b] for b in k["writes"] if b in buffers]
    names = {name for d in writes for name, size, dtype in made if (d["size"], d["dtype"]) == (size, dtype)}
    if made and any(d["role"] == "out" for d in writes): out.append("output")
    elif len(names) > 1 and TMP_NAMES.get(k["role"]) in names: out.append(TMP_NAMES[k["role"]])
    else: out.append(names.pop() if len(names) == 1 else None)
  return out

def run_graphs(linear:UOp, kernels:list[dict], buffers, known_shapes:dict, rewrites:list, line_maps:list[dict]|None=None) -> dict:
  """RunResult.graphs: the kernel graph, each kernel's AST (the CALL's SINK as scheduled, before codegen: what tinygrad
  lowers, in launch order) and NEW's first rewrite (the matched REDUCE with its sources, and what replaced it), or None.
  buffers: the run's BufferTable; known_shapes: Buffer -> shape for the conv's own tensors; line_maps: per kernel, the
  source lines each AST node made (its nodes get "lines"). NEW's kernels get their "stage" (kernel_stages), in `kernels`
  too."""
  calls = [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]
  described: dict[int, dict] = {}
  for c in calls:
    for slot, b in enumerate(c.src[1:]):
      d = buffers.describe(b)
      shape = known_shapes.get(b.buffer) or store_shape(c.src[0], slot)
      described.setdefault(d["id"], d | {"shape": list(shape) if shape else None})
  for k, stage in zip(kernels, kernel_stages(rewrites, kernels, described)):
    if stage: k["stage"] = stage
  kg = kernel_graph(kernels, described)
  names = {n["buffer"]: n["name"] for n in kg["nodes"] if n["kind"] == "buffer"}
  def params(c:UOp) -> dict[int, str]: return {slot: f"buf {buffers.id(b)} {names.get(buffers.id(b), '')}" for slot, b in enumerate(c.src[1:])}
  left = MAX_RUN_NODES
  def graph(root:UOp, params:dict[int, str]|None=None, names:dict[UOp, str]|None=None, lines:dict|None=None) -> dict:
    nonlocal left
    g = uop_graph(root, params, max(1, min(MAX_NODES, left)), names, lines)
    left -= len(g["nodes"])
    return g
  asts = [graph(c.src[0], params(c), lines=line_maps[k] if line_maps and k < len(line_maps) else None) for k, c in enumerate(calls[:MAX_ASTS])]
  for g, k in zip(asts, kernels):
    if k.get("stage"): g["stage"] = k["stage"]  # every node of this AST belongs to the stage
  rw = rewrites[0] if rewrites else None
  return {"kernel_graph": kg, "kernel_asts": asts, "rewrite": None if rw is None else
          {"description": rw.description, "count": len(rewrites), "before": graph(rw.before), "after": graph(rw.after, names={u: n for n, u in rw.stages.items()})}}
