"""A comparison: one spec run in several modes on one device, each mode in its own fresh process."""
from __future__ import annotations
import hashlib, json
from typing import Callable

from wino_core.devices import tinygrad_version
from wino_core.result import MODES, RunResult, comparison_dict
from wino_core.run import run_mode
from wino_core.spec import ConvSpec, SpecError

def check_modes(modes) -> list[str]:
  """Modes in canonical order, without repeats; refuses unknown ones and an empty list."""
  if isinstance(modes, str): modes = [m for m in modes.split(",") if m.strip()]
  if not isinstance(modes, (list, tuple)) or not all(isinstance(m, str) for m in modes):
    raise SpecError({"modes": "must be a list of mode names"})
  modes = [m.strip().lower() for m in modes]
  if (bad:=[m for m in modes if m not in MODES]): raise SpecError({"modes": f"unknown mode {bad[0][:20]!r} (known: {', '.join(MODES)})"})
  if not modes: raise SpecError({"modes": f"choose at least one of {', '.join(MODES)}"})
  return [m for m in MODES if m in modes]

def comparison_id(spec:ConvSpec, modes:list[str], device:str, tinygrad:str, repeat:int) -> str:
  """The permalink id: a hash of everything that decides the result."""
  key = json.dumps({"spec": spec.to_dict(), "modes": modes, "device": device, "tinygrad": tinygrad, "repeat": repeat}, sort_keys=True)
  return hashlib.sha256(key.encode()).hexdigest()[:16]

def compare(spec:ConvSpec, modes:list[str], device:str, *, repeat:int=10, timeout_s:float|None=None,
            on_progress:Callable[[str, str], None]|None=None) -> dict:
  """Run every mode, one after another (never in parallel: they would skew each other's times)."""
  runs: dict[str, RunResult] = {}
  for mode in modes:
    if on_progress: on_progress(mode, "starting")
    kw = {"timeout_s": timeout_s} if timeout_s else {}
    runs[mode] = run_mode(spec, mode, device, repeat=repeat, on_phase=(lambda p, m=mode: on_progress(m, p)) if on_progress else None, **kw)
    if on_progress: on_progress(mode, runs[mode].status)
  return comparison_dict(spec, device, tinygrad_version(), runs)
