"""A standalone reproducer: one Python script, needing only tinygrad and numpy, that rebuilds a comparison's conv
and runs it in each mode. wino-dash's own functions go in verbatim (inspect.getsource), so there is one implementation."""
from __future__ import annotations
import ast, dataclasses, inspect
from pathlib import Path

from wino_core import verdict
from wino_core.code import rule_source
from wino_core.capture import LinearCapture, program_calls
from wino_core.child import bfloat16_support, build_conv, input_tensor, make_inputs, time_kernels
from wino_core.columns import split, verdict_pairs
from wino_core.machine import LoadWatch, _loadavg, _ticks, gpu_clocks
from wino_core.reference import conv2d_reference, max_errors
from wino_core.rounds import DEFAULT_PROCESSES, summary
from wino_core.search import seeded_beam
from wino_core.spec import ConvSpec
from wino_core.tinygrad_compat import linear_timer

# the NEW rule as it is in this tree (a package): for a comparison stored without its own (before wino-dash kept it); it
# imports only tinygrad
NEW_RULE_DIR = Path(__file__).with_name("winograd")

_HEADER = '''from __future__ import annotations
import argparse, contextlib, functools, hashlib, importlib, importlib.abc, importlib.util, json, linecache, math, os, pickle, shutil, statistics, subprocess, sys, tempfile, time
from importlib.metadata import version
from types import SimpleNamespace
from typing import Callable, Iterator
import numpy as np
from tinygrad import Tensor
from tinygrad.engine.realize import capturing, compile_linear, run_linear
from tinygrad.helpers import Context, ansistrip
from tinygrad.uop.ops import Ops, UOp'''

_MAIN = '''class RuleFiles(importlib.abc.MetaPathFinder, importlib.abc.Loader):
  """Imports NEW_RULE_SOURCE's files as the modules their paths name (wino_core/winograd/layout.py is
  wino_core.winograd.layout; the packages above a file without one of their own are empty); tracebacks show their lines."""
  def __init__(self, sources:dict[str, str]):
    self.sources, self.files = sources, {}
    for path in sources:
      parts = path.removesuffix(".py").split("/")
      for i in range(1, len(parts)): self.files.setdefault(".".join(parts[:i]), (None, True))
      if parts[-1] == "__init__": self.files[".".join(parts[:-1])] = (path, True)
      else: self.files[".".join(parts)] = (path, False)
  def find_spec(self, name, path=None, target=None):
    if name not in self.files: return None
    return importlib.util.spec_from_loader(name, self, origin=self.files[name][0], is_package=self.files[name][1])
  def create_module(self, spec): return None
  def exec_module(self, module):
    if (path:=self.files[module.__name__][0]) is None: return
    src = self.sources[path]
    linecache.cache[path] = (len(src), None, src.splitlines(True), path)
    exec(compile(src, path, "exec"), module.__dict__)

def new_winograd():
  """NEW_RULE_SOURCE imported as it ran (the package wino_core.winograd, or the one module of a comparison stored while
  the rule was one file), and its rule installed."""
  sources = NEW_RULE_SOURCE if isinstance(NEW_RULE_SOURCE, dict) else {"wino_core/winograd.py": NEW_RULE_SOURCE}
  sys.meta_path.insert(0, RuleFiles(sources))
  return importlib.import_module("wino_core.winograd").new_winograd(force=FORCE_NEW)

MODES = {"baseline": contextlib.nullcontext, "old": lambda: Context(WINO=1), "new": new_winograd}

def run(mode:str, show_source:bool, variables:dict[str, str], save:str|None, time_file:str|None):
  # the column's tinygrad context variables (+NAME=VALUE), for the whole run
  with Context(**{k: int(v) if v.lstrip("-").isdigit() else v for k, v in variables.items()}), bfloat16_support(SPEC, DEVICE):
    if time_file: time_saved(time_file)
    else: run_mode(mode, show_source, save)

def run_mode(mode:str, show_source:bool, save:str|None=None):
  xn, wn, bn = make_inputs(SPEC)
  x, w = input_tensor(SPEC, xn, DEVICE), input_tensor(SPEC, wn, DEVICE)
  b = input_tensor(SPEC, bn, DEVICE) if bn is not None else None
  cap = LinearCapture()
  with MODES[mode]():
    out = build_conv(SPEC, x, w, b)
    with cap.installed(): out.realize()
  linear, var_vals = cap.linear()
  # the comparison's search setting: tinygrad's heuristics, its BEAM search, or NOOPT
  with Context(NOOPT=int(SEARCH.get("noopt", False))), seeded_beam() if SEARCH.get("seed") else contextlib.nullcontext():
    compiled = compile_linear(linear, beam=SEARCH.get("beam", 0))
  run_linear(compiled, var_vals)
  programs = [c.src[0] for c in program_calls(compiled)]
  print(f"== {mode} on {DEVICE}: {len(programs)} kernel{'' if len(programs) == 1 else 's'}")
  for prg in programs:
    print(f"  {ansistrip(prg.arg.name)}  opts: {list(prg.src[0].arg.applied_opts)}")
    if show_source: print(next(s.arg for s in prg.src if s.op is Ops.SOURCE))
  ref = conv2d_reference(xn, wn, bn, SPEC.stride, SPEC.dilation, SPEC.padding, SPEC.groups)
  abs_err, rel_err = max_errors(out.numpy(), ref)
  print(f"  max abs error {abs_err:.3e}, max rel error {rel_err:.3e}")
  sources = [hashlib.sha256(next(s.arg for s in prg.src if s.op is Ops.SOURCE).encode()).hexdigest() for prg in programs]
  report_times(compiled, var_vals, sources)
  if save:  # the compiled kernels, for the timing-only processes of the later rounds
    with open(save, "wb") as f: pickle.dump((compiled, var_vals, {"x": x.uop.base, "w": w.uop.base, **({"b": b.uop.base} if b is not None else {})}, sources), f)

def report_times(compiled, var_vals, sources:list[str]):
  """Times the kernels as wino-dash does (warm-up, then REPEAT runs) and prints them on one line for main()."""
  watch = LoadWatch()
  watch.settle()
  _, sums = time_kernels(linear_timer, program_calls(compiled), var_vals, 2, REPEAT)
  print("TIMES " + json.dumps({"samples": sums, "machine": watch.record(DEVICE), "sources": sources}), flush=True)

def time_saved(path:str):
  """A timing-only process: the kernels the mode's first process compiled, loaded, given the same inputs, timed."""
  with open(path, "rb") as f: compiled, var_vals, inputs, sources = pickle.load(f)
  for name, arr in zip(("x", "w", "b"), make_inputs(SPEC)):
    if arr is not None and name in inputs: inputs[name].buffer.ensure_allocated().copy_from(input_tensor(SPEC, arr, DEVICE).uop.base.buffer)
  run_linear(compiled, var_vals)
  report_times(compiled, var_vals, sources)

def verdict_line(runs:dict[str, dict]) -> str:
  """wino-dash's speed verdict on the processes timed here: each pair's ratio with faster/slower/within noise."""
  timed = {c: {**r, "kernel_time_s": summary(r["groups"], r["rounds"])} for c, r in runs.items()}
  speedups, _ = speed_pairs(timed, [(a, b) for a, b in VERDICT_PAIRS if a in timed and b in timed])
  parts = [f"{s['a']}/{s['b']} {s['ratio']:.2f}× ({s['verdict']})" for s in speedups]
  if (load:=machine_load(timed))["noisy"]:
    parts.append(f"noisy run: other processes kept up to {load['other_cpu']:.1f} of {load['cpus']} cores busy, load average up to {load['loadavg']:.1f}")
  counts = "/".join(map(str, sorted({len(r["groups"]) for r in runs.values()})))
  return "verdict: " + "; ".join(parts or ["nothing to compare"]) + (f" (timed in {counts} processes per mode)" if counts else "")

def how_to_get(name:str) -> str:
  e = TINYGRADS[name]
  if e.get("kind") == "checkout":
    at = f" at commit {e['commit']}" if e.get("commit") else ""
    dirty = f" with its uncommitted changes (diff hash {e['diff_hash']})" if e.get("dirty") else ""
    return f"the tinygrad checkout {name!r} ({e.get('path')}{at}{dirty}): pass --tinygrad {name}=<that checkout's directory>"
  return f"tinygrad {e.get('version')}: `python -m venv v && v/bin/pip install tinygrad=={e.get('version')} numpy`, then pass --tinygrad {name}=v/bin/python"

def main() -> int:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--source", action="store_true", help="print each kernel's generated source")
  p.add_argument("--mode", choices=list(MODES), help="run this one mode in this process")
  p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a tinygrad context variable for --mode's run")
  p.add_argument("--processes", type=int, default=PROCESSES, help=f"fresh processes each mode is timed in, interleaved (default {PROCESSES})")
  p.add_argument("--save", help=argparse.SUPPRESS)  # with --mode: pickle the compiled kernels here
  p.add_argument("--time", help=argparse.SUPPRESS)  # with --mode: only time the kernels pickled here
  p.add_argument("--tinygrad", action="append", default=[], metavar="NAME=PYTHON|CHECKOUT",
                 help="where a column's other tinygrad is: a Python that has it installed, or a checkout's directory")
  args = p.parse_args()
  where = dict(t.split("=", 1) for t in args.tinygrad if "=" in t)
  if args.mode == "new" and NEW_RULE_SOURCE is None:
    print("== new: NEW is not available: this script was written without its rule (wino_core/winograd/)")
    return 0
  if args.mode:
    run(args.mode, args.source, dict(v.split("=", 1) for v in args.set), args.save, args.time)
    return 0
  print(f"tinygrad {version('tinygrad')}", flush=True)
  failed, launch, runs = False, {}, {}
  for column in RUN_MODES:
    head, *assigns = column.split("+")  # MODE[@TINYGRAD][+NAME=VALUE...]
    mode, _, env = head.partition("@")
    python, extra_env = sys.executable, {}
    if env:  # this column ran on another tinygrad than the pinned one
      if env not in where:
        print(f"== {column}: skipped: it needs {how_to_get(env)}", flush=True)
        continue
      if os.path.isdir(where[env]): extra_env = {"PYTHONPATH": os.path.abspath(where[env])}
      else: python = where[env]
      print(f"== {column}: on {where[env]}", flush=True)
    # a fresh process per mode: no schedule cache, compiled program or Context carries over from the mode before
    launch[column] = ([python, os.path.abspath(__file__), "--mode", mode, *(f"--set={a}" for a in assigns)], {**os.environ, **extra_env})
  def child(column:str, *extra:str, echo:bool=False) -> tuple[int, dict|None]:
    """One process of a column: its exit code and TIMES line, the rest of its output echoed (the first process's) or dropped."""
    cmd, env = launch[column]
    proc, times = subprocess.Popen([*cmd, *extra], env=env, stdout=subprocess.PIPE, text=True), None
    for line in proc.stdout:
      if line.startswith("TIMES "): times = json.loads(line[6:])
      elif echo: print(line, end="", flush=True)
    if (rc:=proc.wait()): print(f"== {column}: failed with exit code {rc}", flush=True)
    return rc, times if rc == 0 else None
  # as wino-dash times them: each column's first process compiles, checks and times it; then rounds of timing-only
  # processes of the same kernels, the columns in alternating order
  with tempfile.TemporaryDirectory() as tmp:
    saved = {c: os.path.join(tmp, f"{i}.pkl") for i, c in enumerate(launch)}
    for column in launch:
      rc, times = child(column, *(["--source"] if args.source else []), "--save", saved[column], echo=True)
      failed |= rc != 0
      if times: runs[column] = {"status": "ok", "device": DEVICE, "kernels": [{"source": s} for s in times["sources"]],
                                "groups": [times["samples"]], "rounds": [0], "machine": [times["machine"]]}
    columns = list(runs)
    for rnd in range(1, args.processes):
      for column in (columns[::-1] if rnd % 2 else columns):
        if (times:=child(column, "--time", saved[column])[1]) is None: continue
        runs[column]["groups"].append(times["samples"]); runs[column]["rounds"].append(rnd); runs[column]["machine"].append(times["machine"])
  print(verdict_line(runs), flush=True)
  return int(failed)

if __name__ == "__main__": sys.exit(main())'''

def _embedded(*objs) -> str:
  """Each object's source, verbatim, under the file it comes from."""
  return "\n\n".join(f"# {o.__module__.replace('.', '/')}.py\n{inspect.getsource(o).rstrip()}" for o in objs)

def _literal(src:str) -> str:
  """A raw triple-quoted string of src, readable as the file it is; repr() where src cannot be written so."""
  for quotes in ("'''", '"""'):
    try:
      if ast.literal_eval(lit:=f"r{quotes}{src}{quotes}") == src: return lit
    except SyntaxError: pass
  return repr(src)

def _rule_literal(rule:str|dict[str, str]) -> str:
  """NEW's rule as a literal: {path: source} (one file a line), or the one string of a rule stored when it was one file."""
  if isinstance(rule, str): return _literal(rule)
  return "{\n" + "".join(f"{path!r}: {_literal(src)},\n" for path, src in rule.items()) + "}"

def _spec_literal(spec:ConvSpec) -> str:
  """The spec as plain values: its fields, then every size it derives (as make_inputs and build_conv read them)."""
  fields = ", ".join(f"{f.name}={getattr(spec, f.name)!r}" for f in dataclasses.fields(spec))
  derived = ", ".join(f"{name}={getattr(spec, name)!r}" for name, v in vars(ConvSpec).items() if isinstance(v, property))
  return f"SimpleNamespace({fields},\n                       {derived})"

# the speed verdict, as the script runs it on the processes it times
SPEED_CONSTANTS = ("ALPHA", "BOOTSTRAP_N", "CONFIDENCE", "PROCESS_CONFIDENCE", "NOISY_SHARE")
SPEED_FUNCTIONS = ("process_medians", "process_t_interval", "t_two_sided_p", "t_quantile", "_betainc", "run_samples", "mann_whitney_p",
                   "bootstrap_ratio_interval", "speed_pair", "speed_pairs", "same_kernels", "machine_load")

def reproducer_script(spec:ConvSpec, modes:list[str], device:str, force_new:bool=False, search:dict|None=None,
                      tinygrads:dict[str, dict]|None=None, repeat:int=10, processes:int=DEFAULT_PROCESSES, rule:str|dict[str, str]|None=None,
                      code:dict|None=None) -> str:
  """The script's text. Run as `python repro.py [--source]`: each mode runs in a fresh process and prints its kernels'
  names, their count and the largest error against a float64 numpy reference; --source adds the generated code.
  `modes` are columns (`mode@env` on another tinygrad, `+NAME=VALUE` a context variable set in its run); `tinygrads`: those environments' identities (which release, or
  which checkout at which commit), so the script says what each such column needs. `repeat` and `processes`: how the
  comparison timed each mode (the runs per process, the processes per mode); the script times them so and prints the verdict.
  `rule`: the NEW rule's source stored with the comparison ({path: source} of its package, or one string where it was
  stored while the rule was one file), embedded as it ran (`code`: the comparison's code identity,
  named in the script); without one (a comparison stored before rules were kept) the rule in this tree now, and the
  script says so."""
  if not any(split(m)[0] == "new" for m in modes): new_rule = None
  else: new_rule = rule if rule is not None else rule_source(str(NEW_RULE_DIR)) or None
  which = (f"the NEW rule that ran (wino-dash code {code['id']})" if code else "the NEW rule that ran") if rule is not None else \
          "the NEW rule as it is in wino-dash's tree today (this comparison was stored without its own)"
  others = "".join(f"\nColumn(s) @{n} need {'the checkout ' + repr(n) if e.get('kind') == 'checkout' else 'tinygrad ' + str(e.get('version'))}: "
                   f"--tinygrad {n}=PYTHON|CHECKOUT (--help)." for n, e in (tinygrads or {}).items())
  doc = (f'"""wino-dash reproducer: {spec.describe()}, on {device}, modes {", ".join(modes)}.\n'
         f"Needs only tinygrad==0.14.0 and numpy: python <this file> [--source]. Each mode runs in a fresh process and\n"
         f"prints the kernels tinygrad generates and the largest error against a float64 numpy reference; then each is\n"
         f"timed again in timing-only processes, interleaved as wino-dash does, and the last line is the speed verdict.\n"
         f'The functions under a "# wino_core/..." line are wino-dash\'s own, copied verbatim; NEW_RULE_SOURCE is {which}.{others}"""')
  parts = [doc + "\n" + _HEADER,
           f"SPEC = {_spec_literal(spec)}\nDEVICE = {device!r}\nRUN_MODES = {list(modes)!r}\nTINYGRADS = {dict(tinygrads or {})!r}\nFORCE_NEW = {force_new!r}  # NEW skips its cost model\n"
           f"SEARCH = {dict(search or {})!r}  # {{}}: tinygrad's heuristics; {{'beam': N}}: BEAM=N ('seed': True: from each kernel's own opts); {{'noopt': True}}: NOOPT",
           _embedded(make_inputs, input_tensor, bfloat16_support, build_conv, conv2d_reference, max_errors, LinearCapture, program_calls, seeded_beam),
           f"REPEAT = {repeat!r}  # timed runs per process, after 2 warm-up runs\nPROCESSES = {processes!r}  # fresh processes per mode\n"
           f"VERDICT_PAIRS = {[tuple(p) for p in (verdict_pairs(list(modes)) or verdict.PAIRS)]!r}",
           _embedded(time_kernels, linear_timer, _ticks, _loadavg, LoadWatch, gpu_clocks, summary),
           "# wino_core/verdict.py\n" + "\n".join(f"{n} = {getattr(verdict, n)!r}" for n in SPEED_CONSTANTS),
           _embedded(*(getattr(verdict, n) for n in SPEED_FUNCTIONS)),
           f"# wino_core/winograd/: {which}, verbatim\nNEW_RULE_SOURCE = " + (_rule_literal(new_rule) if new_rule is not None else "None"),
           _MAIN]
  return "\n\n".join(parts) + "\n"
