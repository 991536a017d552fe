"""NEW: Winograd F(4x4,3x3) as a rewrite rule on tinygrad 0.14.0's rangeified graph (Lavin & Gray, arXiv:1509.09308).

After `run_rangeify` a stride-1, dilation-1 3x3 conv is one REDUCE(ADD) over (cin, ky, kx) of
x[b, cin, oy+ky, ox+kx] * w[co, cin, ky, kx]. Splitting each output axis as o = 4*t + u, it becomes four steps:
  1. XHAT[b, ty, tx, i, j, cin] = (Bt d B)[i, j]  for each 6x6 input tile d[p, q] = x[b, cin, 4ty+p, 4tx+q]  (materialized)
  2. GHAT[i, j, co, cin]        = (G g Gt)[i, j]  for each 3x3 filter g = w[co, cin]                       (materialized)
  3. MHAT[b, co, ty, tx, i, j]  = sum_cin XHAT * GHAT: a matmul per tile position (i, j)                   (materialized)
  4. out[b, co, oy, ox]         = (At M A)[oy%4, ox%4] with M = MHAT[b, co, oy//4, ox//4]                 (replaces the REDUCE)

This is the only module of wino_core that touches tinygrad internals. `new_winograd()` installs the rule.
"""
from __future__ import annotations
import contextlib, functools, itertools, math, operator, os
from dataclasses import dataclass, field
from typing import Iterator
from tinygrad.dtype import AddrSpace, dtypes
from tinygrad.helpers import Context, prod
from tinygrad.uop.ops import AxisType, KernelInfo, Ops, PatternMatcher, UOp, UPat, graph_rewrite
from tinygrad.codegen.opt import Opt, OptOps
import tinygrad.schedule.rangeify as rangeify
from tinygrad.schedule.indexing import BufferizeOpts

__all__ = ["G", "Bt", "At", "kron", "pm_winograd", "new_winograd", "WinogradReport", "GraphReport", "Rewrite"]

# *** the constant matrices of F(4x4,3x3): out tile 4, filter 3, input tile 6 = 4+3-1 ***

G  = ((1/4, 0, 0), (-1/6, -1/6, -1/6), (-1/6, 1/6, -1/6), (1/24, 1/12, 1/6), (1/24, -1/12, 1/6), (0, 0, 1))  # 6x3
Bt = ((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0), (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0),
      (0, 4, 0, -5, 0, 1))                                                                                      # 6x6
At = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))                      # 4x6

def _entry(row:UOp, column:tuple, dtype) -> UOp:
  """column[row] as a UOp: a chain of WHEREs on the row index that skips the zero entries (it folds once row is upcast)."""
  if row.op is Ops.CONST: return UOp.const(column[row.arg], dtype)
  ret = UOp.const(0, dtype)
  for r, v in enumerate(column):
    if v != 0: ret = row.eq(r).where(UOp.const(v, dtype), ret)
  return ret

def kron(src:UOp, M:tuple[tuple, ...], outs:tuple[UOp, ...], ins:tuple[UOp, ...]) -> UOp:
  """(M x M x ...) src: apply M along every (out, in) axis pair, the Kronecker product of M with itself.
  src is written in the fresh ranges `ins`; the sum over each of them is unrolled here with the entries of M as
  constants (zero entries skipped). One axis at a time, (M x M) vec(d) = vec(M d Mt): the partial sums M d are shared by
  every output column, so a 6x6 tile of Bt costs 2*6*nnz(Bt) = 264 multiply-adds instead of nnz(Bt)^2 = 484."""
  for o, r in zip(outs, ins):
    terms = [_entry(o, col, src.dtype) * src.substitute({r: UOp.const(k, r.dtype)})
             for k in range(len(M[0])) if any(col:=tuple(row[k] for row in M))]
    src = functools.reduce(operator.add, terms)
  return src

# *** the report: what the rule did to each scheduled graph ***

@dataclass
class Rewrite:
  description: str           # the REDUCE that was rewritten: dtype, reduce ranges, what it reduces
  tiles: dict[str, int]      # batch, groups, cin, cout, tiles_y, tiles_x, out_h, out_w
  before: UOp                # the matched REDUCE (with its sources)
  after: UOp                 # what replaced it
  stages: dict[str, UOp] = field(default_factory=dict)  # XHAT, GHAT, MHAT: the STAGEs it materialized, by name
  def to_json(self) -> dict: return {"description": self.description, "tiles": dict(self.tiles)}

@dataclass
class GraphReport:
  rewrites: list[Rewrite] = field(default_factory=list)
  reasons: list[tuple[int, str]] = field(default_factory=list)  # (how conv-like the REDUCE was, why it did not fire)
  @property
  def fired(self) -> bool: return len(self.rewrites) > 0
  @property
  def reason(self) -> str|None:
    if self.fired: return None
    return max(self.reasons, key=lambda r: r[0])[1] if self.reasons else "NEW does not apply: no REDUCE of a product in the graph"
  def to_json(self) -> dict: return {"fired": self.fired, "reason": self.reason, "rewrites": [r.to_json() for r in self.rewrites]}

@dataclass
class WinogradReport:
  graphs: list[GraphReport] = field(default_factory=list)
  @property
  def fired(self) -> bool: return any(g.fired for g in self.graphs)
  @property
  def rewrites(self) -> list[Rewrite]: return [r for g in self.graphs for r in g.rewrites]
  @property
  def reason(self) -> str|None:
    """One sentence saying why NEW did not fire (None if it fired): the most conv-like REDUCE's reason."""
    if self.fired: return None
    reasons = [r for g in self.graphs for r in g.reasons]
    return max(reasons, key=lambda r: r[0])[1] if reasons else "NEW does not apply: no REDUCE of a product was scheduled"
  def to_json(self) -> dict:
    return {"fired": self.fired, "reason": self.reason, "rewrites": [r.to_json() for r in self.rewrites],
            "graphs": [g.to_json() for g in self.graphs]}

# *** matching: is this REDUCE a 2-D 3x3 stride-1 dilation-1 conv? ***

@dataclass
class _Conv:
  act: UOp                   # the activation operand, x[b, cin, oy+ky, ox+kx]
  wt: UOp                    # the weight operand, w[co, cin, ky, kx]
  windows: list[tuple[UOp, UOp, list[UOp]]]  # per spatial axis (y, x): output range o, kernel range k, the ADD(o, k) nodes
  chans: list[UOp]           # the other reduce ranges (cin); empty for depthwise
  act_outer: list[UOp]       # output ranges the activation uses (b, groups)
  wt_outer: list[UOp]        # output ranges the weight uses (co, groups)
  per_group: dict[UOp, int]  # a range tinygrad made of (group, cout) (a grouped conv with bias): the activation sees r//R

def _scaled_range(u:UOp) -> tuple[UOp, int]|None:
  """RANGE -> (range, 1), RANGE*c -> (range, c)"""
  if u.op is Ops.RANGE: return u, 1
  if u.op is Ops.MUL:
    for r, c in (u.src, u.src[::-1]):
      if r.op is Ops.RANGE and c.op is Ops.CONST and isinstance(c.arg, int): return r, c.arg
  return None

def _slides(o:UOp, s:int, k:UOp, d:int) -> bool:
  """does o*s + k*d slide, i.e. do two (o, k) reach the same position? A flattened index (o + k*81 with o < 81,
  group*cin_g + cin) does not: it is a reshape, not a window."""
  g = math.gcd(s, d)
  return d//g <= o.vmax and s//g <= k.vmax

def _inline_views(x:UOp) -> UOp:
  """Read through removable STAGEs of x back to the expressions they store, as pm_remove_bufferize would later. When two
  convs share an input, rangeify stages the shared view with the window inside it (x[b, cin, oy+ky, ox+kx] indexed by
  (b, co, oy, ox, cin, ky, kx)): the window only shows in the expression it stores."""
  subs = {}
  for u in x.toposort(gate=lambda u: u.op is not Ops.STAGE):
    if u.op is not Ops.INDEX or (b:=u.src[0]).op is not Ops.STAGE or not b.arg.removable or len(b.src) != len(u.src): continue
    if any(i.op is Ops.WHERE for i in u.src[1:]) or any(v.op is Ops.REDUCE for v in b.src[0].toposort(lambda v: v.op is not Ops.STAGE)):
      continue  # keep gated (padded) reads and stored reduces: their cost or their masks are not ours to move
    subs[u] = b.src[0].substitute({r: i for r, i in zip(b.src[1:], u.src[1:]) if r.op is Ops.RANGE})
  return x.substitute(subs)

def _match_conv(red:UOp, mul:UOp) -> _Conv|tuple[int, str]:
  if (ret:=_match_conv_operands(red, *mul.src)) is not None: return ret
  # no window in sight: it may be inside a staged view of the input
  if (inlined:=tuple(_inline_views(s) for s in mul.src)) != mul.src and (ret:=_match_conv_operands(red, *inlined)) is not None: return ret
  return 1, "NEW does not apply: the reduce has no sliding window (a matmul or a 1x1 convolution)"

def _match_conv_operands(red:UOp, a:UOp, b:UOp) -> _Conv|tuple[int, str]|None:
  reduce_rngs = set(red.src[1:])
  def find_windows(x:UOp, other:UOp) -> dict[tuple[UOp, UOp], dict[tuple[int, int], list[UOp]]]:
    # a window is ADD(o*stride, k*dilation): k reduced and used by both operands, o an output range only x uses.
    # one (o, k) can show up in several forms (a padded stride-2 conv checks its bounds with o+k but loads at 2*o+k)
    found: dict[tuple[UOp, UOp], dict[tuple[int, int], list[UOp]]] = {}
    for u in x.toposort(gate=lambda u: u.op is not Ops.STAGE):
      if u.op is not Ops.ADD or (l:=_scaled_range(u.src[0])) is None or (r:=_scaled_range(u.src[1])) is None: continue
      (o, s), (k, d) = (l, r) if r[0] in reduce_rngs else (r, l)
      if k in reduce_rngs and o not in reduce_rngs and k in other.ranges and o not in other.ranges and _slides(o, s, k, d):
        found.setdefault((o, k), {}).setdefault((s, d), []).append(u)
    return found
  windows, act, wt = find_windows(a, b), a, b
  if not windows: windows, act, wt = find_windows(b, a), b, a
  if not windows: return None
  # order the spatial axes as the reduce orders its kernel ranges (ky before kx)
  pairs = sorted(windows, key=lambda ok: red.src.index(ok[1]))
  sizes = [int(k.vmax)+1 for _, k in pairs]
  if len(pairs) == 1:
    return 2, "NEW does not apply: 1-D convolution (the window slides along one axis, or the output is 1 pixel high or wide)"
  if len(pairs) != 2: return 2, f"NEW does not apply: {len(pairs)}-D convolution (the rule needs a 2-D 3x3 window)"
  if any(s != 3 for s in sizes): return 2, f"NEW does not apply: kernel {'x'.join(map(str, sizes))} (the rule needs 3x3)"
  strides, dilations = [max(s for s, _ in windows[p]) for p in pairs], [max(d for _, d in windows[p]) for p in pairs]
  def show(v:list[int]) -> str: return str(v[0]) if v[0] == v[1] else "x".join(map(str, v))
  if strides != [1, 1]: return 2, f"NEW does not apply: stride {show(strides)} (the rule needs stride 1)"
  if dilations != [1, 1]: return 2, f"NEW does not apply: dilation {show(dilations)} (the rule needs dilation 1)"
  if len({k for _, k in pairs}) != 2 or len({o for o, _ in pairs}) != 2:
    return 2, "NEW does not apply: the two windows share a range"
  if any(r.src[0].op is not Ops.CONST for r in act.ranges | wt.ranges):
    return 2, "NEW does not apply: symbolic shape (the tiles need a fixed size)"
  window_rngs = {r for p in pairs for r in p}
  # o and k may only reach the activation through the ADD(o, k) nodes we are going to replace
  cut = act.substitute({add: UOp.const(0) for p in pairs for add in windows[p][(1, 1)]})
  if any(r in window_rngs for r in cut.ranges):
    return 2, "NEW does not apply: the activation uses oy, ox, ky or kx outside oy+ky and ox+kx"
  chans = [r for r in red.src[1:] if r not in window_rngs]
  act_outer = sorted((r for r in act.ranges if r not in reduce_rngs and r not in window_rngs), key=lambda r: r.arg)
  wt_outer = sorted((r for r in wt.ranges if r not in reduce_rngs), key=lambda r: r.arg)
  per_group = {r: R for r in act_outer if r in wt_outer and (R:=_couts_per_group(act, r)) > 1}
  return _Conv(act, wt, [(o, k, windows[(o, k)][(1, 1)]) for o, k in pairs], chans, act_outer, wt_outer, per_group)

def _couts_per_group(act:UOp, r:UOp) -> int:
  """The largest R with the activation depending on r only through r//R: the couts per group when tinygrad gave a
  grouped conv's (group, cout) one range (it does when a bias follows), else 1."""
  n = int(r.vmax)+1
  for R in (d for d in range(n-1, 1, -1) if n % d == 0):
    hi, lo = UOp.range(n//R, 1 << 30, AxisType.WEAK), UOp.range(R, (1 << 30) + 1, AxisType.WEAK)
    if lo not in act.substitute({r: hi*R + lo}).simplify().ranges: return R
  return 1

# *** the rewrite ***

@dataclass(frozen=True)
class Layout:
  """Where the tile position (i, j) and cin go in XHAT/GHAT/MHAT, and what XHAT/GHAT are stored in. Measured:
  - "cpu": XHAT[b, ty, tx, i, j, cin], GHAT[i, j, co//4, cin, co%4], MHAT[b, co//4, ty, tx, i, j, co%4], float32
    storage (half math is emulated on CPUs). XHAT and MHAT keep each tile's 36 values together: with (i, j) outermost
    XHAT's kernel writes 36 streams a power of two apart that fight over the same cache sets (10x slower), and the
    output transform reads them back that way (68 vs 5.6 ms on 8x512->512 14x14). The product multiplies one XHAT value
    by a panel of 4 couts, contiguous in GHAT and MHAT: a vector multiply-add, where cin innermost in both operands
    (the round-1 layout) made it a dot product of horizontal sums that clang vectorizes on some CPUs and not on others:
    on a 2-core AMD EPYC (AVX2, clang 14) that layout ran 1.7-3.0x OLD's time; the panels, 0.66-0.91x (float32,
    1,64,64,64 / 16,128,128,56 / 8,512,512,14). With whole rows of cout in GHAT (no panels) the product read a column
    of 4 couts, 16 bytes of each 64-byte line: 1.7-2.0x OLD's product time. Without panels (cout not a multiple of 4,
    grouped convs) the cpu layout keeps GHAT[i, j, cin, co] and MHAT[b, ty, tx, i, j, co].
  - "gpu": (i, j) outermost, then cin, then the tiles / cout contiguous: XHAT[i, j, cin, b, ty, tx], GHAT[i, j, cin, co],
    MHAT[i, j, co, b, ty, tx], stored in the conv's dtype. Each (i, j) is a plain (cin, b*tiles) x (cin, cout) matmul whose
    loads coalesce across threads (the cpu layout strides them by 36*cin; OLD's XHAT[i, j, b, cin, ty, tx] is no
    plain matrix): on an H100 0.55-0.8x OLD's time where the cpu layout took 1.2-1.3x. A float16 product is MUL in half
    reduced in float, the form tinygrad maps to tensor cores (4x faster than a float32 product there).
    MHAT is MHAT[i, j, co, b, ty, tx]: b and the tiles are contiguous in both XHAT and MHAT, so tinygrad merges them
    into one axis M = b*tiles and each (i, j) is a plain (M, cin) x (cin, co) matmul. Measured on an H200 (fp16, default
    heuristics): with MHAT[i, j, b, co, ty, tx] the tensor core took b (16) as its M axis, the tiles stayed a plain global
    axis and its loads were 2-byte gathers 2*tiles bytes apart: 2.53 ms for VGG-16's conv1_2 product (16x64->64 224x224)
    where OLD's took 0.29; merged, 0.33 ms (0.46 -> 0.086 ms on 16x128->128 56x56, 0.54 -> 0.16 on 32x256->256 28x28;
    float32 0.25 -> 0.16 and 0.78 -> 0.29).
  - pin_transform_opts (gpu, on devices with local memory): the input transform, the weight transform and the output
    get their opts from the rule (_transform_opts, _weight_opts) instead of tinygrad's heuristics, which put b or co
    on the threads of a block (strided 2-byte loads and stores): measured on an H200, input transform 0.176 -> 0.024 ms
    and output 0.072 -> 0.021 ms on 16x128->128 56x56 fp16, 0.86 -> 0.10 and 0.22 -> 0.10 ms on VGG-16's conv1_2.
    Opts tinygrad's codegen would not take (it merges ranges we did not foresee) are dropped before the compile."""
  name: str
  ij_outer: bool
  store_in_input_dtype: bool
  # the cost model: under this many FLOPs (of the direct conv) Winograd's 4 kernels cost more than the multiplies they
  # save, and the rule leaves the conv to tinygrad. Measured: on an H100 a 4.7 MFLOP conv ran 2.1x slower as NEW and a
  # 302 MFLOP one 0.8x; on a 2-core CPU an 18 KFLOP one 1.3x slower and a 295 KFLOP one 0.6x.
  min_flops: int
  # and under this many input channels per group the transforms' extra bytes (XHAT and MHAT are 2.25x the input and
  # output) outweigh the shorter product: measured on an H200 (bench/README.md "Never the slower choice"), NEW was 2.1x
  # min(baseline, OLD) with 3 input channels, 2.4-3.5x on a grouped conv with 8 per group, 1.07x with 24, even from 48 on
  min_cin: int = 0
  pin_transform_opts: bool = False
  cout_panel: int = 0

LAYOUTS = {"cpu": Layout("cpu", ij_outer=False, store_in_input_dtype=False, min_flops=2**17, cout_panel=4),
           "gpu": Layout("gpu", ij_outer=True, store_in_input_dtype=True, min_flops=2**26, min_cin=32, pin_transform_opts=True)}

def layout_for(device:str|tuple[str, ...]|None, name:str|None=None) -> Layout:
  """"auto" (the default, or $WINO_DASH_NEW_LAYOUT): "gpu" on devices with local memory (GPUs), "cpu" elsewhere."""
  if (name:=name or os.environ.get("WINO_DASH_NEW_LAYOUT", "auto")) != "auto": return LAYOUTS[name]
  from tinygrad import Device
  dev = device[0] if isinstance(device, tuple) else device
  return LAYOUTS["gpu" if dev is not None and Device[dev].renderer.has_local else "cpu"]

def _has_local(device:str|tuple[str, ...]|None) -> bool:
  from tinygrad import Device
  dev = device[0] if isinstance(device, tuple) else device
  return dev is not None and bool(Device[dev].renderer.has_local)

@dataclass
class _RuleContext:
  device: str|tuple[str, ...]|None
  report: GraphReport
  next_range: Iterator[int]
  layout: Layout
  force: bool = False                           # skip the cost model (inspection)
  has_local: bool = False                       # the device has local memory (GPUs): LOCAL opts apply
  outputs: list = field(default_factory=list)   # (out, its output ranges, (oy, ox)) per rewrite, for _pin_outputs
  ours: set[UOp] = field(default_factory=set)   # REDUCEs this rule made (MHAT): never matched again
  def new_range(self, size:int, axis_type=AxisType.WEAK) -> UOp: return UOp.range(size, next(self.next_range), axis_type)
  def fresh(self, rngs:list[UOp], axis_type=AxisType.WEAK) -> list[UOp]: return [self.new_range(int(r.vmax)+1, axis_type) for r in rngs]
  def pin(self) -> bool: return self.layout.pin_transform_opts and self.has_local
  def materialize(self, value:UOp, *rngs:UOp, opts:tuple[Opt, ...]|None=None) -> UOp:
    # opts: the kernel's Opts, handed to it as tinygrad's own CONTIGUOUS(arg=opts) does (KernelInfo.opts_to_apply)
    if opts: value = UOp(Ops.CONTIGUOUS, value.dtype, (value,), arg=opts)
    # removable=False: otherwise pm_remove_bufferize inlines XHAT/GHAT back into the product (huge, slow kernels)
    return value.bufferize(*rngs, arg=BufferizeOpts(self.device, addrspace=AddrSpace.GLOBAL, removable=False))

_DIVMOD = {Ops.CDIV, Ops.CMOD, Ops.FLOORDIV, Ops.FLOORMOD}

def _plain(value:UOp, rngs:list[UOp], mods:set[UOp]=frozenset()) -> bool:
  """does the kernel computing `value` in the loops `rngs` loop over exactly those (no other range) with no divide or
  modulo of them (tinygrad would split or merge such ranges, and our axis numbers would be off), except `mods`?"""
  if any(r.src[0].op is not Ops.CONST for r in rngs): return False
  known = set(rngs)
  for u in value.toposort(gate=lambda u: u.op is not Ops.STAGE):
    if u.op is Ops.RANGE and u not in known: return False
    if u.op in _DIVMOD and u not in mods and any(r in known for r in u.src[0].ranges): return False
  return True

def _transform_opts(axes:list[tuple[int, bool]], cap:int=256) -> tuple[Opt, ...]|None:
  """Opts for a transform kernel (input transform, output) whose axes are `axes`, (size, upcast) in the order
  tinygrad's postrange numbers them (ranges by id, size-1 ranges dropped): UPCAST the upcast ones whole (the 6x6 or
  4x4 of a tile), then LOCAL from the innermost axis outwards (tx whole, then ty, then b, ...) up to `cap` threads, so
  the threads of a block walk the tiles and the loads and stores of a warp are contiguous. None (tinygrad's heuristics)
  when fewer than 32 threads would be local."""
  axes = [a for a in axes if a[0] > 1]
  opts = [Opt(OptOps.UPCAST, k, 0) for k in range(len(axes)-1, -1, -1) if axes[k][1]]
  rest, local = [n for n, up in axes if not up], 1
  for ax in range(len(rest)-1, -1, -1):
    d = max(d for d in range(1, rest[ax]+1) if rest[ax] % d == 0 and local*d <= cap)
    if d > 1: opts.append(Opt(OptOps.LOCAL, ax, d)); local *= d
    if d != rest[ax]: break
  return tuple(opts) if local >= 32 else None

def _weight_opts(axes:list[tuple[int, bool]]) -> tuple[Opt, ...]|None:
  """Opts for the weight transform (axes as for _transform_opts: the 6x6 upcast, then cin, co): a block of 16 cout x 16
  cin. Measured on an H200 (fp16): 0.042 -> 0.022 ms on 512->512, 0.020 -> 0.011 on 256->256, where the heuristics'
  8 cin x 16 cout took twice as long."""
  axes = [a for a in axes if a[0] > 1]
  opts = [Opt(OptOps.UPCAST, k, 0) for k in range(len(axes)-1, -1, -1) if axes[k][1]]
  rest, local = [n for n, up in axes if not up], 1
  for ax in range(len(rest)-1, max(len(rest)-3, -1), -1):
    if (d:=max(d for d in range(1, 17) if rest[ax] % d == 0)) > 1: opts.append(Opt(OptOps.LOCAL, ax, d)); local *= d
  return tuple(opts) if local >= 32 else None

def _pin_outputs(tsink:UOp, outputs:list[tuple[UOp, list[UOp], tuple[UOp, UOp]]]) -> UOp:
  """Give each conv's output kernel (the STORE or STAGE that consumes the rewritten REDUCE, in the conv's own output
  ranges) its transform opts, as a CONTIGUOUS(arg=opts) around the value it stores. Kernels that loop over anything
  else (a consumer that fuses more) keep tinygrad's heuristics."""
  subs = {}
  for u in tsink.toposort():
    if u.op is Ops.END and u.src[0].op is Ops.STORE: node, value, rngs = u.src[0], u.src[0].src[1], list(u.src[1:])
    elif u.op is Ops.STAGE: node, value, rngs = u, u.src[0], list(u.src[1:])
    else: continue
    for out, out_rngs, (oy, ox) in outputs:
      if set(rngs) != set(out_rngs) or value.op is Ops.CONTIGUOUS: continue
      topo = value.toposort(gate=lambda v: v.op is not Ops.STAGE)
      if out not in topo: continue
      mods = {v for v in topo if v.op in _DIVMOD and v.src[0] in (oy, ox) and v.src[1].op is Ops.CONST and v.src[1].arg == 4}
      if not _plain(value, rngs, mods): continue
      # tinygrad splits oy (ox) into (oy//4, oy%4) when 4 divides it: then the 4 is upcast, as its heuristics do
      axes = [a for r in sorted(rngs, key=lambda r: r.arg) for a in
              ([((int(r.vmax)+1)//4, False), (4, True)] if r in (oy, ox) and (int(r.vmax)+1) % 4 == 0 else [(int(r.vmax)+1, False)])]
      if (opts:=_transform_opts(axes)) is None: continue
      pinned = UOp(Ops.CONTIGUOUS, value.dtype, (value,), arg=opts)
      subs[node] = node.replace(src=(node.src[0], pinned) if node.op is Ops.STORE else (pinned, *node.src[1:]))
  return tsink.substitute(subs) if subs else tsink

def _mask_loads(x:UOp, valid:UOp, rngs:set[UOp]) -> UOp:
  """add `valid` to the index of every load in x (not inside other kernels) whose index uses one of rngs"""
  subs = {}
  for u in x.toposort(gate=lambda u: u.op is not Ops.STAGE):
    if u.op is Ops.INDEX and any(r in rngs for s in u.src[1:] for r in s.ranges):
      subs[u] = u.replace(src=(u.src[0],)+tuple(s.get_idx().valid(s.get_valid() & valid) if any(r in rngs for r in s.ranges) else s
                                                for s in u.src[1:]))
  return x.substitute(subs)

def winograd_rewrite(ctx:_RuleContext, red:UOp, mul:UOp) -> UOp|None:
  if red in ctx.ours or red.arg[0] is not Ops.ADD: return None
  if isinstance(conv:=_match_conv(red, mul), tuple):
    ctx.report.reasons.append(conv)
    return None
  acc = red.dtype  # float16 convs multiply in half and reduce in float: transforms and products run in the accumulate dtype
  if not dtypes.is_float(acc):  # G's entries 1/4, -1/6, ... truncate in an integer dtype: the result would be wrong
    ctx.report.reasons.append((3, f"NEW does not apply: a {acc.name} conv (Winograd's transforms have fractional entries, "
                                  f"1/4 and 1/6, that an integer dtype cannot hold)"))
    return None
  (oy, ky, adds_y), (ox, kx, adds_x) = conv.windows
  oh, ow = int(oy.vmax)+1, int(ox.vmax)+1
  tiles_y, tiles_x = -(-oh//4), -(-ow//4)
  size = lambda rngs: prod(int(r.vmax)+1 for r in rngs)
  if (flops:=2 * size(set(conv.act_outer) | set(conv.wt_outer)) * oh * ow * size(conv.chans) * 9) < ctx.layout.min_flops and not ctx.force:
    ctx.report.reasons.append((3, f"NEW falls back to the direct conv: its {flops:,} FLOPs are under the {ctx.layout.min_flops:,} where "
                                  f"Winograd's 4 kernels pay on this device (the {ctx.layout.name} cost model); force NEW to see it anyway"))
    return None
  if (cin:=size(conv.chans)) < ctx.layout.min_cin and not ctx.force:
    ctx.report.reasons.append((3, f"NEW falls back to the direct conv: {cin} input channel{'s' if cin > 1 else ''} per group, under the "
                                  f"{ctx.layout.min_cin} from which Winograd's transforms pay on this device (the {ctx.layout.name} cost "
                                  f"model); force NEW to see it anyway"))
    return None
  # New ranges are made in the order the kernels should loop (the kernels order their loops by range id); where (i, j)
  # and cin go in each buffer is the device's Layout. XHAT/GHAT are computed in the accumulate dtype and stored in `store`.
  L, store = ctx.layout, mul.dtype if ctx.layout.store_in_input_dtype else acc
  new = lambda *sizes: [ctx.new_range(n) for n in sizes]

  # 1. XHAT[b, ty, tx, i, j, cin] = (Bt d B)[i, j] over the 6x6 input tiles d[p, q] = x[b, cin, 4ty+p, 4tx+q]. When oh is
  #    not a multiple of 4 the last tiles overhang the window (oh+2 rows): mask them, in the value and in the loads
  # one XHAT per group, not per cout, where tinygrad merged them (per_group)
  groups_of = lambda rngs: [r//conv.per_group[a] if a in conv.per_group else r for a, r in zip(conv.act_outer, rngs)]
  act_sizes = [(int(r.vmax)+1)//conv.per_group.get(r, 1) for r in conv.act_outer]
  if L.ij_outer: (i, j), x_chans, x_outer, (ty, tx, p, q) = new(6, 6), ctx.fresh(conv.chans), new(*act_sizes), new(tiles_y, tiles_x, 6, 6)
  else: (i, j, ty, tx, p, q), x_outer, x_chans = new(6, 6, tiles_y, tiles_x, 6, 6), new(*act_sizes), ctx.fresh(conv.chans)
  row, col = ty*4+p, tx*4+q
  d = conv.act.substitute({**{a: row for a in adds_y}, **{a: col for a in adds_x}, **dict(zip(conv.chans, x_chans)),
                           **{a: x*conv.per_group[a] if a in conv.per_group else x for a, x in zip(conv.act_outer, x_outer)}})
  if overhang := [in_window for in_window, n, size in ((row < oh+2, tiles_y, oh), (col < ow+2, tiles_x, ow)) if 4*n != size]:
    valid = functools.reduce(operator.and_, overhang)
    d = valid.where(_mask_loads(d, valid, {ty, tx, p, q}), d.const_like(0))
  xhat_axes = lambda b, ty, tx, i, j, cin: (i, j, *cin, *b, ty, tx) if L.ij_outer else (*b, ty, tx, i, j, *cin)
  xval = kron(d.cast(acc), Bt, (i, j), (p, q)).cast(store)
  xrngs = xhat_axes(x_outer, ty, tx, i, j, x_chans)
  xopts = _transform_opts([(int(r.vmax)+1, r in (i, j)) for r in sorted(xrngs, key=lambda r: r.arg)]) \
          if ctx.pin() and _plain(xval, list(xrngs)) else None
  xhat = ctx.materialize(xval, *xrngs, opts=xopts)

  # 2. GHAT[i, j, cin, co] = (G g Gt)[i, j] for every 3x3 filter g[p, q] = w[co, cin, p, q]: cout contiguous (in panels
  #    on CPUs), so the product's multiply is a vector of couts times one XHAT value (no horizontal sums)
  co = [r for r in conv.wt_outer if r not in conv.act_outer]
  panel = L.cout_panel if L.cout_panel and len(co) == 1 and (int(co[0].vmax)+1) % L.cout_panel == 0 else 0
  if panel:
    # GHAT[i, j, (groups,) co//panel, cin, co%panel]: the couts of one panel contiguous over cin (see Layout)
    hi = conv.wt_outer.index(co[0])
    (i, j), w_outer = new(6, 6), [ctx.new_range((int(r.vmax)+1)//panel if r is co[0] else int(r.vmax)+1) for r in conv.wt_outer]
    w_chans, (co_lo, p, q) = ctx.fresh(conv.chans), new(panel, 3, 3)
    w_vals = [r*panel+co_lo if k == hi else r for k, r in enumerate(w_outer)]
    ghat_axes = lambda i, j, co, cin: (i, j, *co[:hi], co[hi]//panel, *co[hi+1:], *cin, co[hi]%panel)
    grngs = (i, j, *w_outer, *w_chans, co_lo)
  else:
    (i, j), w_chans, w_outer, (p, q) = new(6, 6), ctx.fresh(conv.chans), ctx.fresh(conv.wt_outer), new(3, 3)
    w_vals, ghat_axes = w_outer, lambda i, j, co, cin: (i, j, *cin, *co)
    grngs = ghat_axes(i, j, w_outer, w_chans)
  g = conv.wt.substitute({ky: p, kx: q, **dict(zip(conv.wt_outer, w_vals)), **dict(zip(conv.chans, w_chans))})
  gval = kron(g.cast(acc), G, (i, j), (p, q)).cast(store)
  gopts = _weight_opts([(int(r.vmax)+1, r in (i, j)) for r in sorted(grngs, key=lambda r: r.arg)]) \
          if ctx.pin() and _plain(gval, list(grngs)) else None
  ghat = ctx.materialize(gval, *grngs, opts=gopts)

  # 3. MHAT[b, co, ty, tx, i, j] = sum_cin XHAT * GHAT (axes in the Layout's order): for each tile position (i, j) a
  #    matmul (b*tiles, cin) x (cin, co), multiplied in the stored dtype and summed in the accumulate dtype (as
  #    tinygrad's own float16 matmuls)
  outer = sorted(set(conv.act_outer) | set(conv.wt_outer), key=lambda r: r.arg)  # (b, groups, co) in the conv's order
  n_act = len(conv.act_outer)
  if L.ij_outer: mhat_axes = lambda bco, ty, tx, i, j: (i, j, *bco, ty, tx)
  elif panel: mhat_axes = lambda bco, ty, tx, i, j: (*bco[:n_act], bco[n_act]//panel, ty, tx, i, j, bco[n_act]%panel)
  else: mhat_axes = lambda bco, ty, tx, i, j: (*bco[:n_act], ty, tx, i, j, *bco[n_act:])
  if L.ij_outer:  # MHAT[i, j, co, b, ty, tx]: b and the tiles one axis M = b*tiles for tinygrad (see Layout)
    outer = [r for r in outer if r in conv.wt_outer] + [r for r in outer if r not in conv.wt_outer]  # (groups, co, b)
    i, j = new(6, 6)
    m_outer = dict(zip(outer, ctx.fresh(outer)))
    ty, tx = new(tiles_y, tiles_x)
  else:  # MHAT[b, (groups,) co//panel, ty, tx, i, j, co%panel]: a panel's 36 x panel block per tile (see Layout)
    outer = [r for r in outer if r in conv.act_outer] + [r for r in outer if r not in conv.act_outer]  # (b, groups, co)
    i, j = new(6, 6)
    m_act = ctx.fresh(outer[:n_act])
    if panel:  # MHAT's ranges are the panel's own (co//panel, co%panel are not ranges of their own)
      co_hi, ty, tx, co_lo = new((int(co[0].vmax)+1)//panel, tiles_y, tiles_x, panel)
      m_outer, mrngs = dict(zip(outer, m_act + [co_hi*panel + co_lo])), (*m_act, co_hi, ty, tx, i, j, co_lo)
    else:
      m_co = ctx.fresh(outer[n_act:])
      ty, tx = new(tiles_y, tiles_x)
      m_outer = dict(zip(outer, m_act + m_co))
  m_chans = ctx.fresh(conv.chans, AxisType.REDUCE)
  hadamard = (xhat.index(*xhat_axes(groups_of([m_outer[r] for r in conv.act_outer]), ty, tx, i, j, m_chans)) *
              ghat.index(*ghat_axes(i, j, [m_outer[r] for r in conv.wt_outer], m_chans))).cast(acc)
  if m_chans: ctx.ours.add(hadamard := hadamard.reduce(*m_chans, arg=Ops.ADD))  # depthwise convs have no cin to reduce
  if not panel: mrngs = mhat_axes(list(m_outer.values()), ty, tx, i, j)
  mhat = ctx.materialize(hadamard.cast(store), *mrngs)

  # 4. out[b, co, oy, ox] = (At M A)[oy%4, ox%4] with M the 6x6 MHAT tile (oy//4, ox//4), in the conv's own output ranges:
  #    it replaces the REDUCE, whatever consumes it (bias, relu, the store) is untouched. Only the first oh x ow outputs of
  #    the tiles are indexed, so the overhang of the last tiles is never read.
  i, j = new(6, 6)
  out = kron(mhat.index(*mhat_axes(outer, oy//4, ox//4, i, j)).cast(acc), At, (oy % 4, ox % 4), (i, j))
  if ctx.pin(): ctx.outputs.append((out, [*outer, oy, ox], (oy, ox)))  # its kernel is the consumer's: see _pin_outputs

  groups, cout = prod((int(r.vmax)+1)//conv.per_group.get(r, 1) for r in conv.act_outer if r in conv.wt_outer), size(conv.wt_outer)
  batch = size(r for r in conv.act_outer if r not in conv.wt_outer)
  ctx.report.rewrites.append(Rewrite(
    description=f"REDUCE(ADD, {acc.name}) of {'MUL' if mul is red.src[0] else f'CAST(MUL {mul.dtype.name})'}(x, w) "
                f"over cin {size(conv.chans)} x ky 3 x kx 3 ({' '.join(f'r{r.arg[0]}' for r in red.src[1:])}) -> "
                f"batch {batch}, cout {cout}, {oh}x{ow}",
    tiles={"batch": batch, "groups": groups, "cin": size(conv.chans)*groups, "cout": cout,
           "tiles_y": tiles_y, "tiles_x": tiles_x, "out_h": oh, "out_w": ow},
    before=red, after=out, stages={"XHAT": xhat, "GHAT": ghat, "MHAT": mhat}))
  return out

pm_winograd = PatternMatcher([
  # a conv after rangeify: REDUCE over (cin, ky, kx) of MUL(activation, weight); float16 reduces CAST(MUL in half) in float
  (UPat(Ops.REDUCE, src=(UPat(Ops.MUL, name="mul").or_casted(),), allow_any_len=True, name="red"), winograd_rewrite),
])

# *** install: wrap run_rangeify, which get_kernel_graph looks up as a global of tinygrad.schedule.rangeify ***

_installed: WinogradReport|None = None

@contextlib.contextmanager
def new_winograd(layout:str|None=None, force:bool=False) -> Iterator[WinogradReport]:
  """Run tinygrad with the NEW rule: every graph scheduled inside gets the rule after run_rangeify.

  `layout` picks where (i, j) and cin go in XHAT/GHAT/MHAT ("cpu", "gpu"; default "auto": by device, see Layout);
  `force` rewrites convs the cost model would leave to the direct conv (to inspect what NEW makes of them).
  Yields a WinogradReport that fills in as graphs are scheduled. The schedule cache is keyed on the tensor graph, not on
  this rule, so inside we run with SCACHE=0: a schedule made with the rule is never stored for a later run without it,
  a schedule stored without the rule is never reused here, and every graph goes through the rule (so it is reported).
  Kernel, program and disk caches are keyed on the kernel's content and stay on. run_rangeify is a process-wide global:
  while installed, every thread's schedules get the rule, and installing it twice at once is refused."""
  global _installed
  if _installed is not None: raise RuntimeError("new_winograd() is already active")
  original, report = rangeify.run_rangeify, WinogradReport()
  preset: list[UOp] = []  # a graph to hand back as is, for failing_pins's dry run of get_kernel_graph

  def run_rangeify_with_winograd(tsink:UOp, debug:bool=False) -> UOp:
    if preset: return preset.pop()
    tsink = original(tsink, debug)
    report.graphs.append(graph := GraphReport())
    topo = tsink.toposort()
    if not any(u.op is Ops.REDUCE for u in topo): return tsink
    start = max((u.arg[0] for u in topo if u.op is Ops.RANGE), default=-1) + 1  # new ranges get ids no range has
    ctx = _RuleContext(tsink.device, graph, itertools.count(start), layout_for(tsink.device, layout), force, _has_local(tsink.device))
    ret = graph_rewrite(tsink, pm_winograd, ctx=ctx, name="winograd")
    if not graph.fired: return tsink  # where the rule does not fire, the graph is exactly baseline's
    if ctx.outputs: ret = _pin_outputs(ret, ctx.outputs)
    if ctx.pin() and (failing:=failing_pins(ret, tsink.device[0] if isinstance(tsink.device, tuple) else tsink.device)):
      ret = ret.substitute({u: u.src[0] for u in ret.toposort() if u.op is Ops.CONTIGUOUS and u.arg in failing})
    return ret

  def failing_pins(ret:UOp, device:str) -> set[tuple[Opt, ...]]:
    """The opts the rule pinned that tinygrad's codegen would not take: tinygrad may merge ranges we could not foresee
    (e.g. co with oy//4 at batch 1) and an opt on a missing axis would fail the compile. A dry run of the rest of
    get_kernel_graph on `ret` gives the kernels; each pinned one is lowered up to apply_opts. Those kernels keep
    tinygrad's heuristics."""
    pins = {u.arg for u in ret.toposort() if u.op is Ops.CONTIGUOUS and isinstance(u.arg, tuple) and u.arg and isinstance(u.arg[0], Opt)}
    if not pins: return set()
    preset.append(ret)
    try: kernel_graph = rangeify.get_kernel_graph(UOp.sink())  # run_rangeify hands back `ret`
    finally: preset.clear()
    ren = _renderer(device)
    return {k.arg.opts_to_apply for k in kernel_graph.toposort(enter_calls=True) if k.op is Ops.SINK and isinstance(k.arg, KernelInfo)
            and k.arg.opts_to_apply in pins and not _opts_apply(k, ren)}

  rangeify.run_rangeify, _installed = run_rangeify_with_winograd, report
  try:
    with Context(SCACHE=0): yield report
  finally: rangeify.run_rangeify, _installed = original, None

def _renderer(device:str):
  from tinygrad import Device
  return Device[device].renderer

def _opts_apply(ast:UOp, ren) -> bool:
  """does tinygrad's codegen with renderer `ren` take the opts_to_apply of this kernel? (its passes up to apply_opts)"""
  import tinygrad.codegen as codegen
  class _Applied(Exception): pass
  apply_opts = codegen.apply_opts
  def apply_then_stop(sink, ren, beam=0):
    apply_opts(sink, ren, beam)
    raise _Applied
  codegen.apply_opts = apply_then_stop
  try: codegen.full_rewrite_to_sink(ast, ren, optimize=True)
  except _Applied: return True
  except Exception: return False
  finally: codegen.apply_opts = apply_opts
  return False
