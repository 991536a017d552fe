"""Installing the rule: while new_winograd() is active, tinygrad.schedule.rangeify.run_rangeify (which get_kernel_graph
looks up as a global of its module) hands each graph it rangeified to the rule, then pins the output kernels' opts and
drops the pins tinygrad's codegen would not take."""
from __future__ import annotations
import contextlib, itertools
from typing import Iterator
from tinygrad.helpers import Context
from tinygrad.uop.ops import KernelInfo, Ops, PatternMatcher, UOp, UPat, graph_rewrite
from tinygrad.codegen.opt import Opt
import tinygrad.schedule.rangeify as rangeify
from wino_core.winograd.graph import rewrite_matches
from wino_core.winograd.layout import layout_for
from wino_core.winograd.opts import pin_outputs
from wino_core.winograd.report import GraphReport, WinogradReport
from wino_core.winograd.rewrite import RuleContext, pm_winograd

_installed: WinogradReport|None = None

# ctx: the pins to drop (their opts): the CONTIGUOUS that carries them goes, its value stays
pm_drop_pins = PatternMatcher([(UPat(Ops.CONTIGUOUS, name="c"), lambda ctx, c: c.src[0] if c.arg in ctx else None)])

@contextlib.contextmanager
def new_winograd(layout:str|None=None, force:bool=False) -> Iterator[WinogradReport]:
  """Run tinygrad with the NEW rule: every graph scheduled inside gets the rule after run_rangeify.

  `layout` picks where (i, j) and cin go in XHAT/GHAT/MHAT ("cpu", "gpu"; default "auto": by device, see Layout);
  `force` rewrites convs the cost model would leave to the direct conv (to inspect what NEW makes of them).
  Yields a WinogradReport that fills in as graphs are scheduled. The schedule cache is keyed on the tensor graph, not on
  this rule, so inside we run with SCACHE=0: a schedule made with the rule is never stored for a later run without it,
  a schedule stored without the rule is never reused here, and every graph goes through the rule (so it is reported).
  Kernel, program and disk caches are keyed on the kernel's content and stay on. run_rangeify is a process-wide global:
  while installed, every thread's schedules get the rule, and installing it twice at once is refused."""
  global _installed
  if _installed is not None: raise RuntimeError("new_winograd() is already active")
  original, report = rangeify.run_rangeify, WinogradReport()
  preset: list[UOp] = []  # a graph to hand back as is, for failing_pins's dry run of get_kernel_graph

  def run_rangeify_with_winograd(tsink:UOp, debug:bool=False) -> UOp:
    if preset: return preset.pop()
    tsink = original(tsink, debug)
    report.graphs.append(graph := GraphReport())
    topo = tsink.toposort()
    if not any(u.op is Ops.REDUCE for u in topo): return tsink
    start = max((u.arg[0] for u in topo if u.op is Ops.RANGE), default=-1) + 1  # new ranges get ids no range has
    local, dev = _has_local(tsink.device), tsink.device[0] if isinstance(tsink.device, tuple) else tsink.device
    ctx = RuleContext(tsink.device, graph, itertools.count(start), layout_for(tsink.device, layout), force, local, _renderer(dev) if local else None)
    ret = graph_rewrite(tsink, pm_winograd, ctx=ctx, name="winograd")
    if not graph.fired: return tsink  # where the rule does not fire, the graph is exactly baseline's
    if ctx.outputs: ret = pin_outputs(ret, ctx.outputs)
    if ctx.pin() and (failing:=failing_pins(ret, tsink.device[0] if isinstance(tsink.device, tuple) else tsink.device)):
      ret = rewrite_matches(ret, pm_drop_pins, failing, gate=None)
    return ret

  def failing_pins(ret:UOp, device:str) -> set[tuple[Opt, ...]]:
    """The opts the rule pinned that tinygrad's codegen would not take: tinygrad may merge ranges we could not foresee
    (e.g. co with oy//4 at batch 1) and an opt on a missing axis would fail the compile. A dry run of the rest of
    get_kernel_graph on `ret` gives the kernels; each pinned one is lowered up to apply_opts. Those kernels keep
    tinygrad's heuristics."""
    pins = {u.arg for u in ret.toposort() if u.op is Ops.CONTIGUOUS and isinstance(u.arg, tuple) and u.arg and isinstance(u.arg[0], Opt)}
    if not pins: return set()
    preset.append(ret)
    try: kernel_graph = rangeify.get_kernel_graph(UOp.sink())  # run_rangeify hands back `ret`
    finally: preset.clear()
    ren = _renderer(device)
    return {k.arg.opts_to_apply for k in kernel_graph.toposort(enter_calls=True) if k.op is Ops.SINK and isinstance(k.arg, KernelInfo)
            and k.arg.opts_to_apply in pins and not _opts_apply(k, ren)}

  rangeify.run_rangeify, _installed = run_rangeify_with_winograd, report
  try:
    with Context(SCACHE=0): yield report
  finally: rangeify.run_rangeify, _installed = original, None

def _has_local(device:str|tuple[str, ...]|None) -> bool:
  from tinygrad import Device
  dev = device[0] if isinstance(device, tuple) else device
  return dev is not None and bool(Device[dev].renderer.has_local)

def _renderer(device:str):
  from tinygrad import Device
  return Device[device].renderer

def _opts_apply(ast:UOp, ren) -> bool:
  """does tinygrad's codegen with renderer `ren` take the opts_to_apply of this kernel? (its passes up to apply_opts)"""
  import tinygrad.codegen as codegen
  class _Applied(Exception): pass
  apply_opts = codegen.apply_opts
  def apply_then_stop(sink, ren, beam=0):
    apply_opts(sink, ren, beam)
    raise _Applied
  codegen.apply_opts = apply_then_stop
  try: codegen.full_rewrite_to_sink(ast, ren, optimize=True)
  except _Applied: return True
  except Exception: return False
  finally: codegen.apply_opts = apply_opts
  return False
