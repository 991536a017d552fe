"""A comparison: one spec run in several modes on one device, each mode in its own fresh process."""
from __future__ import annotations
import hashlib, json, os, re, tempfile
from dataclasses import dataclass
from typing import Callable

from wino_core.columns import available_envs, local_var_types, named_envs, parse_columns, split, variables, verdict_pairs
from wino_core.devices import tinygrad_version
from wino_core.result import MODES, RunResult, comparison_dict
from wino_core.rounds import more_rounds
from wino_core.run import RunSettings, run_mode
from wino_core.search import HEURISTICS, Search, parse_search
from wino_core.spec import Caps, ConvSpec, SpecError, parse_spec

def check_modes(modes) -> list[str]:
  """Modes (no tinygrad environments: sweeps) in canonical order, without repeats; refuses unknown ones and an empty list."""
  pinned = tinygrad_version()
  return parse_columns(modes, {}, pinned)[0]

@dataclass(frozen=True)
class CompareRequest:
  """What a user asks for. Its id is the permalink: a hash of everything that decides the result (a re-run adds
  its number, so it gets a link of its own), the code that makes the kernels included (wino_core/code.py)."""
  spec: ConvSpec
  modes: tuple[str, ...]     # columns: `mode` on the pinned tinygrad, `mode@env` on another (wino_core/columns.py)
  device: str
  tinygrad: str
  repeat: int = 10
  rerun: int = 0
  force_new: bool = False   # NEW skips its cost model (to inspect what it makes of a conv it would leave alone)
  search: Search = HEURISTICS  # how kernels get their opts: heuristics, BEAM=N, NOOPT
  envs_json: str = "{}"        # the identities (release, or checkout commit + dirty diff hash) of the other tinygrads used
  code: str|None = None        # code_identity()["id"] where it runs; None: a request stored before it was kept

  @property
  def envs(self) -> dict[str, dict]: return json.loads(self.envs_json)
  def to_dict(self) -> dict:
    return {"spec": self.spec.to_dict(), "modes": list(self.modes), "device": self.device, "tinygrad": self.tinygrad,
            "repeat": self.repeat, **({"rerun": self.rerun} if self.rerun else {}), **({"force_new": True} if self.force_new else {}),
            **({"search": self.search.to_dict()} if not self.search.is_default else {}),  # absent for heuristics: old ids stay
            **({"tinygrad_envs": self.envs} if self.envs else {}),  # an edited checkout is a new id
            **({"code": self.code} if self.code else {})}  # an edited rule is a new id; absent in old requests: their ids stay
  @property
  def id(self) -> str: return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
  @classmethod
  def from_dict(cls, d:dict) -> CompareRequest:
    """Back from to_dict (a stored or queued request: already checked when it was made)."""
    return cls(parse_spec(d["spec"]), tuple(d["modes"]), d["device"], d["tinygrad"], d.get("repeat", 10), d.get("rerun", 0),
               d.get("force_new", False), parse_search(d.get("search")), json.dumps(d.get("tinygrad_envs") or {}, sort_keys=True), d.get("code"))

def parse_request(raw:dict, *, caps:Caps|None=None, min_modes:int=1, max_repeat:int=100, devices:list[dict]|None=None,
                  envs_home:str|None=None) -> CompareRequest:
  """A request from JSON or a form: spec fields, modes (columns: `mode` or `mode@env`), tinygrad (the environment of
  columns that name none), device (default: tinygrad's), repeat, rerun. SpecError on any bad field. `devices`: the
  catalogue to check the device against (default: what tinygrad opens here); a device's "tinygrad_envs" (a queue
  worker's) are the environments it can run, else those registered under `envs_home`."""
  from wino_core.devices import check_device, default_device
  if not isinstance(raw, dict): raise SpecError({"request": "must be a JSON object"})
  if (extra:=set(raw) - {"spec", "modes", "device", "repeat", "rerun", "force_new", "search", "tinygrad"}): raise SpecError({sorted(extra)[0][:40]: "unknown field"})
  errors: dict[str, str] = {}
  def field(fn):
    try: return fn()
    except SpecError as e: errors.update(e.errors)
  spec = field(lambda: parse_spec(raw.get("spec", {}), caps))
  device = raw.get("device") or default_device(devices)
  info = next((d for d in devices or [] if d["name"] == device), {}) if isinstance(device, str) else {}
  known = info["tinygrad_envs"] if "tinygrad_envs" in info else available_envs(envs_home, named_envs(raw.get("modes", []), raw.get("tinygrad")))
  var_types = local_var_types(envs_home, known, pinned_only="tinygrad_envs" in info)
  modes, envs = field(lambda: parse_columns(raw.get("modes", list(MODES)), known, tinygrad_version(), raw.get("tinygrad"), var_types)) or (None, {})
  if modes is not None and len(modes) < min_modes: errors["modes"] = f"choose at least {min_modes} columns (modes, or a mode on two tinygrads)"
  repeat, rerun = (field(lambda k=k, d=d, lo=lo, hi=hi: bounded_int(raw.get(k, d), k, lo, hi)) for k, d, lo, hi in
                   (("repeat", 10, 1, max_repeat), ("rerun", 0, 0, 2**53)))
  if not isinstance(device, str): errors["device"] = "must be a device name"
  else: field(lambda: check_device(spec, device, devices))
  if not isinstance(force_new:=raw.get("force_new", False), bool): errors["force_new"] = "must be true or false"
  search = field(lambda: parse_search(raw.get("search")))
  if errors: raise SpecError(errors)
  return CompareRequest(spec, tuple(modes), device, tinygrad_version(), repeat, rerun, force_new, search, json.dumps(envs, sort_keys=True),
                        code_id(info))

def code_id(device_info:dict) -> str:
  """The identity of the code a request will run with: a queue worker's (its heartbeat has it), else this host's."""
  from wino_core.code import code_identity
  return device_info.get("code") or code_identity()["id"]

def bounded_int(v, name:str, lo:int, hi:int) -> int:
  if isinstance(v, bool) or not isinstance(v, (int, str)) or not re.fullmatch(r"\s*[+-]?[0-9]{1,18}\s*", str(v)):
    raise SpecError({name: f"must be an integer, got {str(v)[:40]!r}"})
  if (n:=int(v)) < lo: raise SpecError({name: f"must be at least {lo}, got {n}"})
  if n > hi: raise SpecError({name: f"must be at most {hi}, got {n}"})
  return n

def compare(request:CompareRequest, settings:RunSettings=RunSettings(), on_progress:Callable[[str, str], None]|None=None) -> dict:
  """Run every column (`mode` or `mode@env`) of the request, one after another (never in parallel: they would skew
  each other's times), as `settings` say (limits, search cache and budget, where the environments are registered), then
  time each again in `settings.processes - 1` rounds of timing-only processes (wino_core/rounds.py).
  The request's environment and code identities are those it was made with: a checkout or wino-dash code that changed
  since then fails the columns rather than be reported under the old identity. The result keeps the code's identity
  and the NEW rule's source (the reproducer runs that rule, not today's)."""
  from wino_core.code import code_identity, rule_source
  spec, device, envs = request.spec, request.device, request.envs
  code = code_identity()
  changed = (f"wino-dash's code here ({code['id']}: the child's modules, the NEW rule, its settings) is not what this comparison was "
             f"requested with ({request.code}); request it again to run the code as it is now") if request.code not in (None, code["id"]) else None
  runs: dict[str, RunResult] = {}
  kw = lambda c: {"settings": settings, "repeat": request.repeat, "variables": variables(c),
                  "on_phase": (lambda p: on_progress(c, p)) if on_progress else None}
  with tempfile.TemporaryDirectory(prefix="wino-dash-programs-") as programs:
    saved, env_of = lambda c: os.path.join(programs, f"{request.modes.index(c)}.pkl"), {}
    for column in request.modes:
      mode, env_name = split(column)
      if on_progress: on_progress(column, "starting")
      env, problem = (None, changed) if changed else _environment(env_name, envs.get(env_name), settings.envs_home) if env_name else (None, None)
      if problem: runs[column] = RunResult(mode=mode, status="error", message=problem, device=device, tinygrad=env_name)
      else:
        runs[column] = run_mode(spec, mode, device, force_new=request.force_new, search=request.search, env=env,
                                save_program=saved(column) if settings.processes > 1 else None, **kw(column))
        env_of[column] = env
        if env_name: runs[column].tinygrad = env_name
      if on_progress: on_progress(column, runs[column].status)
    # then the same kernels again in fresh timing-only processes, the columns interleaved round by round
    def time_again(c:str) -> RunResult|None:
      if not os.path.exists(saved(c)): return None  # its tinygrad could not save its kernels: one process only
      return run_mode(spec, split(c)[0], device, env=env_of[c], time_program=saved(c), **{**kw(c), "on_phase": None})
    more_rounds(runs, time_again, settings.processes, on_progress)
  from wino_core.devices import device_model
  cmp = {**comparison_dict(spec, device, tinygrad_version(), runs), "device_model": device_model(device), "code": code, "rule_source": rule_source()}
  if envs: cmp["tinygrad_envs"] = envs
  if (pairs:=verdict_pairs(list(request.modes))): cmp["verdict_pairs"] = pairs
  return cmp

def _environment(name:str, wanted:dict|None, home:str|None):
  """(Env, None) to run a column on, or (None, why not)."""
  from wino_core.envs import EnvError, get_env, identity
  if home is None: return None, f"no tinygrad environments here to run {name!r} on"
  try:
    env = get_env(home, name)
    now = identity(env)
  except EnvError as e: return None, str(e)
  if wanted is not None and now != wanted:
    changed = [k for k in ("version", "commit", "diff_hash", "path") if now.get(k) != wanted.get(k)]
    return None, (f"tinygrad environment {name!r} changed since this comparison was requested ({', '.join(changed) or 'identity'}); "
                  f"request it again to compare what it is now")
  return env, None
