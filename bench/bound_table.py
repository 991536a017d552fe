"""Each kernel of a compare_modes.py --json run against the device's peaks (the roofline the result page draws): time,
achieved GB/s and GFLOP/s with their share of the peaks, the bound its arithmetic intensity puts it under (memory or
compute, against the ridge peak FLOP/s / peak bytes/s), the time at that bound and how far the kernel is from it.

  python bench/bound_table.py RUN.json [--model "NVIDIA H200"] [--peak TFLOPS,TB/s] [--modes new] [--markdown]

Bytes and FLOPs are tinygrad's own estimates per kernel (ProgramInfo.estimates: the bytes its loads and stores touch,
the ALU ops), as the page uses them (wino_core.peaks.roofline); times are the medians the run measured. The peaks come
from wino_core.peaks by the run's device model (compare_modes.py records it), or --model; --peak gives them by hand
(e.g. for a CPU, which the table has none for: then only the achieved figures are printed).
"""
import argparse, json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wino_core.peaks import peak_for, roofline

COLUMNS = ("dtype", "B,Cin,Cout,H=W", "mode", "#", "role", "kernel", "time µs", "GB/s", "% BW", "GFLOP/s", "% FLOP", "FLOP/B",
           "bound", "bound µs", "time/bound")
TIME, BOUND = COLUMNS.index("time µs"), COLUMNS.index("bound µs")

def peak_of(run:dict, dtype:str, model:str|None, by_hand:str|None) -> dict|None:
  if by_hand:
    tflops, tbps = (float(x) for x in by_hand.split(","))
    return {"flops": tflops * 1e12, "bytes": tbps * 1e12, "source": f"--peak {by_hand}"}
  return peak_for(model or run.get("device_model"), dtype)

def kernel_rows(run:dict, model:str|None=None, by_hand:str|None=None, modes:list[str]|None=None) -> list[tuple]:
  """One tuple per kernel (COLUMNS), over every row and mode of a compare_modes.py JSON."""
  out = []
  for row in run["rows"]:
    peak = peak_of(run, row["dtype"], model, by_hand)
    for mode, r in row["runs"].items():
      if modes and mode not in modes: continue
      for i, k in enumerate(r.get("kernels") or []):
        t, rf = (k.get("time_s") or {}).get("median"), roofline(k, peak)
        if rf is None:
          out.append((row["dtype"], ",".join(map(str, row["shape"])), mode, i, k.get("role", ""), k.get("name", ""),
                      t and t * 1e6, *([None] * 8)))
          continue
        bound_s = t * rf["of_bound"] if peak else None  # the time the roofline allows: FLOPs / min(peak, bandwidth × intensity)
        out.append((row["dtype"], ",".join(map(str, row["shape"])), mode, i, k.get("role", ""), k["name"], t * 1e6,
                    rf["bytes"] / 1e9, peak and 100 * rf["bytes_share"], rf["flops"] / 1e9, peak and 100 * rf["flops_share"],
                    rf["intensity"], peak and rf["limit"], bound_s and bound_s * 1e6, peak and 1 / rf["of_bound"]))
  return out

def fmt(v) -> str:
  if v is None: return "-"
  if isinstance(v, float): return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
  return str(v)

def main():
  p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  p.add_argument("json", help="the file compare_modes.py --json wrote")
  p.add_argument("--model", default=None, help="the device model to look the peaks up by (default: the run's)")
  p.add_argument("--peak", default=None, metavar="TFLOPS,TB/s", help="peaks by hand, instead of the table's")
  p.add_argument("--modes", default=None, help="only these modes (comma-separated), e.g. new")
  p.add_argument("--markdown", action="store_true", help="a Markdown table")
  a = p.parse_args()
  with open(a.json) as f: run = json.load(f)
  rows = kernel_rows(run, a.model, a.peak, a.modes.split(",") if a.modes else None)
  dtypes = sorted({r["dtype"] for r in run["rows"]})
  peaks = {d: peak_of(run, d, a.model, a.peak) for d in dtypes}
  print(f"device {run.get('device')} ({a.model or run.get('device_model') or 'model unknown'}), tinygrad {run.get('tinygrad')}; peaks: "
        + "; ".join(f"{d} {pk['flops']/1e12:g} TFLOP/s, {pk['bytes']/1e12:g} TB/s ({pk['source']})" if pk else f"{d}: none known (achieved only)"
                    for d, pk in peaks.items()))
  cells = [[fmt(v) for v in r] for r in rows]
  if a.markdown:
    print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS))
    for c in cells: print("| " + " | ".join(c) + " |")
  else:
    w = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(COLUMNS)]
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(COLUMNS)))
    for c in cells: print("  ".join(v.ljust(w[i]) for i, v in enumerate(c)))
  # per run: its kernels' time against the sum of their bound times (how far the whole conv is from the roofline)
  runs: dict[tuple, list] = {}
  for r in rows: runs.setdefault(r[:3], []).append(r)
  print()
  for (dtype, shape, mode), ks in runs.items():
    t, b = sum(k[TIME] or 0 for k in ks), sum(k[BOUND] or 0 for k in ks)
    print(f"{dtype} {shape} {mode}: {t:.1f} µs over {len(ks)} kernel{'s' if len(ks) != 1 else ''}"
          + (f", {b:.1f} µs at their bounds ({t / b:.1f}x)" if b and all(k[BOUND] for k in ks) else ""))

if __name__ == "__main__": main()
