"""NEW: Winograd F(4x4,3x3) as a rewrite rule on tinygrad 0.14.0's rangeified graph (Lavin & Gray, arXiv:1509.09308).

After `run_rangeify` a stride-1, dilation-1 3x3 conv is one REDUCE(ADD) over (cin, ky, kx) of
x[b, cin, oy+ky, ox+kx] * w[co, cin, ky, kx]; the rule replaces it with Y = At [(G g Gt) ⊙ (Bt d B)] A per 4x4 tile.
  transforms.py  the matrices Bt, G, At and kron, which applies one to a tile of UOps
  match.py       is this REDUCE such a conv? (-> Conv: its operands, windows and ranges, or why not)
  stages.py      the four stages: XHAT = Bt d B, GHAT = G g Gt, MHAT = sum_cin XHAT*GHAT, out = At M A
  layout.py      per device class: each buffer's axis order and loop order, storage dtype, cost model
  opts.py        the opts the rule pins on the transform kernels (GPUs)
  rewrite.py     the rule itself (pm_winograd): match, cost model, the stages, the report
  install.py     new_winograd(): the rule installed around tinygrad's run_rangeify
  report.py      what it did (WinogradReport, GraphReport, Rewrite)
This package is the only part of wino_core that rewrites tinygrad's graph; it imports only tinygrad."""
from wino_core.winograd.transforms import G, Bt, At, kron
from wino_core.winograd.layout import LAYOUTS, Layout, Order, layout_for
from wino_core.winograd.report import GraphReport, Rewrite, WinogradReport
from wino_core.winograd.rewrite import pm_winograd
from wino_core.winograd.install import new_winograd

__all__ = ["G", "Bt", "At", "kron", "pm_winograd", "new_winograd", "WinogradReport", "GraphReport", "Rewrite", "LAYOUTS", "Layout",
           "Order", "layout_for"]
