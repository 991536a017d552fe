"""The speed verdict's machinery on a device (issue 28): the default conv compared with every mode timed in several
interleaved processes, twice (a comparison and its re-run), then the two put side by side as "compare these two" does.

  python bench/noise_check.py [--device CUDA] [--processes 5] [--repeat 10]

Prints per comparison each mode's process medians (ms, by round) and whether every timing-only process ran (they load
the first process's pickled kernels: on a GPU, its binaries), the verdict line and the machine record (GPU clocks on
NVIDIA); then the side by side's pairs (identical kernels: "same kernels", the noise reference). Exits 1 when a
timing-only process failed or a mode kept fewer processes than asked."""
import argparse, json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wino_core.compare import compare, parse_request
from wino_core.run import RunSettings
from wino_core.two_comparisons import two_comparisons
from wino_core.verdict import summary_line, verdict

def main() -> int:
  p = argparse.ArgumentParser()
  p.add_argument("--device", default=None)
  p.add_argument("--processes", type=int, default=5)
  p.add_argument("--repeat", type=int, default=10)
  a = p.parse_args()
  body = {"spec": {"batch": 1, "cin": 16, "cout": 16, "h": 32, "w": 32, "padding": 1}, "modes": ["baseline", "old", "new"],
          "repeat": a.repeat, **({"device": a.device} if a.device else {})}
  ok, stored = True, []
  for rerun in (0, 1):
    req = parse_request({**body, "rerun": rerun})
    c = {**compare(req, RunSettings(processes=a.processes, memory_mb=None)), "id": req.id, "created": float(rerun)}
    stored.append(c)
    print(f"== {req.id} ({'re-run' if rerun else 'first'}) on {req.device}")
    for m, r in c["runs"].items():
      kt, failed = r.get("kernel_time_s") or {}, [x["failed"] for x in r.get("machine", []) if "failed" in x]
      medians = [round(sorted(g)[len(g) // 2] * 1e3, 4) for g in kt.get("processes", [])]
      print(f"  {m}: {r['status']} rounds {kt.get('rounds')} process medians {medians} ms{'; FAILED: ' + '; '.join(failed) if failed else ''}")
      clocks = [x.get("gpu_clocks") for x in r.get("machine", []) if x.get("gpu_clocks")]
      if clocks: print(f"    GPU clocks after each process: {json.dumps(clocks)}")
      ok &= r["status"] == "ok" and not failed and len(medians) == a.processes
    v = verdict(c)
    print("  " + summary_line(v))
    print(f"  machine: {json.dumps(v['machine'])}")
  v = verdict(two_comparisons(*stored))
  print("== compare these two")
  for s in v["speedups"]: print(f"  {s['a']} vs {s['b']}: {s['ratio']:.2f}x {s['verdict']} (interval {s['interval'][0]:.2f}-{s['interval'][1]:.2f})")
  print(f"  noise reference: {v['reference']}")
  return 0 if ok else 1

if __name__ == "__main__": sys.exit(main())
