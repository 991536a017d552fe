"""Capture what tinygrad generated: the LINEAR of CALLs a realize schedules, and each kernel in it."""
from __future__ import annotations
import contextlib, re, time
from typing import Iterator

from tinygrad.engine.realize import capturing
from tinygrad.helpers import ansistrip, colored
from tinygrad.uop.ops import Ops, UOp, axis_colors

class LinearCapture:
  """tinygrad's capture hook (the one TinyJit uses): while installed, a realize hands its schedule here
  instead of running it, so we can time the schedule, compile and run it as separate steps."""
  def __init__(self): self.linears: list[tuple[UOp, dict[str, int]]] = []
  def add_linear(self, linear:UOp, var_vals:dict[str, int]): self.linears.append((linear, var_vals))

  @contextlib.contextmanager
  def installed(self) -> Iterator[LinearCapture]:
    capturing.append(self)
    try: yield self
    finally: capturing.remove(self)

  def linear(self) -> tuple[UOp, dict[str, int]]:
    var_vals = {k: v for _, vv in self.linears for k, v in vv.items()}
    return UOp(Ops.LINEAR, src=tuple(c for lin, _ in self.linears for c in lin.src)), var_vals

class CompilerClock:
  """Sums the time spent in the device's compiler (clang, nvcc, ...) while installed; the rest of compile_linear is codegen."""
  def __init__(self, compiler): self.compiler, self.seconds = compiler, 0.0
  def __enter__(self):
    inner = self.compiler.compile
    def timed(src:str) -> bytes:
      st = time.perf_counter()
      try: return inner(src)
      finally: self.seconds += time.perf_counter() - st
    self.compiler.compile = timed
    return self
  def __exit__(self, *exc): del self.compiler.compile  # drop the instance attribute: the class's method shows again

# the colour of each number in a kernel name says which kind of axis it is (tinygrad's axis_colors)
_AXIS_BY_CODE = {re.match(r"\x1b\[(\d+)m", colored("x", c)).group(1): t.name.lower() for t, c in axis_colors.items()}
def kernel_axes(colored_name:str) -> list[list]:
  """[[size, axis kind], ...] read off tinygrad's coloured kernel name, e.g. r_8_6_6_32_2_2_2."""
  return [[int(n), _AXIS_BY_CODE.get(code, "loop")] for code, n in re.findall(r"\x1b\[(\d+)m(\d+)\x1b\[0m", colored_name)]

_LANGUAGES = {"Clang": "c", "CUDA": "cuda", "Metal": "metal", "OpenCL": "opencl", "PTX": "ptx", "LLVM": "llvm", "HIP": "hip",
              "AMD": "hip", "WGSL": "wgsl", "QCOM": "opencl", "IntelRenderer": "opencl"}
def language_of(renderer) -> str:
  name = type(renderer).__name__
  return next((lang for key, lang in _LANGUAGES.items() if key in name), "text")

def kernel_role(reads:set[str], writes_output:bool, is_reduce:bool) -> str:
  """What a kernel does in the conv, from the buffers it reads and writes (x: input, w: weight/bias, tmp: intermediates)."""
  if writes_output: return "conv" if {"x", "w"} <= reads else "output"
  if reads == {"w"}: return "weight transform"
  if "x" in reads and "w" not in reads: return "input transform"
  if reads == {"tmp"} and is_reduce: return "batched product"
  return "other"

def program_calls(linear:UOp) -> list[UOp]: return [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.PROGRAM]

class BufferTable:
  """Names every buffer a schedule touches: x (input), w (weight, bias), out (the conv's result), tmp (intermediates),
  each with a stable id in order of first use."""
  def __init__(self, roles:dict): self.roles, self.ids = roles, {}
  def role(self, b:UOp) -> str: return self.roles.get(b.buffer, "tmp")
  def id(self, b:UOp) -> int: return self.ids.setdefault(b.buffer, len(self.ids))
  def describe(self, b:UOp) -> dict:
    buf = b.buffer
    return {"id": self.id(b), "role": self.role(b), "dtype": buf.dtype.name, "size": int(buf.size), "nbytes": int(buf.nbytes)}

MAX_SOURCE_CHARS = 200_000  # a stored kernel source is cut here, with a note: results stay a sane size

def capped_source(src:str) -> dict:
  if len(src) <= MAX_SOURCE_CHARS: return {"source": src}
  return {"source": src[:MAX_SOURCE_CHARS] + f"\n/* wino-dash: source cut at {MAX_SOURCE_CHARS:,} of {len(src):,} characters */\n",
          "source_truncated": len(src)}

def describe_kernel(call:UOp, buffers:BufferTable, language:str) -> dict:
  """One compiled kernel as plain JSON (times are filled in by the caller)."""
  prg = call.src[0]
  info, sink = prg.arg, prg.src[0]
  bufs = [call.src[1+g] for g in info.globals]
  reads = {buffers.role(bufs[i]) for i in info.ins}
  writes_output = any(buffers.role(bufs[i]) == "out" for i in info.outs)
  est = sink.arg.estimates
  name = ansistrip(info.name)
  from wino_core.search import opts_json
  return {"name": name, "axes": kernel_axes(info.name), "role": kernel_role(reads, writes_output, name.startswith("r_")),
          "opts": opts_json(getattr(sink.arg, "applied_opts", ())),  # the optimizations the kernel got (heuristics, BEAM or none)
          **capped_source(next(s.arg for s in prg.src if s.op is Ops.SOURCE)), "language": language,
          "global_size": list(info.global_size) if info.global_size is not None else None,
          "local_size": list(info.local_size) if info.local_size is not None else None,
          "ops": int(est.ops) if est is not None and isinstance(est.ops, int) else None,
          "bytes": int(est.mem) if est is not None and isinstance(est.mem, int) else None,
          "reads": [buffers.id(bufs[i]) for i in info.ins], "writes": [buffers.id(bufs[i]) for i in info.outs]}
