"""Which UOps made each line of a kernel's source, in two steps, both read from tinygrad's objects:

1. line -> linearized UOp: the PROGRAM's linearized UOps are rendered again with a hook on the C-style renderer, which
   records the UOp each emitted line came from (tinygrad's renderers emit one line per UOp that gets a name; a UOp used
   once is written inline into its consumer's line, so it belongs to that line). The re-render must give the stored
   source exactly, else there is no map.
2. linearized UOp -> the kernel's AST (the scheduled SINK, before codegen, as the page's graph shows it): codegen
   rewrites the AST, so the correspondence goes by what survives it: the PARAM slot of a load or store (INDEX, STORE,
   PARAM), a RANGE's axis id, the accumulator of a REDUCE, and for arithmetic the op and the buffers it reads. Index
   arithmetic belongs to the loads and stores it addresses.
"""
from __future__ import annotations
from tinygrad.dtype import AddrSpace, dtypes
from tinygrad.uop.ops import GroupOp, Ops, UOp

def rendered_lines(prg:UOp, renderer) -> dict[UOp, list[int]]|None:
  """For the PROGRAM's linearized UOps, the source lines (0-based) each one wrote or is written into; None when the
  renderer is not C-style or its re-render is not the stored source."""
  from tinygrad.renderer.cstyle import CStyleLanguage
  lin = next((s for s in prg.src if s.op is Ops.LINEAR), None)
  source = next((s.arg for s in prg.src if s.op is Ops.SOURCE), None)
  if lin is None or source is None or not isinstance(renderer, CStyleLanguage): return None
  seen: list[tuple[UOp, str]] = []
  names: list[dict] = []
  body: list[list[str]] = []
  inner = renderer.string_rewrite
  class Recorder:
    def rewrite(self, u:UOp, ctx=None):
      line = inner.rewrite(u, ctx=ctx)
      seen.append((u, line))
      if not names: names.append(ctx.r)  # the renderer's names: a UOp written inline has its text as its name
      return line
  render_kernel = renderer.render_kernel
  def recorded(function_name, kernel, *args, **kwargs):
    body.append(list(kernel))
    return render_kernel(function_name, kernel, *args, **kwargs)
  had = {k: k in vars(renderer) for k in ("string_rewrite", "render_kernel")}
  renderer.string_rewrite, renderer.render_kernel = Recorder(), recorded
  try: again = renderer.render(list(lin.src))
  finally:
    for k, own in had.items():
      if own: setattr(renderer, k, inner if k == "string_rewrite" else render_kernel)
      else: delattr(renderer, k)
  if again != source or not body or not names: return None
  emitted = [u for u, line in seen if names[0].get(u) != line]
  if len(emitted) != len(body[0]) or (start:=source.find("\n".join(body[0]))) < 0: return None
  lines: dict[UOp, list[int]] = {}
  at = source[:start].count("\n")
  for u, text in zip(emitted, body[0]):
    lines[u] = list(range(at, at + text.count("\n") + 1))
    at += text.count("\n") + 1
  # a UOp written inline belongs to the lines of the UOps it is written into
  consumers: dict[UOp, list[UOp]] = {}
  for v in lin.src:
    for s in v.src: consumers.setdefault(s, []).append(v)
  for u in reversed(lin.src):
    if u not in lines and not _constant(u) and u.op not in {Ops.PARAM, Ops.SINK, Ops.NOOP, Ops.GROUP}:
      if (got:=sorted({n for v in consumers.get(u, []) for n in lines.get(v, [])})): lines[u] = got
  return lines

# *** linearized UOp -> AST nodes ***

def _constant(u:UOp) -> bool: return u.op is Ops.CONST or (u.op in {Ops.CAST, Ops.BITCAST} and u.src[0].op is Ops.CONST)
def _is_index(u:UOp) -> bool: return u.dtype == dtypes.bool or dtypes.is_int(u.dtype)  # addresses and gates, not values

def _slot(buf:UOp) -> int|None:
  while buf.op in {Ops.AFTER, Ops.CAST, Ops.BITCAST} and buf.src: buf = buf.src[0]
  return buf.arg.slot if buf.op is Ops.PARAM and hasattr(buf.arg, "slot") else None

def _is_reg(buf:UOp) -> bool:
  """a kernel's register buffer: a REDUCE's accumulator after codegen"""
  while buf.op is Ops.AFTER and buf.src: buf = buf.src[0]
  return buf.op is Ops.BUFFER and getattr(buf.arg, "addrspace", None) is AddrSpace.REG

def _reads(u:UOp, memo:dict) -> frozenset:
  """The buffers a value reads: PARAM slots, and "acc" for a REDUCE's accumulator (the AST's REDUCE counts as acc)."""
  if u in memo: return memo[u]
  if u.op is Ops.INDEX: ret = frozenset({"acc"} if _is_reg(u.src[0]) else {_slot(u.src[0])} - {None})
  elif u.op is Ops.REDUCE: ret = frozenset({"acc"}) | _reads(u.src[0], memo)
  elif u.op is Ops.LOAD: ret = _reads(u.src[0], memo)
  elif u.op in GroupOp.ALU or u.op in {Ops.CAST, Ops.BITCAST, Ops.STACK, Ops.SHRINK}:
    ret = frozenset().union(*(_reads(s, memo) for s in u.src if s.dtype != dtypes.bool or u.op is not Ops.WHERE))
  else: ret = frozenset()
  memo[u] = ret
  return ret

class ASTIndex:
  """The AST's nodes by what codegen keeps of them."""
  def __init__(self, ast:UOp):
    self.topo = [u for u in ast.toposort() if u.op is not Ops.CONST]
    self.memo: dict = {}
    by: dict[tuple, list[UOp]] = {}
    for u in self.topo:
      if u.op is Ops.RANGE: by.setdefault(("range", u.arg[0]), []).append(u)
      elif u.op is Ops.PARAM: by.setdefault(("param", _slot(u)), []).append(u)
      elif u.op is Ops.INDEX: by.setdefault(("index", _slot(u.src[0])), []).append(u)
      elif u.op is Ops.STORE and u.src[0].op is Ops.INDEX: by.setdefault(("store", _slot(u.src[0].src[0])), []).append(u)
      elif u.op is Ops.REDUCE: by.setdefault(("reduce",), []).append(u)
      elif not _is_index(u) and (u.op in GroupOp.ALU or u.op is Ops.CAST):
        by.setdefault(("value", u.op, _reads(u, self.memo) - {"acc"}), []).append(u)
    self.by = by

  def nodes_for(self, u:UOp, consumers:dict[UOp, list[UOp]], memo:dict) -> list[UOp]:
    by = self.by
    if u.op in {Ops.RANGE, Ops.END}:
      return [n for r in ([u] if u.op is Ops.RANGE else u.src[1:]) if r.op is Ops.RANGE for n in by.get(("range", r.arg[0]), [])]
    if u.op is Ops.PARAM: return by.get(("param", _slot(u)), [])
    if u.op in {Ops.BUFFER, Ops.AFTER} and _is_reg(u): return by.get(("reduce",), [])
    if u.op in {Ops.INDEX, Ops.LOAD, Ops.STORE}:
      idx = u if u.op is Ops.INDEX else u.src[0]
      if idx.op is not Ops.INDEX: return []
      if _is_reg(idx.src[0]): return by.get(("reduce",), [])
      return by.get(("store" if u.op is Ops.STORE else "index", _slot(idx.src[0])), [])
    if _is_index(u) or u.op is Ops.SPECIAL:
      # index arithmetic and gates: the loads and stores they address
      return list(dict.fromkeys(n for v in _addressed(u, consumers) for n in self.nodes_for(v, consumers, memo)))
    if u.op in GroupOp.ALU or u.op is Ops.CAST:
      reads = _reads(u, memo)
      if (same:=by.get(("value", u.op, reads - {"acc"}))): return same
      # the accumulation: the AST's REDUCE of the same op
      return [r for r in by.get(("reduce",), []) if r.arg[0] is u.op] if "acc" in reads or u.op is Ops.ADD else []
    return []

def _addressed(u:UOp, consumers:dict[UOp, list[UOp]]) -> list[UOp]:
  """The INDEXes (and gated LOADs/STOREs) an integer or boolean UOp feeds, following integer/boolean consumers."""
  out, todo, seen = [], [u], {u}
  while todo:
    for v in consumers.get(todo.pop(), []):
      if v in seen: continue
      seen.add(v)
      if v.op in {Ops.INDEX, Ops.LOAD, Ops.STORE}: out.append(v)
      elif _is_index(v): todo.append(v)
  return out

def ast_lines(prg:UOp, ast:UOp, renderer) -> dict[UOp, list[int]]:
  """For each node of the kernel's AST, the source lines (1-based) made from it; {} where there is no map."""
  lines = rendered_lines(prg, renderer)
  if not lines: return {}
  lin = next(s for s in prg.src if s.op is Ops.LINEAR)
  consumers: dict[UOp, list[UOp]] = {}
  for v in lin.src:
    for s in v.src: consumers.setdefault(s, []).append(v)
  index, memo = ASTIndex(ast), {}
  out: dict[UOp, set[int]] = {}
  for u, ls in lines.items():
    if _constant(u): continue
    for n in index.nodes_for(u, consumers, memo): out.setdefault(n, set()).update(l + 1 for l in ls)
  return {n: sorted(ls) for n, ls in out.items()}

def kernel_line_maps(linear:UOp, compiled_calls:list[UOp], renderer) -> list[dict[UOp, list[int]]]:
  """ast_lines for each kernel: `linear` holds the scheduled SINKs, `compiled_calls` their PROGRAMs, in launch order."""
  asts = [c.src[0] for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]
  if len(asts) != len(compiled_calls): return []
  def one(prg:UOp, ast:UOp) -> dict:
    try: return ast_lines(prg, ast, renderer)
    except Exception: return {}  # a kernel without a line map still has its source, assembly and graph
  return [one(c.src[0], ast) for ast, c in zip(asts, compiled_calls)]
