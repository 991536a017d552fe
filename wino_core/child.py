"""The child process: one (spec, mode, device) from a cold start. Reads a request (JSON) on stdin and writes
JSON lines on its original stdout: {"phase": ...} as it goes, then {"result": RunResult}. Everything else tinygrad
or a compiler prints goes to stderr, so the protocol stays clean. Run as `python -m wino_core.child`.
A request with "save_program" also pickles the compiled kernels there; one with "time_program" is a timing-only
process: it loads such a file, gives the kernels the same inputs and only times them (no compile, check or graphs)."""
from __future__ import annotations
import contextlib, json, os, statistics, sys, time, traceback

def emit(out, **msg):
  out.write(json.dumps(msg) + "\n")
  out.flush()

def make_inputs(spec):
  """The same data for every mode: drawn from the spec's seed, in float64, then cast to the spec's dtype. numpy has no
  bfloat16: its values are float32s rounded to bfloat16 (to nearest, ties to even), which input_tensor casts exactly,
  so the reference sees the very values the conv does."""
  import numpy as np
  rng = np.random.default_rng(spec.seed)
  fan_in = (spec.cin // spec.groups) * spec.kernel[0] * spec.kernel[1]
  def cast(a):
    if spec.dtype != "bfloat16": return a.astype(np.float16 if spec.dtype == "float16" else np.float32)
    bits = a.astype(np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)
  x = cast(rng.standard_normal(spec.input_shape))
  w = cast(rng.uniform(-1, 1, spec.weight_shape) / np.sqrt(fan_in))
  b = cast(rng.standard_normal(spec.cout)) if spec.bias else None
  return x, w, b

def input_tensor(spec, a, device:str):
  """make_inputs' array as a realized tensor of the spec's dtype on the device (bfloat16: cast there by tinygrad)."""
  from tinygrad import Tensor, dtypes
  t = Tensor(a, device=device)
  return (t.cast(dtypes.bfloat16) if spec.dtype == "bfloat16" else t).realize()

@contextlib.contextmanager
def bfloat16_support(spec, device:str):
  """tinygrad's CPU renderer writes __bf16, which a clang without it for the target cannot compile (this project's
  Debian clang 14 on x86-64 has none): where a cast to bfloat16 does not compile, tinygrad emulates it for the whole
  run (EMULATED_DTYPES=bfloat16: bfloat16 in memory, float32 arithmetic) and the result says so (precision.emulated)."""
  from tinygrad import Tensor, dtypes
  from tinygrad.helpers import Context, ContextVar
  native, emulated = True, ContextVar._cache.get("EMULATED_DTYPES")
  if spec.dtype == "bfloat16" and emulated is not None and not emulated.value:  # a column that sets it keeps its own
    try: Tensor([1.0], device=device).cast(dtypes.bfloat16).realize()
    except Exception: native = False
  if native: yield
  else:
    print("bfloat16: this device's compiler cannot compile it (its errors above); tinygrad emulates it for this run", file=sys.stderr)
    with Context(EMULATED_DTYPES="bfloat16"): yield

def build_conv(spec, x, w, b):
  """The conv every mode compiles: tinygrad's Tensor.conv2d with the spec's geometry."""
  return x.conv2d(w, b, groups=spec.groups, stride=spec.stride, dilation=spec.dilation, padding=spec.tinygrad_padding)

def _summary(ts:list[float]) -> dict:
  """min/median/max and every sample (the verdict's noise test needs them all)."""
  return {"min": min(ts), "median": statistics.median(ts), "max": max(ts), "samples": ts}

def run(req:dict, out) -> dict:
  """A column's context variables (+NAME=VALUE) hold for the whole run: inputs, schedule, compile, timing."""
  from wino_core.spec import parse_spec
  from wino_core.tinygrad_compat import column_context
  with column_context(req.get("vars") or {}), bfloat16_support(parse_spec(req["spec"]), req["device"]):
    return (time_saved if req.get("time_program") else _run)(req, out)

def _run(req:dict, out) -> dict:
  from wino_core.spec import parse_spec
  from wino_core.result import RunResult
  spec, mode, device = parse_spec(req["spec"]), req["mode"], req["device"]
  repeat, warmup = int(req.get("repeat", 10)), int(req.get("warmup", 2))
  if (fault:=req.get("fault")): _inject(fault)
  from wino_core.modes import MODE_TABLE
  from wino_core.search import SearchBudgetExceeded, SearchCache, parse_search, search_kernels
  search = parse_search(req.get("search"))

  import numpy as np
  import tinygrad
  from tinygrad import Tensor, Device
  from tinygrad.helpers import Context
  from wino_core.capture import CompilerClock, BufferTable, refine_roles
  from wino_core.reference import conv2d_reference, max_errors
  from wino_core.tinygrad_compat import pipeline
  from wino_core.machine import LoadWatch
  pipe = pipeline()  # what this tinygrad has for capturing, compiling and timing a schedule
  version = getattr(tinygrad, "__version__", None) or _dist_version()
  base = dict(mode=mode, device=device, tinygrad=version)

  dev = Device[device]
  xn, wn, bn = make_inputs(spec)
  x, w = input_tensor(spec, xn, device), input_tensor(spec, wn, device)
  b = input_tensor(spec, bn, device) if bn is not None else None
  dev.synchronize()

  emit(out, phase="compiling")
  with MODE_TABLE[mode].enter(spec, force_new=bool(req.get("force_new"))) as report:
    st = time.perf_counter()
    result_t = build_conv(spec, x, w, b)
    linear, var_vals = pipe.schedule(result_t)
    t_schedule = time.perf_counter() - st
  # BEAM: a phase of its own before the cold compile, which then applies the Opts it found (or the cache had)
  search_info, t_search = None, 0.0
  if search.beam:
    if pipe.missing: raise RuntimeError(f"BEAM search is not adapted to this tinygrad ({os.path.dirname(tinygrad.__file__)}): it has no LINEAR schedule")
    cache = SearchCache(req["search_cache"]) if req.get("search_cache") else None
    try:
      linear, search_info, t_search = search_kernels(linear, device, search.beam, cache, version, parallel=int(req.get("parallel") or 0),
                                                     budget_s=float(600 if req.get("search_budget_s") is None else req["search_budget_s"]), on_progress=lambda p: emit(out, phase=p), seed=search.seed)
    except SearchBudgetExceeded as e: return RunResult(status="timeout", message=str(e), **base).to_dict()
    emit(out, phase="compiling")
  # NOOPT from the search setting, else the column's own (tinygrad's default when it sets none)
  with CompilerClock(dev.compiler) as clock, Context(NOOPT=int(search.noopt or int((req.get("vars") or {}).get("NOOPT", 0)))):
    st = time.perf_counter()
    compiled = pipe.compile(linear)
    t_compile = time.perf_counter() - st

  emit(out, phase="checking")
  st = time.perf_counter()
  pipe.run(compiled, var_vals)
  dev.synchronize()
  first_run = time.perf_counter() - st
  ref = conv2d_reference(xn, wn, bn, spec.stride, spec.dilation, spec.padding, spec.groups)
  abs_err, rel_err = max_errors(result_t.numpy(), ref)

  emit(out, phase="timing")
  calls = pipe.calls(compiled)
  watch = LoadWatch()
  watch.settle()
  per_kernel, sums = time_kernels(pipe.timer, calls, var_vals, warmup, repeat)
  machine = watch.record(device)
  if req.get("save_program"): save_program(req["save_program"], compiled, var_vals, {"x": x, "w": w, **({"b": b} if b is not None else {})})

  buf = pipe.buffer
  buffers = BufferTable({buf(x): "x", buf(w): "w", buf(result_t): "out", **({buf(b): "w"} if b is not None else {})})
  kernels = refine_roles([k | {"time_s": _summary(ts)} for k, ts in zip(pipe.describe(linear, calls, buffers, dev.renderer), per_kernel)])
  winograd = report(kernels)  # OLD's from its kernels; NEW's from what its rule rewrote
  if search_info is not None and len(search_info) == len(kernels):  # one searched SINK per compiled kernel, in launch order
    for k, si in zip(kernels, search_info): k["search"] = si
  # after timing, so nothing timed changes: a few toposorts of graphs of hundreds of nodes
  graphs = pipe.graphs(linear, calls, kernels, buffers, {buf(t): t.shape for t in (x, w, b, result_t) if t is not None}, report.rewrites(), dev.renderer)
  pipe.attach_assembly(kernels, calls, dev)  # the disassembler's turn: after timing too
  if winograd is None and req.get("vars"): winograd = flag_report(spec, kernels, req["vars"])
  # what this tinygrad did not let wino-dash capture is said, not failed on
  missing = f"not captured on this tinygrad (no LINEAR schedule, 0.11 era): {', '.join(pipe.missing)}" if pipe.missing else ""
  message = "; ".join(m for m in ((winograd or {}).get("reason"), missing) if m)
  return RunResult(status="ok", message=message, kernels=kernels, compile_s=t_schedule + t_compile,
                   compile_split_s={"schedule": t_schedule, **({"search": t_search} if search.beam else {}),
                                    "codegen": t_compile - clock.seconds, "compiler": clock.seconds},
                   search=search.to_dict(),
                   first_run_s=first_run, kernel_time_s=_summary(sums) if sums else None,
                   max_abs_err=abs_err, max_rel_err=rel_err, winograd=winograd, precision=pipe.precision(calls, buffers),
                   graphs=graphs, machine=[machine], **base).to_dict()

def time_kernels(timer, calls, var_vals, warmup:int, repeat:int) -> tuple[list[list[float]], list[float]]:
  """Each kernel's time in each of `repeat` runs (after `warmup` runs that are not kept), and each run's total.
  `timer(call, var_vals)`: that kernel's times, one per next()."""
  timers = [timer(c, var_vals) for c in calls]
  for _ in range(warmup):
    for t in timers: next(t)
  per_kernel: list[list[float]] = [[] for _ in calls]
  sums = []
  for _ in range(repeat):
    run_times = [next(t) for t in timers]
    for k, tm in enumerate(run_times): per_kernel[k].append(tm)
    sums.append(sum(run_times))
  return per_kernel, sums

def save_program(path:str, compiled, var_vals, inputs:dict):
  """The compiled kernels (tinygrad UOps pickle: programs with their binaries, and the buffers they use) and which
  buffers are the conv's inputs, for timing-only processes. A tinygrad whose compiled kernels do not pickle (the 0.11
  era's ExecItems) saves nothing: the parent then times that mode in this one process."""
  import pickle
  try:
    with open(path, "wb") as f: pickle.dump((compiled, var_vals, {k: t.uop.base for k, t in inputs.items()}), f)
  except Exception:
    traceback.print_exc()
    if os.path.exists(path): os.remove(path)

def time_saved(req:dict, out) -> dict:
  """A timing-only process: the kernels another process compiled and saved, loaded, given the same inputs, run once
  (as the first process's check did), then timed as it timed them."""
  import pickle
  from wino_core.spec import parse_spec
  from wino_core.result import RunResult
  from wino_core.machine import LoadWatch
  from wino_core.tinygrad_compat import pipeline
  spec, mode, device, pipe = parse_spec(req["spec"]), req["mode"], req["device"], pipeline()
  from tinygrad import Device
  with open(req["time_program"], "rb") as f: compiled, var_vals, inputs = pickle.load(f)
  for name, arr in zip(("x", "w", "b"), make_inputs(spec)):  # the first process's inputs, made the same way
    if arr is not None and name in inputs: inputs[name].buffer.ensure_allocated().copy_from(input_tensor(spec, arr, device).uop.base.buffer)
  emit(out, phase="timing")
  pipe.run(compiled, var_vals)
  Device[device].synchronize()
  calls = pipe.calls(compiled)
  watch = LoadWatch()
  watch.settle()
  per_kernel, sums = time_kernels(pipe.timer, calls, var_vals, int(req.get("warmup", 2)), int(req.get("repeat", 10)))
  return RunResult(status="ok", mode=mode, device=device, kernels=[{"time_s": _summary(ts)} for ts in per_kernel],
                   kernel_time_s=_summary(sums), machine=[watch.record(device)]).to_dict()

def flag_report(spec, kernels:list[dict], variables:dict[str, str]) -> dict:
  """Did a column's flags (a pull request's rule behind WINO=1, WINO_GRAPH=1, ...) change the conv? Read off what
  tinygrad made: the direct conv is one kernel reading x and w with the direct conv's operations; anything else (transform
  kernels, a Winograd fused into one product kernel) is the rule at work."""
  from wino_core.modes import WINOGRAD_ROLES
  flags = " ".join(f"{k}={v}" for k, v in sorted(variables.items()))
  roles = [k["role"] for k in kernels]
  ops = sum(k["ops"] or 0 for k in kernels) if all(k.get("ops") is not None for k in kernels) else None
  said = f"{len(kernels)} kernel{'s' if len(kernels) != 1 else ''} ({', '.join(roles)})" + (f", {ops/spec.flops:.2f}× the direct conv's operations" if ops else "")
  if any(r in WINOGRAD_ROLES for r in roles): return {"fired": True, "reason": f"with {flags}: Winograd transforms among {said}", "rewrites": []}
  if roles == ["conv"] and (ops is None or 0.8 <= ops / spec.flops <= 1.25):
    return {"fired": False, "reason": f"with {flags}: {said}: the conv stayed direct", "rewrites": []}
  return {"fired": True, "reason": f"with {flags}: {said}: not the direct conv (transforms fused into other kernels)", "rewrites": []}

def _dist_version() -> str:
  """The installed tinygrad's version; a checkout on PYTHONPATH (a 0.11-era one has no __version__) may have no package
  metadata at all: then it is unknown here, and the parent names the column by its environment."""
  from importlib.metadata import PackageNotFoundError, version
  try: return version("tinygrad")
  except PackageNotFoundError: return "unknown"

def _inject(fault:str):
  """Faults on request, so the parent's handling of each can be tested for real."""
  if fault == "crash": os.abort()
  if fault == "hang": time.sleep(3600)
  if fault == "oom": bytearray(1 << 40)
  if fault == "raise": raise RuntimeError("injected failure")

def limit_memory():
  """The parent asks for an address-space limit (it cannot set one itself safely from a threaded server)."""
  if (mb:=os.environ.get("WINO_DASH_MEMORY_MB")):
    try: import resource
    except ImportError: return  # not on this platform
    resource.setrlimit(resource.RLIMIT_AS, (int(mb) << 20, int(mb) << 20))

def watch_parent(parent:int, deadline_s:float):
  """A child must not outlive its caller: if the parent dies (a killed server) or the deadline passes, it exits."""
  import threading
  end = time.monotonic() + deadline_s
  def watch():
    while os.getppid() == parent and time.monotonic() < end: time.sleep(0.5)
    os._exit(3)
  threading.Thread(target=watch, daemon=True).start()

def main():
  limit_memory()
  watch_parent(int(os.environ.get("WINO_DASH_PARENT", os.getppid())), float(os.environ.get("WINO_DASH_DEADLINE_S", "86400")))
  # keep the protocol on the real stdout; anything printed by tinygrad or compilers lands on stderr
  proto = os.fdopen(os.dup(sys.stdout.fileno()), "w")
  os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
  req = json.loads(sys.stdin.read())
  try: result = run(req, proto)
  except MemoryError:
    result = {"status": "out_of_memory", "message": "the run ran out of memory (over its memory limit)"}
  except Exception as e:
    traceback.print_exc()
    from wino_core.run import is_oom_text
    oom = is_oom_text(str(e))
    result = {"status": "out_of_memory" if oom else "error", "message": f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:500]}
  emit(proto, result=result)

if __name__ == "__main__": main()
