"""Matching: is this REDUCE a 2-D 3x3 stride-1 dilation-1 conv? After run_rangeify a conv is one REDUCE(ADD) over
(cin, ky, kx) of x[b, cin, oy+ky, ox+kx] * w[co, cin, ky, kx]; `match_conv` finds its two sliding windows (oy+ky, ox+kx)
and describes it as a `Conv`, or says why it is not one (a rank: how conv-like it was, and a sentence)."""
from __future__ import annotations
import math
from dataclasses import dataclass
from tinygrad.uop.ops import AxisType, Ops, PatternMatcher, UOp, UPat
from wino_core.winograd.graph import not_staged, rewrite_matches

@dataclass
class Conv:
  act: UOp                   # the activation operand, x[b, cin, oy+ky, ox+kx]
  wt: UOp                    # the weight operand, w[co, cin, ky, kx]
  windows: list[tuple[UOp, UOp, list[UOp]]]  # per spatial axis (y, x): output range o, kernel range k, the ADD(o, k) nodes
  chans: list[UOp]           # the other reduce ranges (cin); empty for depthwise
  act_outer: list[UOp]       # output ranges the activation uses (b, groups)
  wt_outer: list[UOp]        # output ranges the weight uses (co, groups)
  per_group: dict[UOp, int]  # a range tinygrad made of (group, cout) (a grouped conv with bias): the activation sees r//R
  @property
  def couts(self) -> list[UOp]: return [r for r in self.wt_outer if r not in self.act_outer]  # the weight's own: cout

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

def _inline_view(idx:UOp) -> UOp|None:
  if not (b:=idx.src[0]).arg.removable or len(b.src) != len(idx.src): return None
  if any(i.op is Ops.WHERE for i in idx.src[1:]) or any(v.op is Ops.REDUCE for v in b.src[0].toposort(not_staged)):
    return None  # keep gated (padded) reads and stored reduces: their cost or their masks are not ours to move
  return b.src[0].substitute({r: i for r, i in zip(b.src[1:], idx.src[1:]) if r.op is Ops.RANGE})

# Read through removable STAGEs back to the expressions they store, as pm_remove_bufferize would later. When two convs
# share an input, rangeify stages the shared view with the window inside it (x[b, cin, oy+ky, ox+kx] indexed by
# (b, co, oy, ox, cin, ky, kx)): the window only shows in the expression it stores.
pm_inline_views = PatternMatcher([(UPat(Ops.INDEX, src=(UPat(Ops.STAGE),), allow_any_len=True, name="idx"), _inline_view)])

def match_conv(red:UOp, mul:UOp) -> Conv|tuple[int, str]:
  if (ret:=_match_conv_operands(red, *mul.src)) is not None: return ret
  # no window in sight: it may be inside a staged view of the input
  if (inlined:=tuple(rewrite_matches(s, pm_inline_views) for s in mul.src)) != mul.src and \
     (ret:=_match_conv_operands(red, *inlined)) is not None: return ret
  return 1, "NEW does not apply: the reduce has no sliding window (a matmul or a 1x1 convolution)"

def _match_conv_operands(red:UOp, a:UOp, b:UOp) -> Conv|tuple[int, str]|None:
  reduce_rngs = set(red.src[1:])
  def find_windows(x:UOp, other:UOp) -> dict[tuple[UOp, UOp], dict[tuple[int, int], list[UOp]]]:
    # a window is ADD(o*stride, k*dilation): k reduced and used by both operands, o an output range only x uses.
    # one (o, k) can show up in several forms (a padded stride-2 conv checks its bounds with o+k but loads at 2*o+k)
    found: dict[tuple[UOp, UOp], dict[tuple[int, int], list[UOp]]] = {}
    for u in x.toposort(gate=not_staged):
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
  return Conv(act, wt, [(o, k, windows[(o, k)][(1, 1)]) for o, k in pairs], chans, act_outer, wt_outer, per_group)

def _couts_per_group(act:UOp, r:UOp) -> int:
  """The largest R with the activation depending on r only through r//R: the couts per group when tinygrad gave a
  grouped conv's (group, cout) one range (it does when a bias follows), else 1."""
  n = int(r.vmax)+1
  for R in (d for d in range(n-1, 1, -1) if n % d == 0):
    hi, lo = UOp.range(n//R, 1 << 30, AxisType.WEAK), UOp.range(R, (1 << 30) + 1, AxisType.WEAK)
    if lo not in act.substitute({r: hi*R + lo}).simplify().ranges: return R
  return 1
