"""A standalone reproducer: one Python script, needing only tinygrad and numpy, that rebuilds a comparison's conv
and runs it in each mode. wino-dash's own functions go in verbatim (inspect.getsource), so there is one implementation."""
from __future__ import annotations
import ast, dataclasses, inspect
from pathlib import Path

from wino_core.capture import LinearCapture, program_calls
from wino_core.child import bfloat16_support, build_conv, input_tensor, make_inputs
from wino_core.columns import split
from wino_core.reference import conv2d_reference, max_errors
from wino_core.spec import ConvSpec

# the NEW rule, read when a script is written; it imports only tinygrad
NEW_RULE_PATH = Path(__file__).with_name("winograd.py")

_HEADER = '''from __future__ import annotations
import argparse, contextlib, linecache, os, subprocess, sys, types
from importlib.metadata import version
from types import SimpleNamespace
from typing import Iterator
import numpy as np
from tinygrad import Tensor
from tinygrad.engine.realize import capturing, compile_linear, run_linear
from tinygrad.helpers import Context, ansistrip
from tinygrad.uop.ops import Ops, UOp'''

_MAIN = '''def new_winograd():
  """NEW_RULE_SOURCE loaded as a module of its own (its tracebacks show its lines), and its rule installed."""
  name = "wino_core/winograd.py"
  linecache.cache[name] = (len(NEW_RULE_SOURCE), None, NEW_RULE_SOURCE.splitlines(True), name)
  sys.modules["winograd"] = module = types.ModuleType("winograd")
  exec(compile(NEW_RULE_SOURCE, name, "exec"), module.__dict__)
  return module.new_winograd(force=FORCE_NEW)

MODES = {"baseline": contextlib.nullcontext, "old": lambda: Context(WINO=1), "new": new_winograd}

def run(mode:str, show_source:bool, variables:dict[str, str]):
  # the column's tinygrad context variables (+NAME=VALUE), for the whole run
  with Context(**{k: int(v) if v.lstrip("-").isdigit() else v for k, v in variables.items()}), bfloat16_support(SPEC, DEVICE):
    run_mode(mode, show_source)

def run_mode(mode:str, show_source:bool):
  xn, wn, bn = make_inputs(SPEC)
  x, w = input_tensor(SPEC, xn, DEVICE), input_tensor(SPEC, wn, DEVICE)
  b = input_tensor(SPEC, bn, DEVICE) if bn is not None else None
  cap = LinearCapture()
  with MODES[mode]():
    out = build_conv(SPEC, x, w, b)
    with cap.installed(): out.realize()
  linear, var_vals = cap.linear()
  # the comparison's search setting: tinygrad's heuristics, its BEAM search, or NOOPT
  with Context(NOOPT=int(SEARCH.get("noopt", False))): compiled = compile_linear(linear, beam=SEARCH.get("beam", 0))
  run_linear(compiled, var_vals)
  programs = [c.src[0] for c in program_calls(compiled)]
  print(f"== {mode} on {DEVICE}: {len(programs)} kernel{'' if len(programs) == 1 else 's'}")
  for prg in programs:
    print(f"  {ansistrip(prg.arg.name)}  opts: {list(prg.src[0].arg.applied_opts)}")
    if show_source: print(next(s.arg for s in prg.src if s.op is Ops.SOURCE))
  ref = conv2d_reference(xn, wn, bn, SPEC.stride, SPEC.dilation, SPEC.padding, SPEC.groups)
  abs_err, rel_err = max_errors(out.numpy(), ref)
  print(f"  max abs error {abs_err:.3e}, max rel error {rel_err:.3e}")

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
  p.add_argument("--tinygrad", action="append", default=[], metavar="NAME=PYTHON|CHECKOUT",
                 help="where a column's other tinygrad is: a Python that has it installed, or a checkout's directory")
  args = p.parse_args()
  where = dict(t.split("=", 1) for t in args.tinygrad if "=" in t)
  if args.mode == "new" and NEW_RULE_SOURCE is None:
    print("== new: NEW is not available: this script was written without wino_core/winograd.py")
    return 0
  if args.mode:
    run(args.mode, args.source, dict(v.split("=", 1) for v in args.set))
    return 0
  print(f"tinygrad {version('tinygrad')}", flush=True)
  failed = False
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
    cmd = [python, os.path.abspath(__file__), "--mode", mode, *(["--source"] if args.source else []), *(f"--set={a}" for a in assigns)]
    if (rc:=subprocess.run(cmd, env={**os.environ, **extra_env}).returncode): print(f"== {column}: failed with exit code {rc}", flush=True)
    failed |= rc != 0
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

def _spec_literal(spec:ConvSpec) -> str:
  """The spec as plain values: its fields, then every size it derives (as make_inputs and build_conv read them)."""
  fields = ", ".join(f"{f.name}={getattr(spec, f.name)!r}" for f in dataclasses.fields(spec))
  derived = ", ".join(f"{name}={getattr(spec, name)!r}" for name, v in vars(ConvSpec).items() if isinstance(v, property))
  return f"SimpleNamespace({fields},\n                       {derived})"

def reproducer_script(spec:ConvSpec, modes:list[str], device:str, force_new:bool=False, search:dict|None=None,
                      tinygrads:dict[str, dict]|None=None) -> str:
  """The script's text. Run as `python repro.py [--source]`: each mode runs in a fresh process and prints its kernels'
  names, their count and the largest error against a float64 numpy reference; --source adds the generated code.
  `modes` are columns (`mode@env` on another tinygrad, `+NAME=VALUE` a context variable set in its run); `tinygrads`: those environments' identities (which release, or
  which checkout at which commit), so the script says what each such column needs."""
  new_rule = NEW_RULE_PATH.read_text() if any(split(m)[0] == "new" for m in modes) and NEW_RULE_PATH.exists() else None
  others = "".join(f"\nColumn(s) @{n} need {'the checkout ' + repr(n) if e.get('kind') == 'checkout' else 'tinygrad ' + str(e.get('version'))}: "
                   f"--tinygrad {n}=PYTHON|CHECKOUT (--help)." for n, e in (tinygrads or {}).items())
  doc = (f'"""wino-dash reproducer: {spec.describe()}, on {device}, modes {", ".join(modes)}.\n'
         f"Needs only tinygrad==0.14.0 and numpy: python <this file> [--source]. Each mode runs in a fresh process and\n"
         f"prints the kernels tinygrad generates and the largest error against a float64 numpy reference.\n"
         f'The functions under a "# wino_core/..." line are wino-dash\'s own, copied verbatim.{others}"""')
  parts = [doc + "\n" + _HEADER,
           f"SPEC = {_spec_literal(spec)}\nDEVICE = {device!r}\nRUN_MODES = {list(modes)!r}\nTINYGRADS = {dict(tinygrads or {})!r}\nFORCE_NEW = {force_new!r}  # NEW skips its cost model\n"
           f"SEARCH = {dict(search or {})!r}  # {{}}: tinygrad's heuristics; {{'beam': N}}: BEAM=N; {{'noopt': True}}: NOOPT",
           _embedded(make_inputs, input_tensor, bfloat16_support, build_conv, conv2d_reference, max_errors, LinearCapture, program_calls),
           "# wino_core/winograd.py, the NEW rule, verbatim\nNEW_RULE_SOURCE = " + (_literal(new_rule) if new_rule is not None else "None"),
           _MAIN]
  return "\n\n".join(parts) + "\n"
