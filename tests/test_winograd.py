"""NEW (wino_core.winograd): where it fires, that it is right, where it leaves tinygrad alone, and how it installs.
Small shapes on CPU; every conv is checked against the float64 numpy reference."""
import json, math, re
import numpy as np
import pytest
from tinygrad import Tensor, dtypes
from tinygrad.helpers import Context, ansistrip
from tinygrad.engine.realize import compile_linear, run_linear
from tinygrad.uop.ops import Ops, UOp
import tinygrad.schedule.rangeify as rangeify
from wino_core.winograd import LAYOUTS, new_winograd, G, Bt, At
from wino_core.reference import conv2d_reference, max_errors

def inputs(batch, cin, cout, h, w, kernel=(3, 3), groups=1, bias=False, seed=0, dtype=np.float32):
  rng = np.random.default_rng(seed)
  x = rng.standard_normal((batch, cin, h, w)).astype(dtype)
  wt = rng.standard_normal((cout, cin//groups, *kernel)).astype(dtype)
  return x, wt, (rng.standard_normal(cout).astype(dtype) if bias else None)

def realize(out:Tensor) -> tuple[list[tuple[str, str]], np.ndarray]:
  """schedule, compile and run `out`; return its kernels (name, source) and its value"""
  linear, var_vals = out.linear_with_vars()
  linear = compile_linear(linear)
  run_linear(linear, var_vals)
  programs = [c.src[0] for c in linear.src if c.src[0].op is Ops.PROGRAM]
  kernels = [(ansistrip(p.arg.name), next(s.arg for s in p.src if s.op is Ops.SOURCE)) for p in programs]
  return kernels, out.numpy()

def tensors(x, wt, b, dtype=dtypes.float):
  return Tensor(x, dtype=dtype), Tensor(wt, dtype=dtype), (None if b is None else Tensor(b, dtype=dtype))

def ref_padding(padding):
  """tinygrad's conv2d padding (int, or (left, right, top, bottom)) as the reference's (top, bottom, left, right)"""
  if isinstance(padding, int): return (padding,)*4
  left, right, top, bottom = padding
  return (top, bottom, left, right)

def conv(mode, x, wt, b, dtype=dtypes.float, layout=None, force=True, **kw):
  """one conv under mode baseline / old / new: (kernels, output, report or None). These shapes are small: NEW is
  forced past its cost model unless a test says otherwise."""
  xt, wtt, bt = tensors(x, wt, b, dtype)
  if mode == "new":
    with new_winograd(layout, force=force) as report: kernels, out = realize(xt.conv2d(wtt, bt, **kw))
    return kernels, out, report
  with Context(WINO=int(mode == "old")): kernels, out = realize(xt.conv2d(wtt, bt, **kw))
  return kernels, out, None

# *** the math ***

def test_matrices_compute_a_3x3_correlation():
  rng = np.random.default_rng(1)
  d, g = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
  G_, Bt_, At_ = np.array(G), np.array(Bt), np.array(At)
  y = At_ @ ((G_ @ g @ G_.T) * (Bt_ @ d @ Bt_.T)) @ At_.T
  direct = np.array([[np.sum(d[u:u+3, v:v+3]*g) for v in range(4)] for u in range(4)])
  np.testing.assert_allclose(y, direct, rtol=1e-10, atol=1e-10)

# *** where it fires: every 2-D 3x3 stride-1 dilation-1 conv ***

FIRES = [
  # batch, cin, cout, h, w, padding, groups, bias
  (3, 5, 7, 13, 9, 2, 1, True),            # cin != cout, odd sizes, padding 2, bias
  (1, 4, 8, 12, 12, 1, 1, False),          # square, multiple of 4 after padding
  (2, 3, 5, 9, 7, 0, 1, False),            # padding 0: the last tiles overhang the image
  (1, 4, 4, 10, 11, (0, 2, 1, 0), 1, False),  # asymmetric: (left, right, top, bottom)
  (2, 3, 6, 7, 10, (2, 1, 0, 3), 1, True),
  (1, 2, 3, 5, 14, 1, 1, False),           # rectangular
  (2, 4, 6, 9, 7, 1, 2, False),            # groups
  (2, 4, 16, 9, 7, 1, 2, True),            # groups with a bias: tinygrad gives (group, cout) one range
  (2, 6, 6, 9, 7, 1, 6, True),             # depthwise
  (1, 1, 1, 6, 6, 0, 1, False),            # one channel, one 4x4 tile
  (1, 8, 8, 16, 16, 1, 1, True),
]

@pytest.mark.parametrize("batch,cin,cout,h,w,padding,groups,bias", FIRES)
def test_fires_and_matches_reference(batch, cin, cout, h, w, padding, groups, bias):
  x, wt, b = inputs(batch, cin, cout, h, w, groups=groups, bias=bias)
  kernels, out, report = conv("new", x, wt, b, padding=padding, groups=groups)
  ref = conv2d_reference(x, wt, b, padding=ref_padding(padding), groups=groups)
  assert out.shape == ref.shape
  assert max_errors(out, ref)[1] <= 1e-4
  assert report.fired and report.reason is None and len(report.rewrites) == 1
  # XHAT, GHAT, MHAT and the output: the 6x6 transforms show in the kernel names
  assert len(kernels) == 4, [n for n, _ in kernels]
  assert sum(n.endswith("_6_6") for n, _ in kernels[:2]) == 2, [n for n, _ in kernels]
  oh, ow = ref.shape[2:]
  # XHAT holds 36 values per (batch, cin, tile), GHAT per (cout, cin of its group): an elementwise kernel's name is its loop
  written = sorted(math.prod(int(d) for d in n.split("_")[1:]) for n, _ in kernels[:2])
  assert written == sorted([batch*cin*math.ceil(oh/4)*math.ceil(ow/4)*36, cout*(cin//groups)*36]), [n for n, _ in kernels]
  assert report.rewrites[0].tiles == {"batch": batch, "groups": groups, "cin": cin, "cout": cout,
                                      "tiles_y": math.ceil(oh/4), "tiles_x": math.ceil(ow/4), "out_h": oh, "out_w": ow}

@pytest.mark.parametrize("batch,cin,cout,h,w,padding", [(1, 4, 6, 12, 10, 1), (2, 3, 5, 9, 7, 0)])
def test_float16_no_worse_than_twice_old(batch, cin, cout, h, w, padding):
  x, wt, _ = inputs(batch, cin, cout, h, w, dtype=np.float16)
  ref = conv2d_reference(x, wt, padding=ref_padding(padding))
  _, new, report = conv("new", x, wt, None, dtype=dtypes.half, padding=padding)
  _, old, _ = conv("old", x, wt, None, dtype=dtypes.half, padding=padding)
  assert report.fired and new.dtype == np.float16
  assert "CAST" in report.rewrites[0].description  # it saw through half MUL -> CAST -> float REDUCE
  assert max_errors(new, ref)[1] <= 2 * max_errors(old, ref)[1]

# *** where it does not fire: the kernels are exactly baseline's, and it says why ***

NOT_FIRING = [
  # name, x shape, w shape, conv2d kwargs, a word the reason must contain
  ("stride 2", (1, 3, 9, 9), (4, 3, 3, 3), {"stride": 2, "padding": 1}, "stride 2"),
  ("dilation 2", (1, 3, 9, 9), (4, 3, 3, 3), {"dilation": 2}, "dilation 2"),
  ("5x5", (1, 3, 9, 9), (4, 3, 5, 5), {"padding": 2}, "kernel 5x5"),
  ("1x1", (1, 3, 9, 9), (4, 3, 1, 1), {}, "no sliding window"),
  ("1-D", (2, 3, 11), (4, 3, 3), {"padding": 1}, "1-D"),
  ("3-D", (1, 2, 6, 6, 6), (3, 2, 3, 3, 3), {"padding": 1}, "3-D"),
]

@pytest.mark.parametrize("name,xs,ws,kw,word", NOT_FIRING, ids=[c[0] for c in NOT_FIRING])
def test_does_not_fire_and_leaves_kernels_alone(name, xs, ws, kw, word):
  rng = np.random.default_rng(2)
  x, wt = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
  base_kernels, base, _ = conv("baseline", x, wt, None, **kw)
  new_kernels, new, report = conv("new", x, wt, None, **kw)
  assert not report.fired and report.rewrites == []
  assert word in report.reason and report.reason.startswith("NEW does not apply: ")
  assert new_kernels == base_kernels  # names and sources
  np.testing.assert_array_equal(new, base)

def test_integer_conv_is_refused():
  # F(4x4,3x3)'s G has 1/4 and 1/6: in int32 they truncate and NEW's result was off by ~11x the output's scale
  rng = np.random.default_rng(3)
  x, wt = rng.integers(-8, 8, (1, 16, 32, 32)).astype(np.int32), rng.integers(-8, 8, (16, 16, 3, 3)).astype(np.int32)
  base_kernels, base, _ = conv("baseline", x, wt, None, dtype=dtypes.int32, padding=1)
  new_kernels, new, report = conv("new", x, wt, None, dtype=dtypes.int32, padding=1)
  assert not report.fired and "int" in report.reason and "fractional" in report.reason
  assert new_kernels == base_kernels
  np.testing.assert_array_equal(new, base)
  np.testing.assert_array_equal(new, conv2d_reference(x, wt, padding=(1,)*4))

def test_matmul_does_not_fire():
  a, b = Tensor.randn(8, 16).realize(), Tensor.randn(16, 4).realize()
  base_kernels, _ = realize(a @ b)
  with new_winograd(force=True) as report: kernels, _ = realize(a @ b)
  assert not report.fired and "no sliding window" in report.reason and kernels == base_kernels

# *** the cost model, and the layouts ***

def test_cost_model_leaves_small_convs_to_the_direct_conv():
  x, wt, _ = inputs(1, 2, 2, 6, 6)
  base, _, _ = conv("baseline", x, wt, None, padding=1)
  kernels, out, report = conv("new", x, wt, None, padding=1, force=False)
  assert not report.fired and "falls back to the direct conv" in report.reason and "FLOPs" in report.reason
  assert kernels == base
  kernels, out, report = conv("new", x, wt, None, padding=1, force=True)
  assert report.fired and len(kernels) == 4
  assert max_errors(out, conv2d_reference(x, wt, padding=(1,)*4))[1] <= 1e-4

def test_gpu_cost_model_leaves_few_input_channels_to_the_direct_conv():
  """Over the gpu layout's FLOP threshold, but 3 input channels (an RGB stem): the transforms cost more than they save."""
  x, wt, _ = inputs(1, 3, 96, 128, 128)
  assert 2 * 96 * 128 * 128 * 3 * 9 >= LAYOUTS["gpu"].min_flops
  base, _, _ = conv("baseline", x, wt, None, padding=1)
  kernels, _, report = conv("new", x, wt, None, layout="gpu", padding=1, force=False)
  assert not report.fired and "3 input channels per group" in report.reason and kernels == base

@pytest.mark.parametrize("batch,cin,cout,h,w,padding,groups,bias", [FIRES[0], FIRES[3], FIRES[6], FIRES[7]])
def test_gpu_layout_is_right_too(batch, cin, cout, h, w, padding, groups, bias):
  """The layout GPUs get ((i, j) outermost, tiles contiguous), checked here on the CPU."""
  x, wt, b = inputs(batch, cin, cout, h, w, groups=groups, bias=bias)
  kernels, out, report = conv("new", x, wt, b, layout="gpu", padding=padding, groups=groups)
  assert report.fired and len(kernels) == 4
  assert max_errors(out, conv2d_reference(x, wt, b, padding=ref_padding(padding), groups=groups))[1] <= 1e-4

def test_gpu_layout_float16_stores_half_and_stays_within_twice_old():
  x, wt, _ = inputs(1, 8, 8, 12, 12, dtype=np.float16)
  ref = conv2d_reference(x, wt, padding=(1,)*4)
  _, old, _ = conv("old", x, wt, None, dtype=dtypes.half, padding=1)
  kernels, new, report = conv("new", x, wt, None, dtype=dtypes.half, layout="gpu", padding=1)
  # XHAT, GHAT, MHAT: does the kernel write (its first parameter, data0) floats?
  stores_float = lambda kernels: [bool(re.search(r"\bfloat\*\s*(restrict\s+|__restrict__\s+)?data0", src)) for _, src in kernels[:3]]
  assert report.fired and stores_float(kernels) == [False]*3
  assert stores_float(conv("new", x, wt, None, dtype=dtypes.half, layout="cpu", padding=1)[0]) == [True]*3
  assert max_errors(new, ref)[1] <= 2 * max_errors(old, ref)[1]

# *** as part of a larger graph ***

def test_conv_bias_relu():
  x, wt, b = inputs(2, 3, 5, 10, 9, bias=True)
  xt, wtt, bt = tensors(x, wt, b)
  with new_winograd(force=True) as report: kernels, out = realize(xt.conv2d(wtt, bt, padding=1).relu())
  assert report.fired and len(kernels) == 4  # bias and relu fuse into the output kernel
  assert max_errors(out, np.maximum(conv2d_reference(x, wt, b, padding=(1,)*4), 0))[1] <= 1e-4

def test_two_stacked_convs():
  x, w1, _ = inputs(1, 3, 6, 11, 10)
  w2 = np.random.default_rng(3).standard_normal((4, 6, 3, 3)).astype(np.float32)
  xt, w1t, w2t = Tensor(x), Tensor(w1), Tensor(w2)
  with new_winograd(force=True) as report: kernels, out = realize(xt.conv2d(w1t, padding=1).relu().conv2d(w2t))
  assert len(report.rewrites) == 2 and report.rewrites[0].tiles["cout"] != report.rewrites[1].tiles["cout"]
  assert sum(n.endswith("_6_6") for n, _ in kernels) >= 4  # an XHAT and a GHAT per conv
  ref = conv2d_reference(np.maximum(conv2d_reference(x, w1, padding=(1,)*4), 0), w2)
  assert max_errors(out, ref)[1] <= 1e-4

def test_two_convs_of_one_input():
  # rangeify stages the shared input view with the window inside it: the rule must read through it
  x, w1, _ = inputs(2, 4, 5, 10, 9)
  w2 = np.random.default_rng(4).standard_normal((5, 4, 3, 3)).astype(np.float32)
  xt = Tensor(x)
  with new_winograd(force=True) as report: _, out = realize(xt.conv2d(Tensor(w1), padding=1) + xt.conv2d(Tensor(w2), padding=1))
  assert len(report.rewrites) == 2
  assert max_errors(out, conv2d_reference(x, w1, padding=(1,)*4) + conv2d_reference(x, w2, padding=(1,)*4))[1] <= 1e-4

def test_conv_of_a_computed_input():
  x, wt, _ = inputs(2, 3, 4, 9, 9)
  xt, wtt, _ = tensors(x, wt, None)
  with new_winograd(force=True) as report: _, out = realize((xt*2+1).conv2d(wtt, padding=1))
  assert report.fired
  assert max_errors(out, conv2d_reference(x.astype(np.float64)*2+1, wt, padding=(1,)*4))[1] <= 1e-4

# *** installing: schedule cache, restoring run_rangeify, the report ***

def test_schedule_cache_is_not_poisoned():
  # the same conv, one process: baseline, NEW, baseline, NEW. tinygrad's schedule cache is keyed on the tensor graph,
  # so without care the second and third runs would reuse the first and second schedules
  x, wt, _ = inputs(1, 3, 4, 9, 9)
  ref = conv2d_reference(x, wt, padding=(1,)*4)
  for mode, n_kernels in [("baseline", 1), ("new", 4), ("baseline", 1), ("new", 4)]:
    kernels, out, report = conv(mode, x, wt, None, padding=1)
    assert len(kernels) == n_kernels, (mode, [n for n, _ in kernels])
    assert report is None or report.fired
    assert max_errors(out, ref)[1] <= 1e-4

def test_restores_run_rangeify_exactly():
  original = rangeify.run_rangeify
  with new_winograd():
    assert rangeify.run_rangeify is not original
  assert rangeify.run_rangeify is original
  with pytest.raises(ZeroDivisionError):
    with new_winograd(): 1/0
  assert rangeify.run_rangeify is original
  with new_winograd():
    installed = rangeify.run_rangeify
    with pytest.raises(RuntimeError):
      with new_winograd(): pass
    assert rangeify.run_rangeify is installed
  assert rangeify.run_rangeify is original

def test_report():
  x, wt, b = inputs(1, 2, 3, 6, 7, bias=True)
  xt, wtt, bt = tensors(x, wt, b)
  with new_winograd(force=True) as report:
    realize(xt.conv2d(wtt, bt, padding=1))
    realize(xt + 1)  # a second graph, with nothing to rewrite
  assert len(report.graphs) == 2 and report.graphs[0].fired and not report.graphs[1].fired
  assert "no REDUCE" in report.graphs[1].reason
  rw = report.rewrites[0]
  assert isinstance(rw.before, UOp) and rw.before.op is Ops.REDUCE and isinstance(rw.after, UOp)
  assert rw.before.op not in {u.op for u in rw.after.toposort(gate=lambda u: u.op is not Ops.STAGE)}  # the REDUCE moved into MHAT
  js = json.loads(json.dumps(report.to_json()))
  assert js["fired"] is True and js["reason"] is None and len(js["rewrites"]) == 1 and len(js["graphs"]) == 2
  assert js["rewrites"][0]["tiles"]["tiles_y"] == 2 and "cin 2" in js["rewrites"][0]["description"]
