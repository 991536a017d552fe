"""What differs between the tinygrads a child may run on (the pinned 0.14.0, older releases, pull-request checkouts of
the 0.11 era), found by looking (getattr, imports), never by version numbers. Imported only inside a child, or by a
probe run with an environment's own Python: it imports that environment's tinygrad."""
from __future__ import annotations
import contextlib, json

# ***** context variables (a column's +NAME=VALUE) *****

def context_var_types() -> dict[str, str]:
  """Every ContextVar this tinygrad defines once imported, name -> "int" | "str" (the type of its value)."""
  import tinygrad  # noqa: F401  (defines them)
  from tinygrad.helpers import ContextVar
  return {k: "int" if isinstance(v.value, int) else "str" for k, v in ContextVar._cache.items()}

@contextlib.contextmanager
def column_context(variables:dict[str, str]):
  """tinygrad's Context with a column's variables, each converted to its ContextVar's type; a name this tinygrad does
  not define is an error that says so (the parent checks names too, but a queue worker's environment only here)."""
  if not variables:
    yield
    return
  import tinygrad
  from tinygrad.helpers import Context
  types = context_var_types()
  if (missing:=sorted(set(variables) - set(types))):
    raise RuntimeError(f"the tinygrad at {tinygrad.__path__[0]} defines no context variable {', '.join(missing)}")
  with Context(**{k: int(v) if types[k] == "int" else v for k, v in variables.items()}): yield

# ***** the schedule: captured, compiled, run and timed kernel by kernel *****

def pipeline():
  """How this tinygrad hands over what a realize schedules: a LINEAR of CALLs (0.13 and later), else the list of
  ScheduleItems of the 0.11 era. Both give the child the same steps."""
  import tinygrad, tinygrad.engine.realize as realize
  if hasattr(realize, "compile_linear") and hasattr(realize, "capturing"): return LinearPipeline()
  if hasattr(realize, "lower_schedule_item") and hasattr(tinygrad.Tensor, "schedule_with_vars"): return ScheduleItemPipeline()
  raise RuntimeError(f"wino-dash cannot capture kernels on the tinygrad at {tinygrad.__path__[0]}: its tinygrad.engine.realize has "
                     f"neither compile_linear with a capture hook (0.13 and later) nor lower_schedule_item (the 0.11 era)")

class LinearPipeline:
  """tinygrad 0.13+: the capture hook receives the LINEAR a realize would run; compile_linear, run_linear, time_call."""
  missing: tuple[str, ...] = ()  # what it cannot capture
  def schedule(self, tensor):
    from wino_core.capture import LinearCapture
    cap = LinearCapture()
    with cap.installed(): tensor.realize()
    return cap.linear()
  def compile(self, linear):
    from tinygrad.engine.realize import compile_linear
    return compile_linear(linear)
  def run(self, compiled, var_vals):
    from tinygrad.engine.realize import run_linear
    run_linear(compiled, var_vals)
  def calls(self, compiled):
    from wino_core.capture import program_calls
    return program_calls(compiled)
  def timer(self, call, var_vals): return linear_timer(call, var_vals)
  def buffer(self, t): return t.uop.buffer
  def describe(self, linear, calls, buffers, renderer) -> list[dict]:
    from wino_core.capture import describe_kernel, scheduled_calls
    return [describe_kernel(c, s.src[0], buffers, renderer) for c, s in zip(calls, scheduled_calls(linear))]
  def graphs(self, linear, calls, kernels, buffers, shapes, rewrites, renderer):
    from wino_core.graphs import run_graphs
    from wino_core.linemap import kernel_line_maps
    return run_graphs(linear, kernels, buffers, shapes, rewrites, line_maps=kernel_line_maps(linear, calls, renderer))
  def attach_assembly(self, kernels, calls, dev):
    from wino_core.assembly import attach_assembly
    attach_assembly(kernels, calls, dev)
  def precision(self, calls, buffers):
    from wino_core.capture import precision
    return precision(calls, buffers)

def linear_timer(call, var_vals):
  """Kernel times, one per next(): tinygrad 0.14's time_call is such a generator; 0.13's timed one call."""
  from tinygrad.engine.realize import time_call
  first = time_call(call, var_vals)
  if not isinstance(first, float): yield from first
  yield first
  while True: yield time_call(call, var_vals)

class ScheduleItemPipeline:
  """tinygrad of the 0.11 era: Tensor.schedule_with_vars gives ScheduleItems, lower_schedule_item compiles one into an
  ExecItem, and ExecItem.run(wait=True) returns its time. Kernel axes and opts are not read on it (tinygrad's
  codegen differs), and the kernels' ASTs are its own (no CALLs): the run says so rather than fail."""
  missing = ("kernel axes", "opts", "assembly", "precision", "source line ↔ UOp maps")
  def schedule(self, tensor): return tensor.schedule_with_vars()
  def compile(self, linear):
    from tinygrad.engine.realize import lower_schedule_item
    return [(si, lower_schedule_item(si)) for si in linear]
  def run(self, compiled, var_vals):
    for _, ei in compiled: ei.run(var_vals, wait=True, do_update_stats=False)
  def calls(self, compiled):
    from tinygrad.engine.realize import CompiledRunner
    return [(si, ei) for si, ei in compiled if isinstance(ei.prg, CompiledRunner)]
  def timer(self, call, var_vals):
    while True: yield call[1].run(var_vals, wait=True, do_update_stats=False)
  def buffer(self, t): return t.uop.buffer
  def describe(self, linear, calls, buffers, renderer) -> list[dict]:
    from tinygrad.helpers import ansistrip
    from tinygrad.uop.ops import Ops
    from wino_core.capture import capped_source, kernel_role, language_of
    out = []
    for si, ei in calls:
      p = ei.prg.p
      bufs = {g: _Buf(b) for g, b in zip(p.globals, ei.bufs)}
      reads = {buffers.role(bufs[i]) for i in p.ins}
      reduce_ops = {o for o in (getattr(Ops, "REDUCE", None), getattr(Ops, "REDUCE_AXIS", None)) if o is not None}
      est = p.estimates
      out.append({"name": ansistrip(p.name), "axes": [],
                  "role": kernel_role(reads, any(buffers.role(bufs[i]) == "out" for i in p.outs), any(u.op in reduce_ops for u in si.ast.toposort())),
                  "opts": [], **capped_source(p.src), "language": language_of(renderer),
                  "global_size": list(p.global_size) if p.global_size is not None else None,
                  "local_size": list(p.local_size) if p.local_size is not None else None,
                  "ops": int(est.ops) if isinstance(est.ops, int) else None, "bytes": int(est.mem) if isinstance(est.mem, int) else None,
                  "reads": [buffers.id(bufs[i]) for i in p.ins], "writes": [buffers.id(bufs[i]) for i in p.outs]})
    return out
  def attach_assembly(self, kernels, calls, dev): pass
  def precision(self, calls, buffers): return None
  def graphs(self, linear, calls, kernels, buffers, shapes, rewrites, renderer):
    """The kernel graph (kernels and buffers) and each kernel's AST as scheduled; no rewrite (NEW does not run here)."""
    from wino_core.graphs import MAX_ASTS, kernel_graph, uop_graph
    described = {}
    for si, ei in calls:
      for b in ei.bufs:
        d = buffers.describe(_Buf(b))
        described.setdefault(d["id"], d | {"shape": list(shapes[b]) if b in shapes else None})
    try: asts = [uop_graph(si.ast) for si, _ in calls[:MAX_ASTS]]
    except Exception: asts = []  # a UOp of another era that graphs.py cannot read: the kernel graph still stands
    return {"kernel_graph": kernel_graph(kernels, described), "kernel_asts": asts, "rewrite": None}

class _Buf:
  """A Buffer where BufferTable expects a UOp with .buffer (the 0.14 CALL's sources)."""
  def __init__(self, b): self.buffer = b

if __name__ == "__main__":  # the probe envs.context_vars runs with an environment's Python
  print(json.dumps(context_var_types()))
