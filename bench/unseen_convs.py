"""Never the slower choice: baseline, OLD and NEW on convs unlike the bench's six shapes (an RGB stem, few input
channels, small maps with many channels at large batch, grouped and depthwise convs, odd sizes), each mode in a fresh
process through wino_core.run.run_mode, NEW run twice: as its cost model decides and forced (what Winograd would cost
there). With --cudnn (CUDA) PyTorch's cuDNN on the same convs in the same call. The forced NEW times are what the cost
model is calibrated on (wino_core/winograd/layout.py's Layout.min_flops and the rules beside it).

  python bench/unseen_convs.py [--device CUDA] [--dtypes float16,float32] [--repeat 10] [--cudnn] [--json FILE]

Per conv: kernel ms baseline / OLD / NEW (as decided) / NEW forced; whether NEW fired; NEW/min(baseline, OLD) with
the verdict's noise test (wino_core/verdict.py speed_pair) between NEW and the faster of the two."""
import argparse, json, os, statistics, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wino_core.devices import default_device, tinygrad_version
from wino_core.run import RunSettings, run_mode
from wino_core.spec import Caps, parse_spec
from wino_core.verdict import speed_pair

# (label, batch, cin, cout, size, groups): 3x3, stride 1, padding 1
CONVS = [
  ("RGB stem", 32, 3, 64, 224, 1), ("RGB stem b8", 8, 3, 32, 112, 1), ("few cin", 16, 8, 64, 112, 1),
  ("7x7 512 b32", 32, 512, 512, 7, 1), ("7x7 512 b64", 64, 512, 512, 7, 1), ("14x14 256 b32", 32, 256, 256, 14, 1),
  ("14x14 512 b16", 16, 512, 512, 14, 1), ("28x28 128 b32", 32, 128, 128, 28, 1),
  ("grouped g32", 8, 128, 128, 28, 32), ("grouped g32 b32", 32, 256, 256, 14, 32),
  ("depthwise", 8, 64, 64, 56, 64), ("depthwise b32", 32, 256, 256, 14, 256),
  ("odd 33", 4, 48, 80, 33, 1), ("odd 17", 2, 96, 32, 17, 1), ("odd 75", 16, 24, 40, 75, 1), ("wide 1x512", 1, 512, 512, 28, 1),
]

def main():
  p = argparse.ArgumentParser()
  p.add_argument("--device", default=None)
  p.add_argument("--dtypes", default="float16,float32")
  p.add_argument("--repeat", type=int, default=10)
  p.add_argument("--only", default=None, help="comma-separated labels")
  p.add_argument("--cudnn", action="store_true")
  p.add_argument("--json", default=None)
  a = p.parse_args()
  device = a.device or default_device()
  convs = [c for c in CONVS if a.only is None or c[0] in a.only.split(",")]
  if a.cudnn:
    from cudnn_anchor import setup, time_conv
    print(setup(), flush=True)
  print(f"device {device}, tinygrad {tinygrad_version()}, {a.repeat} timed runs after 2 warm-up, each mode in a fresh process", flush=True)
  print(f"{'dtype':8} {'conv':16} {'B,Cin,Cout,H=W,g':20} {'MFLOP':>8} | {'kernel ms base / old / new / new forced':44} | fired | "
        f"{'NEW/min':>7} {'verdict':14} | {'forced/min':>10} {'verdict':14}" + (" | cuDNN ms  NEW/cuDNN" if a.cudnn else ""), flush=True)
  rows = []
  for dtype in a.dtypes.split(","):
    for label, b, cin, cout, s, g in convs:
      spec = parse_spec({"batch": b, "cin": cin, "cout": cout, "h": s, "w": s, "padding": 1, "groups": g, "dtype": dtype}, Caps(2**31, 2**42))
      settings = RunSettings(timeout_s=900, memory_mb=None)
      runs = {m: run_mode(spec, m, device, settings=settings, repeat=a.repeat) for m in ("baseline", "old", "new")}
      runs["new forced"] = run_mode(spec, "new", device, settings=settings, repeat=a.repeat, force_new=True)
      row = {"label": label, "dtype": dtype, "spec": spec.to_dict(), "flops": spec.flops, "runs": {m: r.to_dict() for m, r in runs.items()}}
      if a.cudnn: row["cudnn_s"] = statistics.median(time_conv(spec.to_dict(), a.repeat * 2))
      rows.append(row)
      head = f"{dtype:8} {label:16} {f'{b},{cin},{cout},{s},{g}':20} {spec.flops/1e6:8.1f} | "
      if any(not r.ok for r in runs.values()):
        print(head + "; ".join(f"{m}: {r.status} {r.message[:80]}" for m, r in runs.items() if not r.ok), flush=True)
        continue
      d = {m: r.to_dict() for m, r in runs.items()}
      best = min(("baseline", "old"), key=lambda m: d[m]["kernel_time_s"]["median"])
      k = {m: d[m]["kernel_time_s"]["median"] for m in d}
      fired = bool((d["new"].get("winograd") or {}).get("fired"))
      sp, sf = speed_pair(d["new"], d[best]), speed_pair(d["new forced"], d[best])
      print(head + f"{' / '.join(f'{k[m]*1e3:.3f}' for m in ('baseline', 'old', 'new', 'new forced')):44} | {'yes' if fired else 'no':5} | "
            f"{sp['ratio']:7.2f} {sp['verdict']:14} | {sf['ratio']:10.2f} {sf['verdict']:14}"
            + (f" | {row['cudnn_s']*1e3:8.3f}  {k['new']/row['cudnn_s']:9.2f}" if a.cudnn else ""), flush=True)
  if a.json:
    with open(a.json, "w") as f: json.dump({"device": device, "tinygrad": tinygrad_version(), "rows": rows}, f)

if __name__ == "__main__": main()
