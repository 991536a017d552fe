"""A whole network's convs through baseline, OLD and NEW on one device (the sweep the dashboard runs: each distinct conv
in fresh processes through wino_core.compare), per dtype: the per-layer table, the network's conv time per mode and the
ratios, and with --cudnn PyTorch's cuDNN on the same layers in the same call (each distinct conv timed, times its
multiplicity).

  python bench/network_sweep.py --model resnet18 [--batch 1] [--size N] [--dtypes float32,float16] [--device CPU]
                                [--modes baseline,old,new] [--repeat 10] [--cudnn] [--json FILE]
"""
import argparse, json, os, statistics, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from app.cli import print_sweep
from wino_core.run import RunSettings
from wino_core.search import user_cache_path
from wino_core.sweep_request import parse_sweep, run_sweep
from wino_core.sweep_table import totals

def main():
  p = argparse.ArgumentParser()
  p.add_argument("--model", default="resnet18")
  p.add_argument("--batch", type=int, default=1)
  p.add_argument("--size", type=int, default=None)
  p.add_argument("--dtypes", default="float32")
  p.add_argument("--device", default=None)
  p.add_argument("--modes", default="baseline,old,new")
  p.add_argument("--repeat", type=int, default=10)
  p.add_argument("--cudnn", action="store_true", help="PyTorch cuDNN on the same layers (CUDA only)")
  p.add_argument("--json", default=None)
  a = p.parse_args()
  out = []
  for dtype in a.dtypes.split(","):
    req = parse_sweep({"model": a.model, "batch": a.batch, "dtype": dtype, "modes": a.modes, "repeat": a.repeat,
                       **({"size": a.size} if a.size else {}), **({"device": a.device} if a.device else {})})
    print(f"\n{req.title}, batch {req.batch}, {req.size}x{req.size}, {dtype} on {req.device}: {len(req.net)} convs, "
          f"{len(req.layer_table())} distinct", flush=True)
    st = time.perf_counter()
    rows = run_sweep(req, RunSettings(search_cache=user_cache_path()))
    wall = time.perf_counter() - st
    total = totals(rows, req.modes)
    print_sweep(req, rows, total)
    print(f"sweep wall time {wall:.0f} s", flush=True)
    cudnn = None
    if a.cudnn:
      from cudnn_anchor import setup, time_conv
      print(setup())
      per = [statistics.median(time_conv(r["spec"], a.repeat * 2)) for r in rows]
      cudnn = sum(t * r["multiplicity"] for t, r in zip(per, rows))
      for r, t in zip(rows, per):  # per layer: where NEW fires, is it at cuDNN's speed?
        r["cudnn_s"] = t
        if r.get("new") == "fired" and "new" in r["time_s"]:
          print(f"  NEW fired on {', '.join(r['names'])[:40]:40} NEW {r['time_s']['new']*1e3:.3f} ms, cuDNN {t*1e3:.3f} ms, "
                f"NEW/cuDNN {r['time_s']['new'] / t:.2f}", flush=True)
      print(f"cuDNN total {cudnn*1e3:.3f} ms; " + ", ".join(f"{m}/cuDNN {total['time_s'][m] / cudnn:.2f}" for m in req.modes if total["complete"][m]), flush=True)
    out.append({"request": req.to_dict(), "rows": rows, "totals": total, "wall_s": wall, "cudnn_total_s": cudnn})
  if a.json:
    with open(a.json, "w") as f: json.dump(out, f)

if __name__ == "__main__": main()
