"""The rule: a REDUCE that matches a 3x3 conv, and that the device's cost model says pays, becomes the four stages of
F(4x4,3x3) (stages.py). `pm_winograd` is the rule; RuleContext, its state over one scheduled graph."""
from __future__ import annotations
from dataclasses import dataclass, field
from typing import Any, Iterator
from tinygrad.dtype import AddrSpace, dtypes
from tinygrad.helpers import prod
from tinygrad.uop.ops import AxisType, Ops, PatternMatcher, UOp, UPat
from tinygrad.codegen.opt import Opt
from tinygrad.schedule.indexing import BufferizeOpts
from wino_core.winograd.layout import Layout
from wino_core.winograd.match import match_conv
from wino_core.winograd.report import GraphReport, Rewrite
from wino_core.winograd.opts import fused_opts, tensor_core
from wino_core.winograd.stages import Tiling, input_transform, output_transform, product, product_and_output, weight_transform

@dataclass
class RuleContext:
  device: str|tuple[str, ...]|None
  report: GraphReport
  next_range: Iterator[int]
  layout: Layout
  force: bool = False                           # skip the cost model (inspection)
  has_local: bool = False                       # the device has local memory (GPUs): LOCAL opts apply
  renderer: Any = None                          # the device's renderer where it has local memory (its tensor cores)
  outputs: list = field(default_factory=list)   # (out, its output ranges, (oy, ox), opts or None) per rewrite, for opts.pin_outputs
  ours: set[UOp] = field(default_factory=set)   # REDUCEs this rule made (MHAT): never matched again
  def new_range(self, size:int, axis_type=AxisType.WEAK) -> UOp: return UOp.range(size, next(self.next_range), axis_type)
  def pin(self) -> bool: return self.layout.pin_transform_opts and self.has_local
  def materialize(self, value:UOp, *rngs:UOp, opts:tuple[Opt, ...]|None=None) -> UOp:
    # opts: the kernel's Opts, handed to it as tinygrad's own CONTIGUOUS(arg=opts) does (KernelInfo.opts_to_apply)
    if opts: value = UOp(Ops.CONTIGUOUS, value.dtype, (value,), arg=opts)
    # removable=False: otherwise pm_remove_bufferize inlines XHAT/GHAT back into the product (huge, slow kernels)
    return value.bufferize(*rngs, arg=BufferizeOpts(self.device, addrspace=AddrSpace.GLOBAL, removable=False))

def _size(rngs) -> int: return prod(int(r.vmax)+1 for r in rngs)

def _why_not(ctx:RuleContext, acc, flops:int, cin:int) -> str|None:
  """why the rule leaves this conv to tinygrad (its dtype, the device's cost model), or None"""
  if not dtypes.is_float(acc):  # G's entries 1/4, -1/6, ... truncate in an integer dtype: the result would be wrong
    return (f"NEW does not apply: a {acc.name} conv (Winograd's transforms have fractional entries, "
            f"1/4 and 1/6, that an integer dtype cannot hold)")
  if ctx.force: return None
  L = ctx.layout
  if flops < L.min_flops:
    return (f"NEW falls back to the direct conv: its {flops:,} FLOPs are under the {L.min_flops:,} where "
            f"Winograd's 4 kernels pay on this device (the {L.name} cost model); force NEW to see it anyway")
  if cin < L.min_cin:
    return (f"NEW falls back to the direct conv: {cin} input channel{'s' if cin > 1 else ''} per group, under the "
            f"{L.min_cin} from which Winograd's transforms pay on this device (the {L.name} cost "
            f"model); force NEW to see it anyway")
  return None

def _fusion(ctx:RuleContext, outer:list[UOp], t:Tiling) -> tuple[Opt, ...]|None|bool:
  """Whether the product and the output become one kernel (Layout.fuse_output), and that kernel's opts. False where the
  outputs are not a multiple of 4 high and wide (tinygrad splits oy, ox in 4 only then: otherwise each output would
  redo its tile's product), or where the device has a tensor core for the product that the fused kernel would not get
  (opts.fused_opts); else the opts, or None for tinygrad's heuristics (no local memory, or no tensor core for this
  product: float32 on CUDA)."""
  (oy, _, _), (ox, _, _) = t.conv.windows
  if t.oh % 4 or t.ow % 4: return False
  if not ctx.pin() or ctx.renderer is None or (tc:=tensor_core(ctx.renderer, t.store, t.acc)) is None: return None
  if len(t.conv.couts) != 1 or (opts:=fused_opts(outer, oy, ox, t.conv.couts[0], tc)) is None: return False
  return opts

def winograd_rewrite(ctx:RuleContext, red:UOp, mul:UOp) -> UOp|None:
  if red in ctx.ours or red.arg[0] is not Ops.ADD: return None
  if isinstance(conv:=match_conv(red, mul), tuple):
    ctx.report.reasons.append(conv)
    return None
  acc = red.dtype  # float16 convs multiply in half and reduce in float: transforms and products run in the accumulate dtype
  (oy, _, _), (ox, _, _) = conv.windows
  oh, ow = int(oy.vmax)+1, int(ox.vmax)+1
  outer = sorted(set(conv.act_outer) | set(conv.wt_outer), key=lambda r: r.arg)
  if (why:=_why_not(ctx, acc, 2 * _size(outer) * oh * ow * _size(conv.chans) * 9, _size(conv.chans))) is not None:
    ctx.report.reasons.append((3, why))
    return None
  L, co = ctx.layout, conv.couts
  panel = L.cout_panel if L.cout_panel and len(co) == 1 and (int(co[0].vmax)+1) % L.cout_panel == 0 else 0
  t = Tiling(conv, L if panel else L.unpanelled or L, panel, acc, mul.dtype if L.store_in_input_dtype else acc, oh, ow)
  # the stages make their ranges in this order: a kernel loops by range id
  xhat = input_transform(ctx, t)
  ghat = weight_transform(ctx, t)
  if L.fuse_output and (opts:=_fusion(ctx, outer, t)) is not False:
    out, stages = product_and_output(ctx, t, xhat, ghat), {"XHAT": xhat, "GHAT": ghat}
    if opts is not None: ctx.outputs.append((out, [*outer, oy, ox], (oy, ox), opts))
  else:
    mhat = product(ctx, t, xhat, ghat)
    out, stages = output_transform(ctx, t, mhat), {"XHAT": xhat, "GHAT": ghat, "MHAT": mhat}
    if ctx.pin(): ctx.outputs.append((out, [*outer, oy, ox], (oy, ox), None))  # its kernel is the consumer's: see opts.pin_outputs

  groups, cout = prod((int(r.vmax)+1)//conv.per_group.get(r, 1) for r in conv.act_outer if r in conv.wt_outer), _size(conv.wt_outer)
  batch = _size(r for r in conv.act_outer if r not in conv.wt_outer)
  ctx.report.rewrites.append(Rewrite(
    description=f"REDUCE(ADD, {acc.name}) of {'MUL' if mul is red.src[0] else f'CAST(MUL {mul.dtype.name})'}(x, w) "
                f"over cin {_size(conv.chans)} x ky 3 x kx 3 ({' '.join(f'r{r.arg[0]}' for r in red.src[1:])}) -> "
                f"batch {batch}, cout {cout}, {oh}x{ow}",
    tiles={"batch": batch, "groups": groups, "cin": _size(conv.chans)*groups, "cout": cout,
           "tiles_y": t.tiles[0], "tiles_x": t.tiles[1], "out_h": oh, "out_w": ow},
    before=red, after=out, stages=stages))
  return out

pm_winograd = PatternMatcher([
  # a conv after rangeify: REDUCE over (cin, ky, kx) of MUL(activation, weight); float16 reduces CAST(MUL in half) in float
  (UPat(Ops.REDUCE, src=(UPat(Ops.MUL, name="mul").or_casted(),), allow_any_len=True, name="red"), winograd_rewrite),
])
