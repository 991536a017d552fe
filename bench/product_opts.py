"""Time NEW's (and OLD's) kernels on one device under several opt lists, one process, no children: for each shape and
dtype, capture the mode's kernels, then compile each kernel with tinygrad's heuristics and with each candidate opt list
(KernelInfo.opts_to_apply, as a CONTIGUOUS(arg=opts) would hand them over) and time it (median of --repeat runs).

  python bench/product_opts.py --device CUDA --dtypes float16,float32 --shapes 16,128,128,56 ...

Prints one line per (kernel, candidate): role, name, opts, median ms. Candidates that tinygrad refuses are skipped.
With WINO_DASH_NEW_LAYOUT=gpu-fused NEW is 3 kernels; its product+output kernel runs its pins ("pins") and variations of them."""
import argparse, dataclasses, itertools, os, statistics, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy as np
from tinygrad import Tensor, Device, dtypes
from tinygrad.codegen.opt import Opt, OptOps
from tinygrad.engine.realize import compile_linear, run_linear, time_call
from tinygrad.uop.ops import Ops, UOp
from wino_core.capture import LinearCapture
from wino_core.modes import MODE_TABLE
from wino_core.spec import parse_spec

def seen_axes(sink, ren):
  """the (size, axis type) list apply_opts sees for this kernel (after split/simplify ranges and convert_loop_to_global)"""
  import tinygrad.codegen as cg
  from tinygrad.codegen.opt.postrange import Scheduler
  got, orig = {}, cg.apply_opts
  def spy(s, r, beam=0):
    k = Scheduler(s, r); k.convert_loop_to_global()
    got["axes"] = [(int(sz), t.name) for sz, t in zip(k.full_shape, k.axis_types)]
    raise StopIteration
  cg.apply_opts = spy
  try: cg.full_rewrite_to_sink(sink, ren, optimize=True)
  except StopIteration: pass
  finally: cg.apply_opts = orig
  return got["axes"]

def divs(n, options): return [d for d in options if n % d == 0]

def fused_candidates(pinned):
  """variations of the rule's pins for the fused product+output (opts.fused_opts: TC, UPCAST v, UPCAST u, UPCAST co 2):
  couts upcast 1, 2, 4; u, v upcast, v alone or neither; 2-7 blocks' worth of warps as LOCAL on co, the y tiles or b.
  After the TC and the u, v upcasts the global axes are (b, co, ty); the x tiles are all in the TC's M. All of these
  render with mma.sync for sm_90 on 16,128,128,56 (checked on CPU); u, v upcast with no co upcast trips do_stack_wmma."""
  if not pinned or len(pinned) != 4 or pinned[0].op is not OptOps.TC: return []
  tc, v, u, co = pinned
  ax = {"co": co.axis, "ty": u.axis - 1, "b": 0}
  out = []
  for uv, c, loc in [("uv", 2, l) for l in ("co2", "co4", "ty2", "ty7", "b2", "b4", "co2 ty2", "co2 b2")] + \
                    [("uv", 4, l) for l in ("", "co2", "ty2", "b2")] + [("v", 2, ""), ("v", 2, "co2"), ("v", 4, ""), ("", 1, ""), ("", 1, "co4"), ("", 2, "")]:
    o = [tc] + {"uv": [v, u], "v": [v], "": []}[uv] + ([Opt(OptOps.UPCAST, co.axis, c)] if c > 1 else [])
    out.append(o + [Opt(OptOps.LOCAL, ax[l[:-1]], int(l[-1])) for l in loc.split()])
  return out

def candidates(role, axes, dtype, pinned=None):
  """hand-made opt lists per kernel role, from the axis sizes (all GLOBAL, then REDUCE) or the kernel's pinned opts"""
  g = [i for i, (_, t) in enumerate(axes) if t == "GLOBAL"]
  out = []
  if role == "product+output": return fused_candidates(pinned)
  if role == "input transform" and len(axes) >= 4 and axes[0][0] == 6 and axes[1][0] == 6:
    rest = [s for s, _ in axes[2:]]  # (cin, b, ty, tx) minus size-1
    for cap in (128, 256):
      opts, local, n = [Opt(OptOps.UPCAST, 1, 0), Opt(OptOps.UPCAST, 0, 0)], 1, len(rest)
      for ax in range(n-1, -1, -1):  # from tx backwards: the largest divisor that keeps the block under cap
        d = max([d for d in range(1, rest[ax]+1) if rest[ax] % d == 0 and local*d <= cap])
        if d > 1: opts.append(Opt(OptOps.LOCAL, ax, d)); local *= d
        if d != rest[ax]: break
      out.append(opts)
    for c in (8, 16, 32):  # cin innermost (layout gpu-cin): c channels on the threads (stores coalesce), then tiles (loads do)
      if n < 2 or rest[-1] % c: continue
      d = max(d for d in range(1, rest[-2]+1) if rest[-2] % d == 0 and c*d <= 256)
      out.append([Opt(OptOps.UPCAST, 1, 0), Opt(OptOps.UPCAST, 0, 0), Opt(OptOps.LOCAL, n-1, c)] + ([Opt(OptOps.LOCAL, n-2, d)] if d > 1 else []))
  if role == "output" and len(axes) >= 4:
    sizes = [s for s, _ in axes]
    ups = [i for i, s in enumerate(sizes) if s == 4][::-1]
    if len(ups) >= 2:
      rest = [s for i, s in enumerate(sizes) if i not in ups[:2]]
      for cap in (128, 256):
        opts, local = [Opt(OptOps.UPCAST, ups[0], 0), Opt(OptOps.UPCAST, ups[1], 0)], 1
        for ax in range(len(rest)-1, -1, -1):
          d = max([d for d in range(1, rest[ax]+1) if rest[ax] % d == 0 and local*d <= cap])
          if d > 1: opts.append(Opt(OptOps.LOCAL, ax, d)); local *= d
          if d != rest[ax]: break
        out.append(opts)
  if role == "weight transform" and len(axes) == 4 and axes[0][0] == 6 and axes[1][0] == 6:
    cin, co = axes[2][0], axes[3][0]
    for lc, lo in ((1, 32), (4, 32), (8, 32), (1, 64), (2, 64), (1, 128), (16, 16), (32, 1), (32, 4), (32, 8)):
      if cin % lc or co % lo: continue
      o = [Opt(OptOps.UPCAST, 1, 0), Opt(OptOps.UPCAST, 0, 0)]
      if lo > 1: o.append(Opt(OptOps.LOCAL, 1, lo))
      if lc > 1: o.append(Opt(OptOps.LOCAL, 0, lc))
      out.append(o)
  if role == "batched product" and len(g) >= 2:
    n_ax, m_ax = g[-2], g[-1]  # (.., co, b*tiles): co then the merged M
    N, M = axes[n_ax][0], axes[m_ax][0]
    if dtype == "float16":
      for um, un, loc in itertools.product((2, 4), (2, 4), ("n2", "n4", "m2", "m4", "")):
        o = [Opt(OptOps.TC, 0, (-1, 0, 1)), Opt(OptOps.UPCAST, m_ax, um), Opt(OptOps.UPCAST, n_ax, un)]
        if loc: o.append(Opt(OptOps.LOCAL, n_ax if loc[0] == "n" else m_ax, int(loc[1])))
        out.append(o)
    else:
      for um, un, lm, ln in itertools.product((4,), (4,), (8, 16, 32), (8, 16)):
        out.append([Opt(OptOps.UPCAST, m_ax, um), Opt(OptOps.UPCAST, n_ax, un), Opt(OptOps.UNROLL, 0, 4),
                    Opt(OptOps.LOCAL, n_ax, ln), Opt(OptOps.LOCAL, m_ax, lm)])
  return out

# by kernel count: NEW's gpu-fused layout (WINO_DASH_NEW_LAYOUT=gpu-fused) has no MHAT, the product and output one kernel
ROLES = {("new", 4): ["input transform", "weight transform", "batched product", "output"],
         ("new", 3): ["input transform", "weight transform", "product+output"],
         ("old", 4): ["weight transform", "input transform", "batched product", "output"]}

def time_kernel(call, repeat):
  t = time_call(call)
  for _ in range(3): next(t)
  return statistics.median(next(t) for _ in range(repeat))

def main():
  p = argparse.ArgumentParser()
  p.add_argument("--device", default="CUDA")
  p.add_argument("--dtypes", default="float16,float32")
  p.add_argument("--shapes", nargs="*", default=["16,128,128,56"])
  p.add_argument("--modes", default="old,new")
  p.add_argument("--repeat", type=int, default=20)
  p.add_argument("--max-cands", type=int, default=40)
  a = p.parse_args()
  dev = Device[a.device]
  ren = dev.renderer
  for dtype in a.dtypes.split(","):
    for shape in a.shapes:
      b, cin, cout, s = map(int, shape.split(","))
      spec = parse_spec({"batch": b, "cin": cin, "cout": cout, "h": s, "w": s, "padding": 1, "dtype": dtype})
      rng = np.random.default_rng(0)
      npdt = np.float16 if dtype == "float16" else np.float32
      x = Tensor(rng.standard_normal((b, cin, s, s)).astype(npdt), device=a.device).realize()
      w = Tensor((rng.uniform(-1, 1, (cout, cin, 3, 3)) / np.sqrt(cin*9)).astype(npdt), device=a.device).realize()
      for mode in a.modes.split(","):
        cap = LinearCapture()
        with MODE_TABLE[mode].enter(spec):
          out = x.conv2d(w, padding=1)
          with cap.installed(): out.realize()
        linear, var_vals = cap.linear()
        run_linear(compile_linear(linear), var_vals); dev.synchronize()  # allocates the buffers
        calls = [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]
        total = 0.0
        for k, call in enumerate(calls):
          role = ROLES.get((mode, len(calls)), [f"k{i}" for i in range(len(calls))])[k]
          sink = call.src[0]
          axes = seen_axes(sink, ren)
          pinned = sink.arg.opts_to_apply if sink.arg is not None else None  # None below runs these (or the heuristics)
          cands = [None] + (candidates(role, axes, dtype, pinned)[:a.max_cands] if mode == "new" else [])
          best, heur = None, None  # a kernel whose pins fail (the fused one has never run on a GPU) still times the rest
          for opts in cands:
            c2 = call if opts is None else call.replace(src=(sink.replace(arg=dataclasses.replace(sink.arg, opts_to_apply=tuple(opts))),)+call.src[1:])
            try:
              prg = compile_linear(UOp(Ops.LINEAR, src=(c2,))).src[0].src[0]
              ms = time_kernel(c2, a.repeat) * 1e3
            except Exception as e:
              if opts is None: print(f"  {role}: {'pins' if pinned else 'heuristics'} failed {type(e).__name__} {str(e)[:80]}")
              continue
            name = prg.arg.name if hasattr(prg.arg, "name") else "?"
            applied = prg.src[0].arg.applied_opts if prg.src[0].arg is not None else ()
            tag = ("pins" if pinned else "heur") if opts is None else "cand"
            if opts is None: heur = ms
            if best is None or ms < best[0]: best = (ms, applied)
            if opts is None or role == "product+output" or heur is None or ms < heur * 1.5:
              print(f"{dtype:8} {shape:15} {mode:4} {role:17} {tag} {ms:8.4f} ms  {_strip(name):34} {_fmt(applied)}  axes {axes if opts is None else ''}", flush=True)
          if best is None: continue
          total += best[0]
          print(f"{dtype:8} {shape:15} {mode:4} {role:17} BEST {best[0]:8.4f} ms ({'pins' if pinned else 'heuristics'} {heur or float('nan'):.4f})  {_fmt(best[1])}", flush=True)
        print(f"{dtype:8} {shape:15} {mode:4} TOTAL of bests {total:.4f} ms", flush=True)

def _strip(n):
  import re
  return re.sub(r"\x1b\[[0-9;]*m", "", n)
def _fmt(opts): return " ".join(f"{o.op.name}{'' if o.axis is None else o.axis}:{o.arg}" for o in opts)

if __name__ == "__main__": main()
