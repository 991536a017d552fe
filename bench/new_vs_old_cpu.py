"""NEW vs OLD vs baseline on tinygrad's default device (CPU here): cold compile time and kernel time, one fresh process
per (shape, mode) so no cache leaks between modes.

  python bench/new_vs_old_cpu.py                      # the default shapes
  python bench/new_vs_old_cpu.py 1,16,16,32 2,8,8,20  # batch,cin,cout,size (3x3 kernel, padding 1, float32)

compile = schedule (rangeify + the rule) + compile_linear, wall time. kernel = per kernel, median of RUNS timed runs after
WARMUP (tinygrad.engine.realize.time_call), summed over the conv's kernels.
"""
import json, os, statistics, subprocess, sys, time

SHAPES = [(1, 16, 16, 32), (1, 64, 64, 64), (8, 64, 64, 56)]
MODES = ("baseline", "old", "new")
WARMUP, RUNS = 3, 10

def child(mode:str, batch:int, cin:int, cout:int, size:int) -> dict:
  sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
  import numpy as np
  from tinygrad import Tensor, Device
  from tinygrad.helpers import Context, ansistrip
  from tinygrad.engine.realize import compile_linear, time_call
  from tinygrad.uop.ops import Ops
  from wino_core.winograd import new_winograd
  rng = np.random.default_rng(0)
  x = Tensor(rng.standard_normal((batch, cin, size, size), dtype=np.float32)).realize()
  w = Tensor(rng.standard_normal((cout, cin, 3, 3), dtype=np.float32)).realize()
  with Context(WINO=int(mode == "old")):
    st = time.perf_counter()
    if mode == "new":
      with new_winograd() as report: linear = x.conv2d(w, padding=1).schedule_linear()
      assert report.fired, report.reason
    else: linear = x.conv2d(w, padding=1).schedule_linear()
    sched = time.perf_counter() - st
    linear = compile_linear(linear)
    comp = time.perf_counter() - st
  kernels = []
  for call in linear.src:
    if call.src[0].op is not Ops.PROGRAM: continue
    timer = time_call(call)
    for _ in range(WARMUP): next(timer)
    times = [next(timer) for _ in range(RUNS)]
    kernels.append({"name": ansistrip(call.src[0].arg.name), "median_ms": statistics.median(times)*1e3, "min_ms": min(times)*1e3})
  return {"device": Device.DEFAULT, "schedule_s": sched, "compile_s": comp, "kernels": kernels,
          "kernel_ms": sum(k["median_ms"] for k in kernels)}

def measure(mode:str, shape:tuple[int, ...]) -> dict:
  env = {**os.environ, "CACHELEVEL": "0", "PARALLEL": "0"}
  out = subprocess.run([sys.executable, __file__, "--child", mode, *map(str, shape)], env=env, capture_output=True, text=True, check=True)
  return json.loads(out.stdout.strip().splitlines()[-1])

if __name__ == "__main__":
  if sys.argv[1:2] == ["--child"]:
    print(json.dumps(child(sys.argv[2], *map(int, sys.argv[3:7]))))
    sys.exit(0)
  shapes = [tuple(map(int, a.split(","))) for a in sys.argv[1:]] or SHAPES
  print(f"{'shape b,cin,cout,size':24s} {'mode':8s} {'compile s':>9s} {'kernel ms':>10s}  kernels (median ms)")
  for shape in shapes:
    res = {mode: measure(mode, shape) for mode in MODES}
    for mode, r in res.items():
      ks = " ".join(f"{k['name']}:{k['median_ms']:.3f}" for k in r["kernels"])
      print(f"{','.join(map(str, shape)):24s} {mode:8s} {r['compile_s']:9.2f} {r['kernel_ms']:10.3f}  {ks}")
    new, old, base = res["new"], res["old"], res["baseline"]
    print(f"{'':24s} NEW/OLD kernel {new['kernel_ms']/old['kernel_ms']:.2f}x compile {new['compile_s']/old['compile_s']:.2f}x | "
          f"NEW/baseline kernel {new['kernel_ms']/base['kernel_ms']:.2f}x compile {new['compile_s']/base['compile_s']:.2f}x  "
          f"({res['new']['device']})", flush=True)
