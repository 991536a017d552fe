"""The opts the rule pins on its transform kernels (the gpu layout, on devices with local memory), handed over as
tinygrad's own CONTIGUOUS(arg=opts) is (it becomes KernelInfo.opts_to_apply): tinygrad's heuristics put b or co on the
threads of a block there, strided 2-byte loads and stores (bench/README.md, "NEW's layouts": pin_transform_opts)."""
from __future__ import annotations
from tinygrad.codegen.opt import Opt, OptOps
from tinygrad.uop.ops import Ops, PatternMatcher, UOp, UPat
from wino_core.winograd.graph import not_staged, rewrite_matches

_DIVMOD = {Ops.CDIV, Ops.CMOD, Ops.FLOORDIV, Ops.FLOORMOD}

def _plain(value:UOp, rngs:list[UOp], mods:set[UOp]=frozenset()) -> bool:
  """does the kernel computing `value` in the loops `rngs` loop over exactly those (no other range) with no divide or
  modulo of them (tinygrad would split or merge such ranges, and our axis numbers would be off), except `mods`?"""
  if any(r.src[0].op is not Ops.CONST for r in rngs): return False
  known = set(rngs)
  for u in value.toposort(gate=not_staged):
    if u.op is Ops.RANGE and u not in known: return False
    if u.op in _DIVMOD and u not in mods and any(r in known for r in u.src[0].ranges): return False
  return True

def _transform_opts(axes:list[tuple[int, bool|int]], cap:int=256) -> tuple[Opt, ...]|None:
  """Opts for a transform kernel (input transform, output) whose axes are `axes`, (size, upcast) in the order
  tinygrad's postrange numbers them (ranges by id, size-1 ranges dropped): UPCAST the upcast ones whole (the 6x6 or
  4x4 of a tile), then LOCAL from the innermost axis outwards (tx whole, then ty, then b, ...) up to `cap` threads, so
  the threads of a block walk the tiles and the loads and stores of a warp are contiguous. An axis with upcast v > 1
  (cin innermost, Layout.cin_vector) is a vector: v values a thread (UPCAST v) and v threads side by side (LOCAL v),
  so a warp's stores fill whole 32-byte sectors while its loads still walk the tiles. None (tinygrad's heuristics)
  when fewer than 32 threads would be local."""
  axes = [a for a in axes if a[0] > 1]
  opts = [Opt(OptOps.UPCAST, k, 0) for k in range(len(axes)-1, -1, -1) if axes[k][1] is True]
  rest, local = [a for a in axes if a[1] is not True], 1
  for ax in range(len(rest)-1, -1, -1):
    if (v:=rest[ax][1]) and rest[ax][0] % (v*v) == 0 and local*v <= cap:
      opts += [Opt(OptOps.UPCAST, ax, v), Opt(OptOps.LOCAL, ax, v)]; local *= v
      continue
    d = max(d for d in range(1, rest[ax][0]+1) if rest[ax][0] % d == 0 and local*d <= cap)
    if d > 1: opts.append(Opt(OptOps.LOCAL, ax, d)); local *= d
    if d != rest[ax][0]: break
  return tuple(opts) if local >= 32 else None

def _weight_opts(axes:list[tuple[int, bool]]) -> tuple[Opt, ...]|None:
  """Opts for the weight transform (axes as for _transform_opts: the 6x6 upcast, then cin, co): a block of 16 cout x 16
  cin, where the heuristics' 8 cin x 16 cout took twice as long (bench/README.md, "NEW's layouts")."""
  axes = [a for a in axes if a[0] > 1]
  opts = [Opt(OptOps.UPCAST, k, 0) for k in range(len(axes)-1, -1, -1) if axes[k][1]]
  rest, local = [n for n, up in axes if not up], 1
  for ax in range(len(rest)-1, max(len(rest)-3, -1), -1):
    if (d:=max(d for d in range(1, 17) if rest[ax] % d == 0)) > 1: opts.append(Opt(OptOps.LOCAL, ax, d)); local *= d
  return tuple(opts) if local >= 32 else None

def stage_opts(opts_for, value:UOp, rngs:tuple[UOp, ...], upcast:tuple[UOp, ...], vector:dict[UOp, int]|None=None) -> tuple[Opt, ...]|None:
  """opts_for's opts for the kernel storing `value` in the loops `rngs`, `upcast` whole and `vector` by their amount
  (None where tinygrad would reshape its loops)."""
  return opts_for([(int(r.vmax)+1, True if r in upcast else (vector or {}).get(r, False)) for r in sorted(rngs, key=lambda r: r.arg)]) \
    if _plain(value, list(rngs)) else None

def tensor_core(ren, dtype_in, dtype_out):
  """the tensor core of renderer `ren` that tinygrad's TC opt takes for a product of dtype_in summed in dtype_out
  (postrange's _apply_tc_opt: the first that matches, no float32 inputs on CUDA without TF32), or None"""
  from tinygrad.helpers import ALLOW_TF32
  from tinygrad.dtype import dtypes
  return next((tc for tc in ren.tensor_cores if tc.dtype_in == dtype_in and tc.dtype_out == dtype_out and
               not (ren.target.device in ("CUDA", "NV") and tc.dtype_in == dtypes.float and not ALLOW_TF32)), None)

def fused_opts(outer:list[UOp], oy:UOp, ox:UOp, co:UOp, tc) -> tuple[Opt, ...]|None:
  """Opts for the fused product and output (Layout.fuse_output) with tensor core `tc`, None where they would not apply.
  tinygrad's heuristics take no tensor core for a kernel with three reduce axes (codegen/opt/heuristic.py), so the rule
  pins: the TC on (co, the tiles along x, cin), then the 4x4 outputs of a tile (oy%4, ox%4) upcast, so that each thread
  turns its 36 products into 16 outputs once (not once per output), then 2 couts upcast: in tinygrad 0.14.0 a WMMA
  that no upcast axis of its operands reaches keeps size-1 dims, and do_stack_wmma (codegen/__init__.py) asserts on
  them. Axis numbers are the global axes postrange has after the TC: oy, ox split in 4 by tinygrad, co divided by the
  TC's N, the x tiles padded to its M (at most 4x, postrange's PADTO) and divided."""
  N, M, _ = tc.dims
  tiles_x = (int(ox.vmax)+1)//4
  if (int(co.vmax)+1) % (2*N) or tiles_x <= -(-tiles_x//M)*M//4: return None
  axes: list[tuple[int, str]] = []
  for r in sorted([*outer, oy, ox], key=lambda r: r.arg):
    n = int(r.vmax)+1
    if r is co: axes.append((n//N, "co"))
    elif r is oy: axes += [(n//4, "ty"), (4, "u")]
    elif r is ox: axes += [(-(-tiles_x//M), "tx"), (4, "v")]
    else: axes.append((n, ""))
  names = [name for n, name in axes if n > 1]
  # v, then u, then co: an upcast axis leaves the global ones, and the later ones keep their numbers
  return (Opt(OptOps.TC, 0, (-1, 2, 1)), Opt(OptOps.UPCAST, names.index("v"), 0), Opt(OptOps.UPCAST, names.index("u"), 0),
          Opt(OptOps.UPCAST, names.index("co"), 2))

def _pinned(outputs:list, node:UOp, value:UOp, rngs:list[UOp]) -> UOp|None:
  ret = None
  for out, out_rngs, (oy, ox), opts in outputs:  # opts: the fused kernel's (fused_opts), else the output transform's
    if set(rngs) != set(out_rngs) or value.op is Ops.CONTIGUOUS: continue
    topo = value.toposort(gate=not_staged)
    if out not in topo: continue
    if opts is None:
      mods = {v for v in topo if v.op in _DIVMOD and v.src[0] in (oy, ox) and v.src[1].op is Ops.CONST and v.src[1].arg == 4}
      if not _plain(value, rngs, mods): continue
      # tinygrad splits oy (ox) into (oy//4, oy%4) when 4 divides it: then the 4 is upcast, as its heuristics do
      axes = [a for r in sorted(rngs, key=lambda r: r.arg) for a in
              ([((int(r.vmax)+1)//4, False), (4, True)] if r in (oy, ox) and (int(r.vmax)+1) % 4 == 0 else [(int(r.vmax)+1, False)])]
      if (opts:=_transform_opts(axes)) is None: continue
    pinned = UOp(Ops.CONTIGUOUS, value.dtype, (value,), arg=opts)
    ret = node.replace(src=(node.src[0], pinned) if node.op is Ops.STORE else (pinned, *node.src[1:]))
  return ret

# Each conv's output kernel (the STORE or STAGE that consumes the rewritten REDUCE, in the conv's own output ranges) gets
# its transform opts around the value it stores. ctx: (out, its output ranges, (oy, ox), opts) per rewrite. Kernels that loop
# over anything else (a consumer that fuses more) keep tinygrad's heuristics.
pm_pin_outputs = PatternMatcher([
  (UPat(Ops.END, src=(UPat(Ops.STORE, name="st"),), allow_any_len=True, name="end"),
   lambda ctx, end, st: None if (p:=_pinned(ctx, st, st.src[1], list(end.src[1:]))) is None else end.replace(src=(p, *end.src[1:]))),
  (UPat(Ops.STAGE, name="stage"), lambda ctx, stage: _pinned(ctx, stage, stage.src[0], list(stage.src[1:]))),
])

def pin_outputs(tsink:UOp, outputs:list[tuple[UOp, list[UOp], tuple[UOp, UOp], tuple[Opt, ...]|None]]) -> UOp:
  return rewrite_matches(tsink, pm_pin_outputs, outputs, gate=None)
