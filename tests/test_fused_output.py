"""NEW's "gpu-fused" layout (Layout.fuse_output): the product and the output transform in one kernel, no MHAT. Checked on
the CPU against the float64 reference, and rendered (not run) for CUDA sm_90 to see that the fused kernel keeps the
tensor cores in float16 with each tile's 4x4 outputs upcast."""
import numpy as np
import pytest
from tinygrad import Tensor, dtypes
from tinygrad.helpers import Target
from tinygrad.uop.ops import Ops
import wino_core.winograd.install as install
from tinygrad.codegen.opt import OptOps
from wino_core.winograd import new_winograd
from wino_core.reference import conv2d_reference, max_errors
from test_winograd import inputs, conv, ref_padding

FUSED = [
  # batch, cin, cout, h, w, padding, groups, bias: outputs a multiple of 4 high and wide (fused)
  (1, 4, 8, 12, 12, 1, 1, False),
  (2, 3, 5, 8, 8, 1, 1, True),        # bias
  (2, 3, 5, 10, 10, 0, 1, False),     # padding 0: the input's last row and column are no tile's start
  (2, 4, 6, 8, 8, 1, 2, False),       # groups
  (2, 4, 16, 8, 8, 1, 2, True),       # groups with a bias: tinygrad gives (group, cout) one range
  (2, 6, 6, 8, 8, 1, 6, True),        # depthwise: no cin to reduce
]

@pytest.mark.parametrize("batch,cin,cout,h,w,padding,groups,bias", FUSED)
def test_fused_is_one_kernel_and_right(batch, cin, cout, h, w, padding, groups, bias):
  x, wt, b = inputs(batch, cin, cout, h, w, groups=groups, bias=bias)
  kernels, out, report = conv("new", x, wt, b, layout="gpu-fused", padding=padding, groups=groups)
  assert report.fired and len(kernels) == 3 and set(report.rewrites[0].stages) == {"XHAT", "GHAT"}, kernels
  assert max_errors(out, conv2d_reference(x, wt, b, padding=ref_padding(padding), groups=groups))[1] <= 1e-4

def test_output_not_a_multiple_of_4_keeps_mhat():
  # 9x7 outputs: tinygrad does not split oy, ox in 4, so a fused kernel would redo each tile's product per output
  x, wt, b = inputs(2, 3, 5, 9, 7, bias=True)
  kernels, out, report = conv("new", x, wt, b, layout="gpu-fused", padding=1)
  assert report.fired and len(kernels) == 4 and "MHAT" in report.rewrites[0].stages
  assert max_errors(out, conv2d_reference(x, wt, b, padding=(1,)*4))[1] <= 1e-4

def test_fused_float16_no_worse_than_twice_old():
  x, wt, _ = inputs(2, 8, 8, 12, 12, dtype=np.float16)
  ref = conv2d_reference(x, wt, padding=(1,)*4)
  _, old, _ = conv("old", x, wt, None, dtype=dtypes.half, padding=1)
  kernels, new, report = conv("new", x, wt, None, dtype=dtypes.half, layout="gpu-fused", padding=1)
  assert report.fired and len(kernels) == 3
  assert max_errors(new, ref)[1] <= 2 * max_errors(old, ref)[1]

def cuda_sources(monkeypatch, layout, b, cin, cout, s):
  """NEW's kernels of a float16 conv scheduled on the CPU with its GPU pins, rendered for CUDA sm_90 (nothing compiled):
  [(applied opts, source)]"""
  from tinygrad.renderer.cstyle import CUDARenderer
  from tinygrad.uop.ops import ProgramInfo, UOp
  from tinygrad.codegen import full_rewrite_to_sink, do_linearize
  import tinygrad.runtime.support.compiler_cuda as cc
  monkeypatch.setattr(cc.NVRTCCompiler, "__init__", lambda self, *a, **k: None)  # no nvrtc here: render only
  ren = CUDARenderer(Target("CUDA", "CUDA", "sm_90"))
  monkeypatch.setattr(install, "_has_local", lambda device: True)  # scheduled on the CPU, pinned as on a GPU
  monkeypatch.setattr(install, "_renderer", lambda device: ren)
  x, w = Tensor.empty(b, cin, s, s, dtype=dtypes.half), Tensor.empty(cout, cin, 3, 3, dtype=dtypes.half)
  with new_winograd(layout, force=True): linear, _ = x.conv2d(w, padding=1).linear_with_vars()
  ret = []
  for call in (c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK):
    sink = full_rewrite_to_sink(call.src[0], ren, optimize=True)
    prg = do_linearize(ren, UOp(Ops.PROGRAM, src=(sink,), arg=ProgramInfo.from_sink(sink, ren.target)), sink)
    ret.append((sink.arg.applied_opts, ren.render(list(prg.src[1].src))))
  return ret

def test_fused_kernel_keeps_tensor_cores_on_cuda(monkeypatch):
  kernels = cuda_sources(monkeypatch, "gpu-fused", 2, 32, 32, 32)
  assert len(kernels) == 3
  opts, src = kernels[-1]  # the fused product and output: WMMA, the 4x4 outputs of a tile upcast, MHAT nowhere
  assert opts[0].op is OptOps.TC and [o.arg for o in opts[1:3]] == [0, 0] and "mma.sync" in src
  assert src.count("half* data") == 3  # the output, XHAT, GHAT

def test_fused_only_where_it_keeps_tensor_cores_on_cuda(monkeypatch):
  # 4 tiles across: the TC's M (16) would pad them more than 4x, which postrange refuses; fused, the kernel would run
  # tinygrad's heuristics (no TC), so NEW keeps MHAT there
  assert len(cuda_sources(monkeypatch, "gpu-fused", 2, 32, 32, 16)) == 4
