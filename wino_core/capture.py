"""Capture what tinygrad generated: the LINEAR of CALLs a realize schedules, and each kernel in it."""
from __future__ import annotations
import contextlib, time
from dataclasses import replace
from typing import Iterator

from tinygrad.engine.realize import capturing
from tinygrad.helpers import ansistrip
from tinygrad.uop.ops import AxisType, Ops, UOp

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

def optimized_ast(sink:UOp, applied_opts:tuple, renderer) -> UOp:
  """A kernel's AST right after tinygrad applied its opts, the one its name is made from: tinygrad's codegen up to
  apply_opts, replayed on the scheduled SINK with the opts the compiled program got (so it is the same whether they
  came from the heuristics, BEAM or NOOPT)."""
  import tinygrad.codegen as codegen
  if sink.tag is not None: return sink  # codegen does not optimize a tagged SINK
  class Reached(Exception): pass
  apply_opts = codegen.apply_opts
  def apply_then_stop(ast:UOp, ren, beam:int=0):
    raise Reached(apply_opts(ast.replace(arg=replace(ast.arg, opts_to_apply=tuple(applied_opts))), ren))
  codegen.apply_opts = apply_then_stop
  try: codegen.full_rewrite_to_sink(sink, renderer, optimize=True)
  except Reached as r: return r.args[0]
  finally: codegen.apply_opts = apply_opts
  raise RuntimeError("tinygrad's codegen never reached apply_opts")

_LOOP_KINDS = tuple(getattr(AxisType, n) for n in ("WEAK", "LOOP") if hasattr(AxisType, n))  # tinygrad 0.13 has no WEAK
def _axis_kind(t:AxisType) -> str: return "loop" if t in _LOOP_KINDS else t.name.lower()

def kernel_axes(opt_ast:UOp, renderer) -> list[list]:
  """[[size, axis kind], ...] in the order of tinygrad's kernel name (r_8_6_6_32_2_2_2): the launch dimensions the AST
  already has, then its ranges as tinygrad's Scheduler orders them, each with its AxisType."""
  from tinygrad.codegen.opt.postrange import Scheduler
  specials = sorted((u for u in opt_ast.toposort() if u.op is Ops.SPECIAL), key=lambda u: u.arg)
  return [[int(u.vmax)+1, "global" if u.arg[0] == "g" else "local"] for u in specials] + \
         [[int(r.vmax)+1, _axis_kind(r.arg[-1])] for r in Scheduler(opt_ast, renderer).rngs]

def reduces(sink:UOp) -> bool:
  """Does the kernel accumulate? (tinygrad names such a kernel r_..., after the REDUCE in its AST)"""
  return any(u.op is Ops.REDUCE for u in sink.toposort())

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

def refine_roles(kernels:list[dict]) -> list[dict]:
  """Roles that need the whole schedule: a rule that materializes more than XHAT/GHAT/MHAT (the seeds' rule writes the
  6x6 input tiles and the output transform's result to buffers of their own, six kernels) has its transforms one kernel
  away from the input and the output. Along the buffers kernels read and write: the kernel that writes what the batched
  product reads is the input transform (the one before it, a copy of the input, "input tiles"); the kernel that
  transforms the product's result is the output (what then copies it into the conv's result, "output copy"). So its
  kernels pair by role with OLD's and NEW's. Kernels are changed in place and returned."""
  writer = {b: k for k in kernels for b in k.get("writes", [])}
  for prod in (k for k in kernels if k["role"] == "batched product"):
    for b in prod.get("reads", []):
      k = writer.get(b)
      if k is None or k["role"] != "other" or k.get("reduces"): continue
      before = [writer[r] for r in k.get("reads", []) if r in writer and writer[r]["role"] == "input transform"]
      if before:
        k["role"] = "input transform"
        for t in before: t["role"] = "input tiles"
    out_of = set(prod.get("writes", []))
    for k in kernels:
      if k["role"] != "other" or not out_of & set(k.get("reads", [])): continue
      copies = [o for o in kernels if o["role"] == "output" and set(k.get("writes", [])) & set(o.get("reads", []))]
      if copies:
        k["role"] = "output"
        for o in copies: o["role"] = "output copy"
  return kernels

def program_calls(linear:UOp) -> list[UOp]: return [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.PROGRAM]
def scheduled_calls(linear:UOp) -> list[UOp]:
  """The kernels of a LINEAR before compile_linear, each CALL's SINK as scheduled: the same order as program_calls of the compiled one."""
  return [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]

class BufferTable:
  """Names every buffer a schedule touches: x (input), w (weight, bias), out (the conv's result), tmp (intermediates),
  each with a stable id in order of first use."""
  def __init__(self, roles:dict): self.roles, self.ids = roles, {}
  def role(self, b:UOp) -> str: return self.roles.get(b.buffer, "tmp")
  def id(self, b:UOp) -> int: return self.ids.setdefault(b.buffer, len(self.ids))
  def describe(self, b:UOp) -> dict:
    buf = b.buffer
    return {"id": self.id(b), "role": self.role(b), "dtype": buf.dtype.name, "size": int(buf.size), "nbytes": int(buf.nbytes)}

def dtype_name(dt) -> str:
  """numpy's name for a float dtype (tinygrad's DType.name is C's: float, half, __bf16), else tinygrad's."""
  from tinygrad import dtypes
  return {dtypes.float64: "float64", dtypes.float32: "float32", dtypes.float16: "float16", dtypes.bfloat16: "bfloat16"}.get(dt, dt.name)

def precision(calls:list[UOp], buffers:BufferTable) -> dict:
  """The dtypes a run kept its data in: the conv's input, what its kernels wrote in between (Winograd's XHAT, GHAT,
  MHAT) and its output, and those tinygrad emulated (stored as such, computed in float32). The verdict's error bound
  follows them: float32 intermediates under float16 storage round far less than half ones."""
  from tinygrad import dtypes
  from tinygrad.helpers import ContextVar
  seen: dict[str, set[str]] = {"x": set(), "tmp": set(), "out": set()}
  for c in calls:
    for b in c.src[1:]:
      if (role:=buffers.role(b)) in seen: seen[role].add(dtype_name(b.buffer.dtype))
  emulated = ContextVar._cache.get("EMULATED_DTYPES")
  return {"input": sorted(seen["x"]), "intermediate": sorted(seen["tmp"]), "output": sorted(seen["out"]),
          "emulated": sorted(dtype_name(d) for d in emulated.tolist(dtypes)) if emulated is not None and emulated.value else []}

MAX_SOURCE_CHARS = 200_000  # a stored kernel source is cut here, with a note: results stay a sane size

def capped_source(src:str) -> dict:
  if len(src) <= MAX_SOURCE_CHARS: return {"source": src}
  return {"source": src[:MAX_SOURCE_CHARS] + f"\n/* wino-dash: source cut at {MAX_SOURCE_CHARS:,} of {len(src):,} characters */\n",
          "source_truncated": len(src)}

def describe_kernel(call:UOp, scheduled:UOp, buffers:BufferTable, renderer) -> dict:
  """One compiled kernel as plain JSON (times are filled in by the caller). scheduled: its SINK before codegen; axes, the
  reduce and the opts come from tinygrad's objects, never from the (coloured) name."""
  prg = call.src[0]
  info, sink = prg.arg, prg.src[0]
  applied = getattr(sink.arg, "applied_opts", ())
  bufs = [call.src[1+g] for g in info.globals]
  reads = {buffers.role(bufs[i]) for i in info.ins}
  writes_output = any(buffers.role(bufs[i]) == "out" for i in info.outs)
  est = sink.arg.estimates
  name = ansistrip(info.name)
  from wino_core.search import opts_json
  return {"name": name, "axes": kernel_axes(optimized_ast(scheduled, applied, renderer), renderer),
          "role": kernel_role(reads, writes_output, reduces(scheduled)), "reduces": reduces(scheduled),
          "opts": opts_json(applied),  # the optimizations the kernel got (heuristics, BEAM or none)
          **capped_source(next(s.arg for s in prg.src if s.op is Ops.SOURCE)), "language": language_of(renderer),
          "global_size": list(info.global_size) if info.global_size is not None else None,
          "local_size": list(info.local_size) if info.local_size is not None else None,
          "ops": int(est.ops) if est is not None and isinstance(est.ops, int) else None,
          "bytes": int(est.mem) if est is not None and isinstance(est.mem, int) else None,
          "reads": [buffers.id(bufs[i]) for i in info.ins], "writes": [buffers.id(bufs[i]) for i in info.outs]}
