"""History's "compare these two": two stored comparisons of one spec as one comparison, so everything that shows a
comparison (its page, verdict, charts, diffs) shows them side by side unchanged."""
from __future__ import annotations

from wino_core.spec import parse_spec

def two_comparisons(cx:dict, cy:dict) -> dict:
  """Two stored comparisons of one spec as one comparison whose columns are mode@A and mode@B (A the older), so the
  result page's kernels, diff, charts and graphs work on them unchanged; the verdict pairs each mode with itself, unpaired
  (`comparison`: their processes ran in different rounds), and pairs whose kernels are identical are its noise reference."""
  if cx["spec"] != cy["spec"]:
    raise ValueError(f"{cx['id']} and {cy['id']} are different convs ({parse_spec(cx['spec']).describe()} vs "
                     f"{parse_spec(cy['spec']).describe()}): only comparisons of the same spec can be put side by side")
  (a, b) = sorted((cx, cy), key=lambda c: c["created"])
  runs = {f"{m}@{tag}": {**r, "device": r.get("device") or c["device"], "tinygrad": r.get("tinygrad") or c["tinygrad"], "comparison": tag}
          for tag, c in (("A", a), ("B", b)) for m, r in c["runs"].items()}
  common = [m for m in a["runs"] if m in b["runs"]]
  return {"id": f"{a['id']} vs {b['id']}", "spec": a["spec"], "device": a["device"], "tinygrad": a["tinygrad"], "runs": runs,
          "created": b["created"], "request": {}, "two": {"A": a, "B": b, "common": common},
          "verdict_pairs": [(f"{m}@B", f"{m}@A") for m in common]}
