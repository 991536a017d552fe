"""A comparison's columns: a mode on a tinygrad with some of its context variables set, written
`MODE[@ENV][+NAME=VALUE...]`: `old` (the pinned tinygrad), `old@pr-1234` (a tinygrad environment of wino_core/envs.py:
another release, or a checkout under review), `baseline@pr-12763+WINO=1` (tinygrad's ContextVar WINO set to 1 in that
column's child only). Plain names keep old ids and links."""
from __future__ import annotations
import re
from typing import Callable

from wino_core.result import MODES
from wino_core.spec import SpecError

VAR_NAME_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
VAR_VALUE_RE = re.compile(r"-?[A-Za-z0-9._]{1,64}")  # no ":" or "," : view state in links splits on them
# set by wino-dash itself for honest measurements, or by the comparison's search setting: not a column's to change
HARNESS_VARS = {"CACHELEVEL": "every compile is cold", "PARALLEL": "compiles are serial in the child",
                "BEAM": "use the comparison's search setting (--beam N)", "CAPTURING": "wino-dash captures the schedule through it",
                "DEV": "use the comparison's device"}

def parse(column:str) -> tuple[str, str|None, dict[str, str]]:
  """'old@pr-1234+WINO=1' -> ('old', 'pr-1234', {'WINO': '1'}); the text only (parse_columns checks it)."""
  head, *assigns = column.split("+")
  mode, _, env = head.partition("@")
  return mode, env or None, dict(a.partition("=")[::2] for a in assigns)

def split(column:str) -> tuple[str, str|None]:
  """'old@pr-1234+WINO=1' -> ('old', 'pr-1234'); 'old' -> ('old', None)."""
  return parse(column)[:2]

def variables(column:str) -> dict[str, str]:
  """The context variables a column sets in its child: 'baseline+NOOPT=1' -> {'NOOPT': '1'}."""
  return parse(column)[2]

def is_plain(column:str) -> bool: return "@" not in column and "+" not in column  # a mode on the pinned tinygrad, as is

def join(mode:str, env:str|None, vars:dict[str, str]|None=None) -> str:
  return (f"{mode}@{env}" if env else mode) + "".join(f"+{k}={v}" for k, v in sorted((vars or {}).items()))

def _vars_of(given) -> dict[str, str]:
  """A column's variables in canonical text (ints without leading zeros or '+'), each name and value checked."""
  if not isinstance(given, dict): raise SpecError({"modes": "a column's vars must be an object of NAME: value"})
  out = {}
  for name, value in given.items():
    if not isinstance(name, str) or not VAR_NAME_RE.fullmatch(name):
      raise SpecError({"modes": f"bad context variable name {str(name)[:40]!r}: tinygrad's are upper case, e.g. WINO or NOOPT"})
    if name in HARNESS_VARS: raise SpecError({"modes": f"a column cannot set {name}: {HARNESS_VARS[name]}"})
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not VAR_VALUE_RE.fullmatch(str(value)):
      raise SpecError({"modes": f"bad value {str(value)[:40]!r} for {name}: give an integer or a word of letters, digits, '.' or '_'"})
    out[name] = str(int(value)) if re.fullmatch(r"-?[0-9]{1,18}", str(value)) else str(value)
  return out

def _column_parts(raw) -> tuple[str, str|None, dict[str, str]]:
  """A column as the API gives it: a string, or {"mode", "tinygrad", "vars"}."""
  if isinstance(raw, dict):
    if (extra:=set(raw) - {"mode", "tinygrad", "vars"}): raise SpecError({"modes": f"unknown key {sorted(extra)[0][:40]!r} in a column (mode, tinygrad, vars)"})
    mode, env = raw.get("mode"), raw.get("tinygrad")
    if not isinstance(mode, str) or (env is not None and not isinstance(env, str)):
      raise SpecError({"modes": "a column object needs \"mode\" (and may have \"tinygrad\", \"vars\")"})
    return mode.strip(), (env.strip() or None) if env else None, _vars_of(raw.get("vars") or {})
  mode, env, assigns = parse(raw.strip())
  if any(not n or not v for n, v in assigns.items()) or raw.count("+") != len(assigns):
    raise SpecError({"modes": f"bad column {raw.strip()[:60]!r}: write MODE[@TINYGRAD][+NAME=VALUE...], e.g. baseline+NOOPT=1"})
  return mode, env, _vars_of(assigns)

def parse_columns(modes, known:dict[str, dict], pinned:str, tinygrad:str|None=None,
                  var_types:Callable[[str], dict[str, str]|None]|None=None) -> tuple[list[str], dict[str, dict]]:
  """Canonical columns and the identities of the environments they use (the pinned one left out: it is the request's
  `tinygrad`). `modes`: a list or a comma-separated string of `MODE[@ENV][+NAME=VALUE...]`, or of {"mode", "tinygrad",
  "vars"} objects; `tinygrad`: the environment of the columns that name none (default the pinned one); `known`: name ->
  identity of the environments that can run here (an identity with an "error" cannot); `var_types(env)`: the context
  variables that environment's tinygrad defines (name -> "int"|"str"; None: cannot tell here, its child checks).
  Columns are ordered by mode, then as given; repeats are dropped."""
  if isinstance(modes, str): modes = [m for m in modes.split(",") if m.strip()]
  if not isinstance(modes, (list, tuple)) or not all(isinstance(m, (str, dict)) for m in modes):
    raise SpecError({"modes": "must be a list of columns (MODE[@TINYGRAD][+NAME=VALUE...])"})
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
    mode, env, vars = _column_parts(raw)
    mode = mode.lower()  # mode names are case-blind, environment names are not
    if mode not in MODES: raise SpecError({"modes": f"unknown mode {mode[:20]!r} (known: {', '.join(MODES)}; a column is MODE[@TINYGRAD][+NAME=VALUE...])"})
    env = env_of(env, "modes") if env else default
    if vars and var_types is not None: _check_vars(vars, env or pinned, var_types(env or pinned))
    if (col:=join(mode, env, vars)) not in columns: columns.append(col)
  if not columns: raise SpecError({"modes": f"choose at least one of {', '.join(MODES)}"})
  columns.sort(key=lambda c: MODES.index(split(c)[0]))  # stable: the given order within a mode
  envs = {e: known[e] for c in columns if (e:=split(c)[1])}
  return columns, envs

def _check_vars(vars:dict[str, str], env:str, defined:dict[str, str]|None):
  if defined is None: return
  for name, value in vars.items():
    if name not in defined:
      near = sorted(n for n in defined if n.startswith(name[:3]))[:8]
      raise SpecError({"modes": f"tinygrad {env} defines no context variable {name}" + (f" (it has {', '.join(near)})" if near else "")})
    if defined[name] == "int" and not re.fullmatch(r"-?[0-9]+", value):
      raise SpecError({"modes": f"{name} is an integer context variable on tinygrad {env}, not {value!r}"})

def verdict_pairs(columns:list[str]) -> list[tuple[str, str]] | None:
  """Which columns the verdict times against which, when they span tinygrads or set variables (None: the usual
  NEW/OLD/baseline pairs). A column with variables runs a rule of its own (a pull request's flag): NEW first against
  each such column of another mode; then each mode on each later (tinygrad, variables) against its first one; then the
  usual pairs within each (tinygrad, variables); two columns of different modes and tinygrads are paired with each other."""
  if not any(parse(c)[1] or parse(c)[2] for c in columns): return None
  pairs: list[tuple[str, str]] = []
  if "new" in columns: pairs += [("new", c) for c in columns if variables(c) and split(c)[0] != "new"]
  for mode in MODES:
    same = [c for c in columns if split(c)[0] == mode]
    pairs += [(c, same[0]) for c in same[1:]]
  for env, vars in dict.fromkeys((split(c)[1], tuple(sorted(variables(c).items()))) for c in columns):
    for a, b in (("new", "old"), ("new", "baseline"), ("old", "baseline")):
      if join(a, env, dict(vars)) in columns and join(b, env, dict(vars)) in columns: pairs.append((join(a, env, dict(vars)), join(b, env, dict(vars))))
  if not pairs and len(columns) == 2: pairs.append((columns[1], columns[0]))
  return list(dict.fromkeys(pairs))

def named_envs(modes, tinygrad=None) -> set[str]|None:
  """The environment names a request's columns mention (None when it cannot tell: parse_columns will say what is wrong)."""
  if isinstance(modes, str): modes = modes.split(",")
  if not isinstance(modes, (list, tuple)) or not all(isinstance(m, (str, dict)) for m in modes): return None
  def env(m): return split(m.strip())[1] if isinstance(m, str) else m.get("tinygrad").strip() if isinstance(m.get("tinygrad"), str) else None
  return {e for m in modes if (e:=env(m))} | ({tinygrad.strip()} if isinstance(tinygrad, str) and tinygrad.strip() else set())

def available_envs(home:str|None, only:set[str]|None=None) -> dict[str, dict]:
  """name -> identity, taken now, of every tinygrad environment registered under `home` (the pinned one included);
  one that cannot run (a checkout gone, an install that failed) maps to {"error": why}. With `only`, the others map to
  their name alone: a checkout changed since its identity was last taken runs git several times, and a request needs
  only those it names."""
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

def local_var_types(home:str|None, known:dict[str, dict], pinned_only:bool=False) -> Callable[[str], dict[str, str]|None]:
  """parse_columns' var_types for environments registered here (their Python is asked once per identity);
  `pinned_only`: the other environments are a queue worker's, whose children check the names themselves."""
  from wino_core.envs import PINNED, EnvError, context_vars, get_env, pinned_env
  def types(name:str) -> dict[str, str]|None:
    if name != PINNED and (pinned_only or home is None): return None
    try: return context_vars(pinned_env(), {"name": PINNED}) if name == PINNED else context_vars(get_env(home, name), known.get(name))
    except EnvError as e: raise SpecError({"modes": str(e)}) from None
  return types

def describe_env(ident:dict) -> str:
  """One line for a tinygrad environment's identity: 'pr-1234: checkout ~/src/tinygrad at 1a2b3c4d (branch fix, dirty 9f8e7d6c5b4a)'."""
  if "error" in ident: return f"{ident.get('name')}: {ident['error']}"
  if ident.get("kind") != "checkout": return f"{ident.get('name')}: tinygrad {ident.get('version')} ({ident.get('kind', 'release')})"
  at = f" at {ident['commit'][:10]}" if ident.get("commit") else ""
  state = [f"branch {ident['branch']}"] if ident.get("branch") else []
  if ident.get("dirty") or (ident.get("commit") is None and ident.get("diff_hash")):
    state.append(f"dirty {ident['diff_hash']}" if ident.get("commit") else f"files {ident['diff_hash']}")
  return f"{ident.get('name')}: checkout {ident.get('path')}{at}" + (f" ({', '.join(state)})" if state else "")
