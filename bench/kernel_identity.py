"""Are the kernels unchanged? Capture each mode's kernels for the bench shapes (bench/compare_modes.py SHAPES) and
compile them, without timing, through the child's own path (make_inputs, MODE_TABLE[mode].enter, LinearCapture,
compile_linear), and write {"device": D, "kernels": {"B,Cin,Cout,size dtype mode": [[function name, source], ...]}}. Then
--compare two such files: it prints what differs and exits 1 if anything does. For refactors that must not change
what tinygrad generates (NEW's rule moving files):

  python bench/kernel_identity.py --out before.json            # on the old tree (DEV=CUDA for the GPU)
  python bench/kernel_identity.py --out after.json             # on the new tree
  python bench/kernel_identity.py --compare before.json after.json"""
import argparse, json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from compare_modes import SHAPES

def capture(spec, mode:str, device:str, force_new:bool) -> list[list[str]]:
  from tinygrad import Device
  from tinygrad.uop.ops import Ops
  from wino_core.capture import program_calls
  from wino_core.child import bfloat16_support, build_conv, input_tensor, make_inputs
  from wino_core.modes import MODE_TABLE
  from wino_core.tinygrad_compat import pipeline
  pipe = pipeline()
  with bfloat16_support(spec, device):
    xn, wn, bn = make_inputs(spec)
    x, w = input_tensor(spec, xn, device), input_tensor(spec, wn, device)
    b = input_tensor(spec, bn, device) if bn is not None else None
    Device[device].synchronize()
    with MODE_TABLE[mode].enter(spec, force_new=force_new): linear, _ = pipe.schedule(build_conv(spec, x, w, b))
    compiled = pipe.compile(linear)  # compiled, never run: the programs are all we read
  return [[prg.arg.function_name, next(s.arg for s in prg.src if s.op is Ops.SOURCE)] for prg in (c.src[0] for c in program_calls(compiled))]

def compare(a_path:str, b_path:str) -> int:
  with open(a_path) as f: a = json.load(f)["kernels"]
  with open(b_path) as f: b = json.load(f)["kernels"]
  differ = 0
  for key in sorted(set(a) | set(b)):
    if key not in a or key not in b:
      print(f"{key}: only in {a_path if key in a else b_path}")
      differ += 1
    elif a[key] != b[key]:
      names = lambda ks: " ".join(n for n, _ in ks)
      what = f"names {names(a[key])} -> {names(b[key])}" if names(a[key]) != names(b[key]) else \
             "sources of " + " ".join(n for (n, s), (_, t) in zip(a[key], b[key]) if s != t)
      print(f"{key}: DIFFERENT: {what}")
      differ += 1
    else: print(f"{key}: identical ({len(a[key])} kernels)")
  print(f"{differ} of {len(set(a) | set(b))} differ" if differ else f"all {len(a)} identical")
  return int(differ > 0)

def main() -> int:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--device", default=None, help="tinygrad's default device if not given (DEV=CUDA picks the GPU)")
  p.add_argument("--dtypes", default="float32,float16")
  p.add_argument("--shapes", nargs="*", default=None, help="batch,cin,cout,size (3x3 kernel, padding 1); default compare_modes' SHAPES")
  p.add_argument("--modes", default="baseline,old,new")
  p.add_argument("--force-new", action="store_true", help="NEW skips its cost model (fires on the small shapes too)")
  p.add_argument("--out", default="kernel_identity.json")
  p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two outputs instead of capturing")
  a = p.parse_args()
  if a.compare: return compare(*a.compare)
  from tinygrad import Device
  from wino_core.spec import parse_spec
  device = a.device or Device.DEFAULT
  shapes = [tuple(map(int, s.split(","))) for s in a.shapes] if a.shapes else SHAPES
  out = {}
  for dtype in a.dtypes.split(","):
    for shape in shapes:
      spec = parse_spec({"batch": shape[0], "cin": shape[1], "cout": shape[2], "h": shape[3], "w": shape[3], "padding": 1, "dtype": dtype})
      for mode in a.modes.split(","):
        out[key:=f"{','.join(map(str, shape))} {dtype} {mode}"] = capture(spec, mode, device, a.force_new)
        print(f"{key}: {' '.join(n for n, _ in out[key])}", flush=True)
        with open(a.out, "w") as f: json.dump({"device": device, "kernels": out}, f, indent=1)  # written as it goes
  return 0

if __name__ == "__main__": sys.exit(main())
