"""A comparison's columns: a mode on a tinygrad, written `mode` (the pinned tinygrad) or `mode@env` (a tinygrad
environment of wino_core/envs.py: another release, or a checkout under review). Plain names keep old ids and links."""
from __future__ import annotations

from wino_core.result import MODES
from wino_core.spec import SpecError

def split(column:str) -> tuple[str, str|None]:
  """'old@pr-1234' -> ('old', 'pr-1234'); 'old' -> ('old', None)."""
  mode, _, env = column.partition("@")
  return mode, env or None

def join(mode:str, env:str|None) -> str: return f"{mode}@{env}" if env else mode

def parse_columns(modes, known:dict[str, dict], pinned:str, tinygrad:str|None=None) -> tuple[list[str], dict[str, dict]]:
  """Canonical columns and the identities of the environments they use (the pinned one left out: it is the request's
  `tinygrad`). `modes`: a list or a comma-separated string of `mode` / `mode@env`; `tinygrad`: the environment of the
  columns that name none (default the pinned one); `known`: name -> identity of the environments that can run here
  (an identity with an "error" cannot). Columns are ordered by mode, then as given; repeats are dropped."""
  if isinstance(modes, str): modes = [m for m in modes.split(",") if m.strip()]
  if not isinstance(modes, (list, tuple)) or not all(isinstance(m, str) for m in modes):
    raise SpecError({"modes": "must be a list of mode names"})
  if tinygrad is not None and not isinstance(tinygrad, str): raise SpecError({"tinygrad": "must be the name of a tinygrad environment"})
  def env_of(name:str|None, field:str) -> str|None:
    if name is None or name == pinned: return None
    if name not in known:
      raise SpecError({field: f"unknown tinygrad environment {name[:40]!r} (known here: {', '.join([pinned, *sorted(set(known) - {pinned})])}; "
                              f"the server adds them with `wino-dash tinygrad add`)"})
    if "error" in known[name]: raise SpecError({field: f"tinygrad environment {name!r} cannot run: {known[name]['error']}"})
    return name
  default = env_of(tinygrad.strip() if tinygrad and tinygrad.strip() else None, "tinygrad")
  columns: list[str] = []
  for raw in modes:
    mode, env = split(raw.strip())
    mode = mode.lower()  # mode names are case-blind, environment names are not
    if mode not in MODES: raise SpecError({"modes": f"unknown mode {mode[:20]!r} (known: {', '.join(MODES)}; a column is MODE or MODE@TINYGRAD)"})
    if (col:=join(mode, env_of(env, "modes") if env else default)) not in columns: columns.append(col)
  if not columns: raise SpecError({"modes": f"choose at least one of {', '.join(MODES)}"})
  columns.sort(key=lambda c: MODES.index(split(c)[0]))  # stable: the given order within a mode
  envs = {e: known[e] for c in columns if (e:=split(c)[1])}
  return columns, envs

def verdict_pairs(columns:list[str]) -> list[tuple[str, str]] | None:
  """Which columns the verdict times against which, when they span environments (None: the usual NEW/OLD/baseline
  pairs): each mode on each later tinygrad against its first one, then the usual pairs within each tinygrad; two
  columns of different modes and tinygrads are paired with each other."""
  if not any(split(c)[1] for c in columns): return None
  pairs: list[tuple[str, str]] = []
  for mode in MODES:
    same = [c for c in columns if split(c)[0] == mode]
    pairs += [(c, same[0]) for c in same[1:]]
  for env in dict.fromkeys(split(c)[1] for c in columns):
    for a, b in (("new", "old"), ("new", "baseline"), ("old", "baseline")):
      if join(a, env) in columns and join(b, env) in columns: pairs.append((join(a, env), join(b, env)))
  if not pairs and len(columns) == 2: pairs.append((columns[1], columns[0]))
  return pairs

def named_envs(modes, tinygrad=None) -> set[str]|None:
  """The environment names a request's columns mention (None when it cannot tell: parse_columns will say what is wrong)."""
  if isinstance(modes, str): modes = modes.split(",")
  if not isinstance(modes, (list, tuple)) or not all(isinstance(m, str) for m in modes): return None
  return {e for m in modes if (e:=split(m.strip())[1])} | ({tinygrad.strip()} if isinstance(tinygrad, str) and tinygrad.strip() else set())

def available_envs(home:str|None, only:set[str]|None=None) -> dict[str, dict]:
  """name -> identity, taken now, of every tinygrad environment registered under `home` (the pinned one included);
  one that cannot run (a checkout gone, an install that failed) maps to {"error": why}. With `only`, the others map to
  their name alone: an identity runs git several times per checkout, and a request needs only those it names."""
  from wino_core.envs import EnvError, get_env, identity, list_envs
  from wino_core.devices import tinygrad_version
  if home is None: return {tinygrad_version(): {"name": tinygrad_version(), "kind": "pinned", "version": tinygrad_version()}}
  out: dict[str, dict] = {}
  for env in list_envs(home):
    if only is not None and env.name not in only:
      out[env.name] = {"name": env.name, "kind": env.kind}
      continue
    try: out[env.name] = identity(get_env(home, env.name))
    except EnvError as e: out[env.name] = {"name": env.name, "error": str(e)}
  return out

def describe_env(ident:dict) -> str:
  """One line for a tinygrad environment's identity: 'pr-1234: checkout ~/src/tinygrad at 1a2b3c4d (branch fix, dirty 9f8e7d6c5b4a)'."""
  if "error" in ident: return f"{ident.get('name')}: {ident['error']}"
  if ident.get("kind") != "checkout": return f"{ident.get('name')}: tinygrad {ident.get('version')} ({ident.get('kind', 'release')})"
  at = f" at {ident['commit'][:10]}" if ident.get("commit") else ""
  state = [f"branch {ident['branch']}"] if ident.get("branch") else []
  if ident.get("dirty") or (ident.get("commit") is None and ident.get("diff_hash")):
    state.append(f"dirty {ident['diff_hash']}" if ident.get("commit") else f"files {ident['diff_hash']}")
  return f"{ident.get('name')}: checkout {ident.get('path')}{at}" + (f" ({', '.join(state)})" if state else "")
