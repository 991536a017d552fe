"""baseline vs OLD vs NEW on the issue's six shapes, float32 and float16, on one device: each (shape, dtype, mode) in a
fresh process through wino_core.run.run_mode (the same path the dashboard uses), then the ratios from this one run.

  python bench/compare_modes.py [--device CPU] [--dtypes float32,float16,bfloat16] [--repeat 10] [--shapes 1,16,16,32 8,64,64,56]
                                [--beam N [--beam-seed] [--search-cache FILE] [--search-budget S]] [--noopt]

Prints per shape: cold compile (s), kernel time (median of --repeat runs after 2 warm-up runs, summed over kernels, ms),
kernel count, NEW/OLD and NEW/baseline for kernel time and compile time, NEW's max rel error. --json FILE keeps everything.
With --beam N every kernel is BEAM-searched first (a phase of its own, not in the compile time; the search seconds per
mode are printed, "(cached)" when every kernel came from the search cache); --beam-seed starts each kernel's search from
its own opts (NEW's pins, else tinygrad's heuristics) instead of the bare kernel, for every mode.
"""
import argparse, json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from app.cli import search_request
from wino_core.devices import default_device, device_model, tinygrad_version
from wino_core.run import RunSettings, run_mode
from wino_core.search import parse_search, user_cache_path
from wino_core.spec import parse_spec

SHAPES = [(1, 16, 16, 32), (1, 64, 64, 64), (8, 64, 64, 56), (16, 128, 128, 56), (32, 256, 256, 28), (8, 512, 512, 14)]
MODES = ("baseline", "old", "new")

def main():
  p = argparse.ArgumentParser()
  p.add_argument("--device", default=None)
  p.add_argument("--dtypes", default="float32,float16", help="any of float32, float16, bfloat16")
  p.add_argument("--repeat", type=int, default=10)
  p.add_argument("--shapes", nargs="*", default=None, help="batch,cin,cout,size (3x3 kernel, padding 1)")
  p.add_argument("--json", default=None)
  p.add_argument("--beam", type=int, default=0, help="BEAM=N search for every kernel (results kept in --search-cache)")
  p.add_argument("--beam-seed", action="store_true", help="with --beam: each kernel's search starts from its own opts (NEW's pins, else the heuristics)")
  p.add_argument("--noopt", action="store_true", help="no optimizations (NOOPT)")
  p.add_argument("--search-cache", default=None, help="default: $WINO_DASH_SEARCH_CACHE, else ~/.cache/wino-dash")
  p.add_argument("--search-budget", type=float, default=3600)
  a = p.parse_args()
  search = parse_search(search_request(a))
  settings = RunSettings(timeout_s=1200, memory_mb=None, search_cache=a.search_cache or user_cache_path(), search_budget_s=a.search_budget)
  device = a.device or default_device()
  shapes = [tuple(map(int, s.split(","))) for s in a.shapes] if a.shapes else SHAPES
  rows = []
  print(f"device {device}, tinygrad {tinygrad_version()}, opts: {search.label}, {a.repeat} timed runs after 2 warm-up, each mode in a fresh process", flush=True)
  print(f"{'dtype':8} {'B,Cin,Cout,H=W':16} | {'compile s (base/old/new)':26} | {'kernel ms (base/old/new)':30} | {'kernels':8} | "
        f"{'NEW/OLD':>7} {'NEW/base':>8} | {'compile NEW/OLD':>15} | {'max rel err new':>15}", flush=True)
  for dtype in a.dtypes.split(","):
    for shape in shapes:
      spec = parse_spec({"batch": shape[0], "cin": shape[1], "cout": shape[2], "h": shape[3], "w": shape[3], "padding": 1, "dtype": dtype})
      runs = {m: run_mode(spec, m, device, settings=settings, repeat=a.repeat, search=search) for m in MODES}
      rows.append({"dtype": dtype, "shape": shape, "runs": {m: r.to_dict() for m, r in runs.items()}})
      if any(not r.ok for r in runs.values()):
        print(f"{dtype:8} {','.join(map(str, shape)):16} | " + "; ".join(f"{m}: {r.status} {r.message}" for m, r in runs.items()), flush=True)
        continue
      k = {m: r.kernel_time_s["median"] for m, r in runs.items()}
      c = {m: r.compile_s for m, r in runs.items()}
      print(f"{dtype:8} {','.join(map(str, shape)):16} | {' / '.join(f'{c[m]:.2f}' for m in MODES):26} | "
            f"{' / '.join(f'{k[m]*1e3:.3f}' for m in MODES):30} | {'/'.join(str(len(runs[m].kernels)) for m in MODES):8} | "
            f"{k['new']/k['old']:7.2f} {k['new']/k['baseline']:8.2f} | {c['new']/c['old']:15.2f} | {runs['new'].max_rel_err:15.2e}"
            + (" | search s " + " / ".join(_search_text(runs[m]) for m in MODES) if search.beam else ""), flush=True)
  if a.json:
    with open(a.json, "w") as f: json.dump({"device": device, "device_model": device_model(device), "tinygrad": tinygrad_version(), "search": search.to_dict(), "rows": rows}, f)

def _search_text(r) -> str:
  cached = all(k.get("search", {}).get("state") == "reused" for k in r.kernels)
  return f"{r.compile_split_s.get('search', 0):.1f}" + (" (cached)" if cached else "")

if __name__ == "__main__": main()
