"""Local, no GPU needed: schedule OLD's and NEW's kernels on the CPU with NEW's gpu layout (and its pinned opts, as on a
GPU), then run tinygrad's codegen for them with a CUDA sm_90 renderer (nothing is compiled) and print, per kernel, the
axis sizes postrange sees and the opts it applies (pinned or its heuristics'). This is how the product's axes were read.

  PYTHONPATH=. python bench/explore_opts.py 16,128,128,56 float16"""
import contextlib, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wino_core.winograd.install as _install
from tinygrad import Tensor, dtypes
from tinygrad.helpers import Target
from tinygrad.uop.ops import Ops
from wino_core.capture import LinearCapture
from wino_core.modes import MODE_TABLE
from wino_core.spec import parse_spec

def renderer():
  from tinygrad.renderer.cstyle import CUDARenderer
  import tinygrad.runtime.support.compiler_cuda as cc
  init = cc.NVRTCCompiler.__init__
  cc.NVRTCCompiler.__init__ = lambda self, *a, **k: None  # no nvrtc here: we only render
  try: return CUDARenderer(Target("CUDA", "CUDA", "sm_90"))
  finally: cc.NVRTCCompiler.__init__ = init

@contextlib.contextmanager
def as_on_a_gpu():
  """scheduled on CPU, compiled for CUDA: NEW pins its opts as on a GPU, and checks them against the CUDA renderer"""
  saved, ren = (_install._has_local, _install._renderer), renderer()
  _install._has_local, _install._renderer = (lambda device: True), (lambda device: ren)
  try: yield
  finally: _install._has_local, _install._renderer = saved

def asts(shape, dtype, mode, force=False):
  """the kernels (SINKs) of a 3x3 padding-1 conv (batch, cin, cout, size) under `mode`, scheduled as on a GPU"""
  b, cin, cout, s = shape
  spec = parse_spec({"batch": b, "cin": cin, "cout": cout, "h": s, "w": s, "padding": 1, "dtype": dtype})
  dt = getattr(dtypes, dtype)
  x, w = Tensor.empty(b, cin, s, s, dtype=dt, device="CPU"), Tensor.empty(cout, cin, 3, 3, dtype=dt, device="CPU")
  cap = LinearCapture()
  with as_on_a_gpu(), MODE_TABLE[mode].enter(spec, force_new=force):
    out = x.conv2d(w, padding=1)
    with cap.installed(): out.realize()
  lin, _ = cap.linear()
  return [c.src[0] for c in lin.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]

if __name__ == "__main__":
  os.environ.setdefault("WINO_DASH_NEW_LAYOUT", "gpu")
  shape = tuple(map(int, sys.argv[1].split(","))) if len(sys.argv) > 1 else (16, 64, 64, 224)
  dtype = sys.argv[2] if len(sys.argv) > 2 else "float16"
  from tinygrad.codegen.opt.postrange import Scheduler
  from tinygrad.codegen import full_rewrite_to_sink
  import tinygrad.codegen as cg
  ren = renderer()
  for mode in ("old", "new"):
    for ast in asts(shape, dtype, mode):
      captured = {}  # the axes apply_opts sees, and what it made of them
      orig = cg.apply_opts
      def spy(sink, ren, beam=0):
        k = Scheduler(sink, ren); k.convert_loop_to_global()
        captured["before"] = list(zip(k.full_shape, [t.name for t in k.axis_types]))
        ret = orig(sink, ren, beam); captured["after"] = ret; return ret
      cg.apply_opts = spy
      try: full_rewrite_to_sink(ast, ren, optimize=True)
      except Exception as e: print("  (codegen stopped:", type(e).__name__, str(e)[:100], ")")
      finally: cg.apply_opts = orig
      a = captured.get("after")
      print(mode, a.arg.name if a is not None else "?", "\n   axes", captured.get("before"), "\n   opts", a.arg.applied_opts if a is not None else None)
