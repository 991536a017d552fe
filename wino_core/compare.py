"""A comparison: one spec run in several modes on one device, each mode in its own fresh process."""
from __future__ import annotations
import hashlib, json, re
from dataclasses import dataclass
from typing import Callable

from wino_core.devices import tinygrad_version
from wino_core.result import MODES, RunResult, comparison_dict
from wino_core.run import run_mode
from wino_core.search import HEURISTICS, Search, parse_search
from wino_core.spec import Caps, ConvSpec, SpecError, parse_spec

def check_modes(modes) -> list[str]:
  """Modes in canonical order, without repeats; refuses unknown ones and an empty list."""
  if isinstance(modes, str): modes = [m for m in modes.split(",") if m.strip()]
  if not isinstance(modes, (list, tuple)) or not all(isinstance(m, str) for m in modes):
    raise SpecError({"modes": "must be a list of mode names"})
  modes = [m.strip().lower() for m in modes]
  if (bad:=[m for m in modes if m not in MODES]): raise SpecError({"modes": f"unknown mode {bad[0][:20]!r} (known: {', '.join(MODES)})"})
  if not modes: raise SpecError({"modes": f"choose at least one of {', '.join(MODES)}"})
  return [m for m in MODES if m in modes]

@dataclass(frozen=True)
class CompareRequest:
  """What a user asks for. Its id is the permalink: a hash of everything that decides the result (a re-run adds
  its number, so it gets a link of its own)."""
  spec: ConvSpec
  modes: tuple[str, ...]
  device: str
  tinygrad: str
  repeat: int = 10
  rerun: int = 0
  force_new: bool = False   # NEW skips its cost model (to inspect what it makes of a conv it would leave alone)
  search: Search = HEURISTICS  # how kernels get their opts: heuristics, BEAM=N, NOOPT

  def to_dict(self) -> dict:
    return {"spec": self.spec.to_dict(), "modes": list(self.modes), "device": self.device, "tinygrad": self.tinygrad,
            "repeat": self.repeat, **({"rerun": self.rerun} if self.rerun else {}), **({"force_new": True} if self.force_new else {}),
            **({"search": self.search.to_dict()} if not self.search.is_default else {})}  # absent for heuristics: old ids stay
  @property
  def id(self) -> str: return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
  @classmethod
  def from_dict(cls, d:dict) -> CompareRequest:
    """Back from to_dict (a stored or queued request: already checked when it was made)."""
    return cls(parse_spec(d["spec"]), tuple(d["modes"]), d["device"], d["tinygrad"], d.get("repeat", 10), d.get("rerun", 0),
               d.get("force_new", False), parse_search(d.get("search")))

def parse_request(raw:dict, *, caps:Caps|None=None, min_modes:int=1, max_repeat:int=100, devices:list[dict]|None=None) -> CompareRequest:
  """A request from JSON or a form: spec fields, modes, device (default: tinygrad's), repeat, rerun. SpecError on any bad field.
  `devices`: the catalogue to check the device against (default: what tinygrad opens here)."""
  from wino_core.devices import check_device, default_device
  if not isinstance(raw, dict): raise SpecError({"request": "must be a JSON object"})
  if (extra:=set(raw) - {"spec", "modes", "device", "repeat", "rerun", "force_new", "search"}): raise SpecError({sorted(extra)[0][:40]: "unknown field"})
  errors: dict[str, str] = {}
  def field(fn):
    try: return fn()
    except SpecError as e: errors.update(e.errors)
  spec = field(lambda: parse_spec(raw.get("spec", {}), caps))
  modes = field(lambda: check_modes(raw.get("modes", list(MODES))))
  if modes is not None and len(modes) < min_modes: errors["modes"] = f"choose at least {min_modes} of {', '.join(MODES)}"
  repeat, rerun = (field(lambda k=k, d=d, lo=lo, hi=hi: bounded_int(raw.get(k, d), k, lo, hi)) for k, d, lo, hi in
                   (("repeat", 10, 1, max_repeat), ("rerun", 0, 0, 2**53)))
  device = raw.get("device") or default_device(devices)
  if not isinstance(device, str): errors["device"] = "must be a device name"
  else: field(lambda: check_device(spec, device, devices))
  if not isinstance(force_new:=raw.get("force_new", False), bool): errors["force_new"] = "must be true or false"
  search = field(lambda: parse_search(raw.get("search")))
  if errors: raise SpecError(errors)
  return CompareRequest(spec, tuple(modes), device, tinygrad_version(), repeat, rerun, force_new, search)

def bounded_int(v, name:str, lo:int, hi:int) -> int:
  if isinstance(v, bool) or not isinstance(v, (int, str)) or not re.fullmatch(r"\s*\+?[0-9]{1,18}\s*", str(v)):
    raise SpecError({name: f"must be an integer, got {str(v)[:40]!r}"})
  if not lo <= (n:=int(v)) <= hi: raise SpecError({name: f"must be in {lo}..{hi}, got {n}"})
  return n

def compare(spec:ConvSpec, modes:list[str]|tuple[str, ...], device:str, *, repeat:int=10, timeout_s:float|None=None,
            force_new:bool=False, search:Search=HEURISTICS, search_options:dict|None=None,
            on_progress:Callable[[str, str], None]|None=None) -> dict:
  """Run every mode, one after another (never in parallel: they would skew each other's times). `search_options`:
  run_mode's search_cache, search_budget_s, parallel."""
  runs: dict[str, RunResult] = {}
  for mode in modes:
    if on_progress: on_progress(mode, "starting")
    kw = {"timeout_s": timeout_s} if timeout_s else {}
    runs[mode] = run_mode(spec, mode, device, repeat=repeat, force_new=force_new, search=search, **(search_options or {}),
                          on_phase=(lambda p, m=mode: on_progress(m, p)) if on_progress else None, **kw)
    if on_progress: on_progress(mode, runs[mode].status)
  from wino_core.devices import device_model
  return {**comparison_dict(spec, device, tinygrad_version(), runs), "device_model": device_model(device)}
