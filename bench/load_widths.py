"""Local, no GPU needed: the global loads and stores of NEW's kernels as CUDA would get them, per NEW layout. Schedules
on the CPU as bench/explore_opts.py does (pinned opts as on a GPU), lowers each kernel with a CUDA sm_90 renderer up
to its linear program (nothing is compiled), and counts its global LOADs and STOREs per buffer by bytes per access
(2 = one half, 4 = half2 or one float, 8 = half4, 16 = half8 or float4), and its WMMAs (tensor-core MMAs). Counts
are of the kernel's code, not of executed instructions: a load inside the reduce loop counts once.

  PYTHONPATH=. python bench/load_widths.py [--layouts gpu,gpu-cin] [--dtypes float16,float32] [--shapes 16,128,128,56 ...]
                                           [--source DIR]   (write each kernel's CUDA source there)"""
import argparse, collections, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from explore_opts import asts, renderer  # noqa: E402 (it pins opts as on a GPU)
from tinygrad.codegen import full_rewrite_to_sink, do_linearize, do_render
from tinygrad.dtype import AddrSpace
from tinygrad.helpers import prod
from tinygrad.uop.ops import Ops, UOp, ProgramInfo

ROLES = ["input transform", "weight transform", "batched product", "output"]

def lower(ast:UOp, ren) -> tuple[str, list[UOp], str]:
  """(function name, linear program, CUDA source) of one kernel"""
  sink = full_rewrite_to_sink(ast, ren, optimize=True)
  prg = do_linearize(ren, UOp(Ops.PROGRAM, src=(sink,), arg=ProgramInfo.from_sink(sink, ren.target)), sink)
  lin = prg.src[-1]
  return sink.arg.function_name, list(lin.src), do_render(ren, prg, lin).src[-1].arg

def lanes(lin:list[UOp], warp:int=32) -> list[dict[UOp, UOp]]:
  """the first warp of the first block: per lane, each thread/block index (SPECIAL) and loop counter (RANGE) as a
  constant. lidx0 is threadIdx.x, the fastest-varying; blocks and loops at 0."""
  specials = [u for u in lin if u.op is Ops.SPECIAL]
  local = sorted((u for u in specials if u.arg.startswith("lidx")), key=lambda u: u.arg)
  ret = []
  for lane in range(min(warp, prod(int(u.vmax)+1 for u in local))):
    sub, rest = {u: u.const_like(0) for u in specials + [u for u in lin if u.op is Ops.RANGE]}, lane
    for u in local: sub[u], rest = u.const_like(rest % (int(u.vmax)+1)), rest // (int(u.vmax)+1)
    ret.append(sub)
  return ret

def accesses(lin:list[UOp]) -> dict[str, dict[str, collections.Counter]]:
  """'load data1' / 'store data0' -> {"width": Counter(bytes per access -> how many), "sectors": 32-byte sectors one warp
  touches, summed over the accesses, "bytes": the bytes they move}, global memory only (gates ignored: every lane
  counted); 'wmma' -> {"count": ...}"""
  out: dict[str, dict[str, collections.Counter]] = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
  warp = lanes(lin)
  for u in lin:
    if u.op is Ops.WMMA: out["wmma"]["count"][0] += 1
    if u.op not in (Ops.LOAD, Ops.STORE) or u.src[0].addrspace is not AddrSpace.GLOBAL: continue
    val, buf = (u if u.op is Ops.LOAD else u.src[1]), next(s for s in u.src[0].toposort() if s.op is Ops.PARAM)
    width = val.dtype.itemsize * prod(val.shape)
    acc = out[f"{u.op.name.lower()} data{buf.arg.slot}"]
    acc["width"][width] += 1
    offsets = [u.src[0].src[1].substitute(sub).simplify() for sub in warp]  # in elements of the buffer's dtype
    if all(o.op is Ops.CONST for o in offsets):
      start = [o.arg * val.dtype.itemsize for o in offsets]
      acc["sectors"][0] += len({s for a in start for s in range(a//32, (a+width-1)//32+1)})
      acc["bytes"][0] += len(set(start)) * width
  return out

def main():
  p = argparse.ArgumentParser()
  p.add_argument("--layouts", default="gpu,gpu-cin")
  p.add_argument("--dtypes", default="float16,float32")
  p.add_argument("--shapes", nargs="*", default=["16,128,128,56", "32,256,256,28", "8,512,512,14"])
  p.add_argument("--source", default=None, help="a folder for each kernel's CUDA source")
  a = p.parse_args()
  ren = renderer()
  for dtype in a.dtypes.split(","):
    for shape in a.shapes:
      for layout in a.layouts.split(","):
        os.environ["WINO_DASH_NEW_LAYOUT"] = layout
        kernels = asts(tuple(map(int, shape.split(","))), dtype, "new")
        for k, ast in enumerate(kernels):
          role = ROLES[k] if len(kernels) == 4 else f"kernel {k}"
          name, lin, src = lower(ast, ren)
          acc = accesses(lin)
          text = "  ".join(f"{key} " + " ".join(f"{w}Bx{n}" for w, n in sorted(c["width"].items())) +
                           (f" ({c['sectors'][0]} sectors/warp, {c['bytes'][0]/(32*c['sectors'][0]):.0%} used)" if c["sectors"][0] else "")
                           for key, c in sorted(acc.items()) if key != "wmma")
          print(f"{dtype:8} {shape:15} {layout:8} {role:16} {name:34} wmma {acc['wmma']['count'][0]:3}  {text}", flush=True)
          if a.source:
            os.makedirs(a.source, exist_ok=True)
            with open(os.path.join(a.source, f"{dtype}_{shape.replace(',', '-')}_{layout}_{k}_{name}.cu"), "w") as f: f.write(src)

if __name__ == "__main__": main()
