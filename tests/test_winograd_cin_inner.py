"""NEW's gpu-cin layout (cin innermost in XHAT and GHAT, so the product's tensor-core fragments, which run along cin,
load contiguous pairs): right on the CPU for every conv NEW takes, and, lowered for CUDA sm_90 without a GPU
(bench/load_widths.py), its float16 product loads 4 bytes at a time where the gpu layout's loads 2, on tensor cores."""
import os, sys
import numpy as np
import pytest
from tinygrad import dtypes
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_winograd import FIRES, conv, inputs, ref_padding
from wino_core.reference import conv2d_reference, max_errors

ODD = (2, 12, 10, 11, 13, 1, 1, False)  # cin a multiple of 4 (the input transform's cin vector), odd sizes

@pytest.mark.parametrize("batch,cin,cout,h,w,padding,groups,bias,dtype",
                         [(*c, "float32") for c in (FIRES[0], FIRES[2], FIRES[3], FIRES[6], FIRES[7], FIRES[8], ODD)] +
                         [(*c, "float16") for c in (FIRES[0], ODD)])
def test_cin_inner_layout_is_right(batch, cin, cout, h, w, padding, groups, bias, dtype):
  """batch > 1, odd sizes, cin not a multiple of 4, padding 0 and asymmetric, groups, depthwise; float16 within the
  gpu layout's error (the same stored dtypes, another order of the same sums)"""
  x, wt, b = inputs(batch, cin, cout, h, w, groups=groups, bias=bias, dtype=np.float16 if dtype == "float16" else np.float32)
  ref = conv2d_reference(x, wt, b, padding=ref_padding(padding), groups=groups)
  kernels, out, report = conv("new", x, wt, b, dtype=getattr(dtypes, dtype), layout="gpu-cin", padding=padding, groups=groups)
  assert report.fired and len(kernels) == 4
  if dtype == "float32": assert max_errors(out, ref)[1] <= 1e-4
  else:
    _, gpu, _ = conv("new", x, wt, b, dtype=dtypes.half, layout="gpu", padding=padding, groups=groups)
    assert max_errors(out, ref)[1] <= 2 * max(max_errors(gpu, ref)[1], 1e-3)

def test_cin_is_the_innermost_axis_of_xhat_and_ghat():
  # batch 2, cin 5, cout 7, 9x9 -> 3x3 tiles: every axis has a size of its own
  x, wt, _ = inputs(2, 5, 7, 9, 9)
  sizes = lambda stage: [int(r.vmax)+1 for r in stage.src[1:]]
  for layout, xhat, ghat in (("gpu", [6, 6, 5, 2, 3, 3], [6, 6, 5, 7]), ("gpu-cin", [6, 6, 2, 3, 3, 5], [6, 6, 7, 5])):
    stages = conv("new", x, wt, None, layout=layout, padding=1)[2].rewrites[0].stages
    assert (sizes(stages["XHAT"]), sizes(stages["GHAT"]), sizes(stages["MHAT"])) == (xhat, ghat, [6, 6, 7, 2, 3, 3]), layout

def test_product_loads_pairs_along_cin_for_cuda(monkeypatch):
  """scheduled here with the pins a GPU gets, lowered for CUDA sm_90 (nothing compiled): the float16 product's XHAT and
  GHAT loads are 2-byte gathers in the gpu layout and 4-byte pairs along cin in gpu-cin, both on tensor cores"""
  sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
  import load_widths
  ren = load_widths.renderer()
  widths = {}
  for layout in ("gpu", "gpu-cin"):
    monkeypatch.setenv("WINO_DASH_NEW_LAYOUT", layout)
    product = load_widths.asts((2, 32, 32, 16), "float16", "new", force=True)[2]
    acc = load_widths.accesses(load_widths.lower(product, ren)[1])
    assert acc["wmma"]["count"][0] > 0, layout
    widths[layout] = {key: set(c["width"]) for key, c in acc.items() if key.startswith("load")}
  assert widths == {"gpu": {"load data1": {2}, "load data2": {2}}, "gpu-cin": {"load data1": {4}, "load data2": {4}}}
