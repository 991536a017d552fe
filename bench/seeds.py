"""The seeds' own rule and the peer rule beside baseline, OLD and NEW: tinygrad pull requests run as checkouts, with
their flags as column variables, each (shape, dtype, column) in a fresh process through wino_core.run.run_mode (the
dashboard's own path), then the ratios from this one run.

  python bench/seeds.py --pr12763 DIR --pr16587 DIR [--device CPU] [--dtypes float32,float16] [--repeat 5]
                        [--shapes 1,16,16,32 1,64,64,64 ...] [--unpadded] [--cudnn] [--timeout S] [--json FILE]

DIR: the root of a checkout of refs/pull/12763/head (3ec426afac) / refs/pull/16587/head (a31ad822bc), e.g. one made with
`wino-dash tinygrad add --git CLONE --ref refs/pull/12763/head --name pr-12763` (it lands in <home>/worktrees/pr-12763).
Columns: baseline, old, new (pinned tinygrad 0.14.0); seeds-base = baseline@pr-12763, seeds = baseline@pr-12763+WINO=1
(the seeds' rule), seeds-old = baseline@pr-12763+WINO_OLD=1 (the tensor-level Winograd on that branch), peer =
baseline@pr-16587+WINO_GRAPH=1. --unpadded adds each shape as a valid conv (padding 0, input 2 larger: the same output
size and multiply-adds), where the peer fires. --cudnn times PyTorch's cuDNN conv on the same shapes in the same run.
Per column: kernels, buffers written (intermediates and the output), cold compile (s), kernel time (median ms, summed
over kernels), max rel error, and whether a flagged column's rule changed the conv.
"""
import argparse, json, os, statistics, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wino_core.devices import default_device, tinygrad_version
from wino_core.envs import Env, identity
from wino_core.run import RunSettings, run_mode
from wino_core.spec import parse_spec

SHAPES = [(1, 16, 16, 32), (1, 64, 64, 64), (8, 64, 64, 56), (16, 128, 128, 56), (32, 256, 256, 28), (8, 512, 512, 14)]
COLUMNS = {  # label: (mode, environment, variables)
  "baseline": ("baseline", None, {}), "old": ("old", None, {}), "new": ("new", None, {}),
  "seeds-base": ("baseline", "pr-12763", {}), "seeds": ("baseline", "pr-12763", {"WINO": "1"}),
  "seeds-old": ("baseline", "pr-12763", {"WINO_OLD": "1"}), "peer": ("baseline", "pr-16587", {"WINO_GRAPH": "1"}),
}
RATIOS = [("new", "old"), ("new", "baseline"), ("seeds", "seeds-old"), ("seeds", "seeds-base"), ("new", "seeds"), ("peer", "baseline"), ("new", "peer")]

def summary(r) -> dict:
  kt = (r.kernel_time_s or {}).get("median")
  written = {b for k in r.kernels for b in k.get("writes", [])}
  return {"status": r.status, "kernels": len(r.kernels), "names": [k["name"] for k in r.kernels], "roles": [k["role"] for k in r.kernels],
          "buffers": len(written), "compile_s": r.compile_s, "kernel_ms": kt * 1e3 if kt is not None else None,
          "samples_ms": [s * 1e3 for s in (r.kernel_time_s or {}).get("samples", [])], "max_rel_err": r.max_rel_err,
          "fired": (r.winograd or {}).get("fired"), "message": r.message}

def fmt(x, f) -> str: return "-" if x is None else format(x, f)

def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--pr12763", required=True, metavar="DIR")
  p.add_argument("--pr16587", required=True, metavar="DIR")
  p.add_argument("--device", default=None)
  p.add_argument("--dtypes", default="float32,float16")
  p.add_argument("--repeat", type=int, default=5)
  p.add_argument("--shapes", nargs="*", default=None, help="batch,cin,cout,size (3x3 kernel, padding 1)")
  p.add_argument("--columns", default=",".join(COLUMNS), help=f"a subset of {','.join(COLUMNS)}")
  p.add_argument("--unpadded", action="store_true", help="also each shape as a valid conv (padding 0, input size+2)")
  p.add_argument("--cudnn", action="store_true", help="time PyTorch's cuDNN conv on each shape too (CUDA)")
  p.add_argument("--timeout", type=float, default=900, help="per column (s)")
  p.add_argument("--json", default=None, help="append one JSON line per (shape, dtype, padding)")
  a = p.parse_args()
  envs = {name: Env(name=name, kind="checkout", python=sys.executable, path=os.path.abspath(d)) for name, d in (("pr-12763", a.pr12763), ("pr-16587", a.pr16587))}
  device = a.device or default_device()
  shapes = [tuple(map(int, s.split(","))) for s in a.shapes] if a.shapes else SHAPES
  columns = [c for c in a.columns.split(",") if c]
  print(f"device {device}, tinygrad {tinygrad_version()}, {a.repeat} timed runs after 2 warm-up, each column in a fresh process", flush=True)
  for name, env in envs.items():
    i = identity(env)
    at = f"commit {i['commit']}{' (dirty ' + i['diff_hash'] + ')' if i['dirty'] else ''}" if i["commit"] else f"not in git, files {i['diff_hash']}"
    print(f"  {name}: {env.path}, {at}, tinygrad {i['version']}", flush=True)
  for padding in ((1, 0) if a.unpadded else (1,)):
    for dtype in a.dtypes.split(","):
      for b, cin, cout, size in shapes:
        spec = parse_spec({"batch": b, "cin": cin, "cout": cout, "h": size + 2 - 2 * padding, "w": size + 2 - 2 * padding, "padding": padding, "dtype": dtype})
        print(f"\n== {dtype} {b},{cin},{cout},{size}{'' if padding else ' unpadded (input ' + str(size + 2) + ', padding 0)'}", flush=True)
        print(f"  {'column':11} {'status':8} {'kernels':>7} {'buffers':>7} {'compile s':>9} {'kernel ms':>10} {'max rel err':>11}  note", flush=True)
        row = {"device": device, "dtype": dtype, "shape": [b, cin, cout, size], "padding": padding, "columns": {}}
        for label in columns:
          mode, env, variables = COLUMNS[label]
          r = run_mode(spec, mode, device, settings=RunSettings(timeout_s=a.timeout), repeat=a.repeat, env=envs[env] if env else None, variables=variables)
          s = row["columns"][label] = summary(r)
          print(f"  {label:11} {s['status']:8} {s['kernels']:>7} {s['buffers']:>7} {fmt(s['compile_s'], '9.2f')} {fmt(s['kernel_ms'], '10.3f')} "
                f"{fmt(s['max_rel_err'], '11.1e')}  {s['message'][:160]}", flush=True)
        if a.cudnn:
          from bench.cudnn_anchor import time_conv
          row["cudnn_ms"] = statistics.median(time_conv(spec.to_dict(), 20)) * 1e3
          print(f"  {'cudnn':11} {'ok':8} {'':>7} {'':>7} {'':>9} {row['cudnn_ms']:10.3f}", flush=True)
        cs = row["columns"]
        ratio = lambda k, x, y: (cs[x][k] / cs[y][k]) if x in cs and y in cs and cs[x][k] and cs[y][k] else None
        row["ratios"] = {f"{x}/{y}": {"kernel": ratio("kernel_ms", x, y), "compile": ratio("compile_s", x, y)} for x, y in RATIOS}
        print("  kernel time " + "  ".join(f"{k} {fmt(v['kernel'], '.2f')}" for k, v in row["ratios"].items()), flush=True)
        print("  compile     " + "  ".join(f"{k} {fmt(v['compile'], '.2f')}" for k, v in row["ratios"].items()), flush=True)
        if a.json:
          with open(a.json, "a") as f: f.write(json.dumps(row) + "\n")

if __name__ == "__main__": main()
