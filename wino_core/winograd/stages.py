"""The four stages of F(4x4,3x3) on a matched conv, Y = At [(G g Gt) ⊙ (Bt d B)] A, tiling each output axis as o = 4*t + u:
  1. XHAT[b, ty, tx, i, j, cin] = (Bt d B)[i, j]  for each 6x6 input tile d[p, q] = x[b, cin, 4ty+p, 4tx+q]  (materialized)
  2. GHAT[i, j, co, cin]        = (G g Gt)[i, j]  for each 3x3 filter g = w[co, cin]                       (materialized)
  3. MHAT[b, co, ty, tx, i, j]  = sum_cin XHAT * GHAT: a matmul per tile position (i, j)                   (materialized)
  4. out[b, co, oy, ox]         = (At M A)[oy%4, ox%4] with M = MHAT[b, co, oy//4, ox//4]                 (replaces the REDUCE)
(Layout.fuse_output: 3 and 4 as one kernel, no MHAT, product_and_output.)
Where each axis goes in a buffer, and the order its kernel loops, is the Layout's (layout.py). XHAT and GHAT are
computed in the accumulate dtype and stored in `store`; a float16 conv multiplies in half and sums in float."""
from __future__ import annotations
import functools, operator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from tinygrad.dtype import DType
from tinygrad.uop.ops import AxisType, Ops, PatternMatcher, UOp, UPat
from wino_core.winograd.graph import rewrite_matches
from wino_core.winograd.layout import Layout, in_order, made_in_order, make_ranges
from wino_core.winograd.match import Conv
from wino_core.winograd.opts import _transform_opts, _weight_opts, stage_opts
from wino_core.winograd.transforms import At, Bt, G, entry, kron
if TYPE_CHECKING: from wino_core.winograd.rewrite import RuleContext

@dataclass
class Tiling:
  conv: Conv
  layout: Layout   # the orders in effect (the layout's unpanelled ones where cout does not split into panels)
  panel: int       # couts per panel (co/, co%), 0: none
  acc: DType       # the dtype the transforms and the product's sums run in
  store: DType     # the dtype XHAT, GHAT and MHAT are stored in
  oh: int
  ow: int
  @property
  def tiles(self) -> tuple[int, int]: return -(-self.oh//4), -(-self.ow//4)
  def cout_sizes(self) -> dict:
    """the weight's outer ranges' sizes (co), as co/ and co% where cout is in panels"""
    if not self.panel: return {"co": [(r, int(r.vmax)+1) for r in self.conv.wt_outer]}
    co = self.conv.couts[0]
    return {"co/": [("co/" if r is co else r, (int(r.vmax)+1)//self.panel if r is co else int(r.vmax)+1) for r in self.conv.wt_outer],
            "co%": [("co%", self.panel)]}
  def cout_index(self, values:dict[UOp, UOp]) -> dict:
    """the weight's outer ranges (co) indexed by `values`, as co/ and co% where cout is in panels"""
    if not self.panel: return {"co": [(r, values[r]) for r in self.conv.wt_outer]}
    co = self.conv.couts[0]
    return {"co/": [("co/" if r is co else r, values[r]//self.panel if r is co else values[r]) for r in self.conv.wt_outer],
            "co%": [("co%", values[co] % self.panel)]}
  def cout_ranges(self, made:dict) -> dict[UOp, UOp]:
    """the weight's outer ranges as the ranges make_ranges made for cout_sizes (co = co/ * panel + co%)"""
    return {r: made["co/"]*self.panel + made["co%"] if self.panel and r is self.conv.couts[0] else made[r] for r in self.conv.wt_outer}

def _mask_index(ctx:tuple[UOp, set[UOp]], idx:UOp) -> UOp|None:
  valid, rngs = ctx
  if not any(r in rngs for s in idx.src[1:] for r in s.ranges): return None
  return idx.replace(src=(idx.src[0],)+tuple(s.get_idx().valid(s.get_valid() & valid) if any(r in rngs for r in s.ranges) else s
                                             for s in idx.src[1:]))
# ctx (valid, rngs): add `valid` to the index of every load whose index uses one of rngs
pm_mask_loads = PatternMatcher([(UPat(Ops.INDEX, name="idx"), _mask_index)])

def input_transform(ctx:RuleContext, t:Tiling) -> UOp:
  """1. XHAT = (Bt d B)[i, j] over the 6x6 input tiles d[p, q] = x[b, cin, 4ty+p, 4tx+q]. When oh is not a multiple of 4
  the last tiles overhang the window (oh+2 rows): mask them, in the value and in the loads. One XHAT per group, not per
  cout, where tinygrad merged them (per_group)."""
  conv, (tiles_y, tiles_x) = t.conv, t.tiles
  (_, _, adds_y), (_, _, adds_x) = conv.windows
  sizes = {"i": [("i", 6)], "j": [("j", 6)], "ty": [("ty", tiles_y)], "tx": [("tx", tiles_x)], "p": [("p", 6)], "q": [("q", 6)],
           "b": [(r, (int(r.vmax)+1)//conv.per_group.get(r, 1)) for r in conv.act_outer], "cin": [(r, int(r.vmax)+1) for r in conv.chans]}
  rng = make_ranges(ctx.new_range, t.layout.xhat.loops, sizes)
  i, j, ty, tx, p, q = (rng[k] for k in ("i", "j", "ty", "tx", "p", "q"))
  row, col = ty*4+p, tx*4+q
  d = conv.act.substitute({**{a: row for a in adds_y}, **{a: col for a in adds_x}, **{c: rng[c] for c in conv.chans},
                           **{a: rng[a]*conv.per_group[a] if a in conv.per_group else rng[a] for a in conv.act_outer}})
  if overhang := [in_window for in_window, n, size in ((row < t.oh+2, tiles_y, t.oh), (col < t.ow+2, tiles_x, t.ow)) if 4*n != size]:
    valid = functools.reduce(operator.and_, overhang)
    d = valid.where(rewrite_matches(d, pm_mask_loads, (valid, {ty, tx, p, q})), d.const_like(0))
  xval = kron(d.cast(t.acc), Bt, (i, j), (p, q)).cast(t.store)
  xrngs = made_in_order(t.layout.xhat.axes, sizes, rng)
  vector = {rng[c]: t.layout.cin_vector for c in conv.chans} if t.layout.cin_vector else None
  return ctx.materialize(xval, *xrngs, opts=stage_opts(_transform_opts, xval, xrngs, (i, j), vector) if ctx.pin() else None)

def weight_transform(ctx:RuleContext, t:Tiling) -> UOp:
  """2. GHAT = (G g Gt)[i, j] for every 3x3 filter g[p, q] = w[co, cin, p, q]: cout contiguous (in panels on CPUs), so
  the product's multiply is a vector of couts times one XHAT value (no horizontal sums)."""
  conv, (_, ky, _), (_, kx, _) = t.conv, *t.conv.windows
  sizes = {"i": [("i", 6)], "j": [("j", 6)], "p": [("p", 3)], "q": [("q", 3)], "cin": [(r, int(r.vmax)+1) for r in conv.chans],
           **t.cout_sizes()}
  rng = make_ranges(ctx.new_range, t.layout.ghat.loops, sizes)
  i, j, p, q = (rng[k] for k in ("i", "j", "p", "q"))
  g = conv.wt.substitute({ky: p, kx: q, **t.cout_ranges(rng), **{c: rng[c] for c in conv.chans}})
  gval = kron(g.cast(t.acc), G, (i, j), (p, q)).cast(t.store)
  grngs = made_in_order(t.layout.ghat.axes, sizes, rng)
  return ctx.materialize(gval, *grngs, opts=stage_opts(_weight_opts, gval, grngs, (i, j)) if ctx.pin() else None)

def product(ctx:RuleContext, t:Tiling, xhat:UOp, ghat:UOp) -> UOp:
  """3. MHAT = sum_cin XHAT * GHAT: for each tile position (i, j) a matmul (b*tiles, cin) x (cin, co), multiplied in the
  stored dtype and summed in the accumulate dtype (as tinygrad's own float16 matmuls)."""
  conv, (tiles_y, tiles_x) = t.conv, t.tiles
  sizes = {"i": [("i", 6)], "j": [("j", 6)], "ty": [("ty", tiles_y)], "tx": [("tx", tiles_x)], "cin": [(r, int(r.vmax)+1) for r in conv.chans],
           "b": [(r, int(r.vmax)+1) for r in conv.act_outer], **t.cout_sizes()}
  rng = make_ranges(ctx.new_range, t.layout.mhat.loops, sizes, reduce="cin")
  i, j, ty, tx = (rng[k] for k in ("i", "j", "ty", "tx"))
  outer = {r: rng[r] for r in conv.act_outer} | t.cout_ranges(rng)
  cin = [(c, rng[c]) for c in conv.chans]
  tile = {"i": [("i", i)], "j": [("j", j)], "ty": [("ty", ty)], "tx": [("tx", tx)], "cin": cin}
  groups = [(a, outer[a]//conv.per_group[a] if a in conv.per_group else outer[a]) for a in conv.act_outer]  # XHAT is per group
  hadamard = (xhat.index(*in_order(t.layout.xhat.axes, {**tile, "b": groups})) *
              ghat.index(*in_order(t.layout.ghat.axes, {**tile, **t.cout_index(outer)}))).cast(t.acc)
  if cin: ctx.ours.add(hadamard := hadamard.reduce(*(r for _, r in cin), arg=Ops.ADD))  # depthwise convs have no cin to reduce
  return ctx.materialize(hadamard.cast(t.store), *made_in_order(t.layout.mhat.axes, sizes, rng))

def output_transform(ctx:RuleContext, t:Tiling, mhat:UOp) -> UOp:
  """4. out[b, co, oy, ox] = (At M A)[oy%4, ox%4] with M the 6x6 MHAT tile (oy//4, ox//4), in the conv's own output
  ranges: it replaces the REDUCE, whatever consumes it (bias, relu, the store) is untouched. Only the first oh x ow
  outputs of the tiles are indexed, so the overhang of the last tiles is never read."""
  conv, (oy, _, _), (ox, _, _) = t.conv, *t.conv.windows
  i, j = ctx.new_range(6), ctx.new_range(6)
  m = mhat.index(*in_order(t.layout.mhat.axes, {"i": [("i", i)], "j": [("j", j)], "ty": [("ty", oy//4)], "tx": [("tx", ox//4)],
                                                "b": [(r, r) for r in conv.act_outer], **t.cout_index({r: r for r in conv.wt_outer})}))
  return kron(m.cast(t.acc), At, (oy % 4, ox % 4), (i, j))

def product_and_output(ctx:RuleContext, t:Tiling, xhat:UOp, ghat:UOp) -> UOp:
  """3 and 4 in one kernel, no MHAT (Layout.fuse_output): out[b, co, oy, ox] = sum_i At[oy%4, i] (sum_j At[ox%4, j] M[i, j])
  with M[i, j] = sum_cin XHAT * GHAT at the tile (oy//4, ox//4): REDUCEs over i, j and cin nested in the conv's own output
  ranges, which tinygrad keeps in one kernel. One axis at a time, as kron: on 16x128->128 56x56 the pinned kernel's
  epilogue is 1920 multiply-adds a thread, against 4608 for the 36-term sum over (i, j)."""
  conv, (oy, _, _), (ox, _, _) = t.conv, *t.conv.windows
  i, j = ctx.new_range(6, AxisType.REDUCE), ctx.new_range(6, AxisType.REDUCE)
  cin = [(c, ctx.new_range(int(c.vmax)+1, AxisType.REDUCE)) for c in conv.chans]
  tile = {"i": [("i", i)], "j": [("j", j)], "ty": [("ty", oy//4)], "tx": [("tx", ox//4)], "cin": cin}
  groups = [(a, a//conv.per_group[a] if a in conv.per_group else a) for a in conv.act_outer]  # XHAT is per group
  m = (xhat.index(*in_order(t.layout.xhat.axes, {**tile, "b": groups})) *
       ghat.index(*in_order(t.layout.ghat.axes, {**tile, **t.cout_index({r: r for r in conv.wt_outer})}))).cast(t.acc)
  if cin: ctx.ours.add(m := m.reduce(*(r for _, r in cin), arg=Ops.ADD))  # depthwise convs have no cin to reduce
  ctx.ours.add(row := (entry(At, ox % 4, j, t.acc) * m).reduce(j, arg=Ops.ADD))
  ctx.ours.add(out := (entry(At, oy % 4, i, t.acc) * row).reduce(i, arg=Ops.ADD))
  return out
