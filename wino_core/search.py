"""How each kernel's optimizations are chosen: tinygrad's hand-coded heuristics (the default), its BEAM search, or none
at all (NOOPT, the raw kernels). BEAM runs as a phase of its own, kernel by kernel, before the cold compile: each search
result (the list of Opts it chose) goes into a cache of our own, keyed by the kernel's AST, the device, tinygrad's
version and BEAM's width, and the compile then applies those Opts (KernelInfo.opts_to_apply) instead of searching.
So a re-run, or another comparison that shares a kernel, reuses the search, and the compile stays cold either way."""
from __future__ import annotations
import json, os, sqlite3, time
from dataclasses import dataclass, replace
from typing import Callable

from wino_core.spec import SpecError

MAX_BEAM = 4

@dataclass(frozen=True)
class Search:
  beam: int = 0        # 0: no search; N: tinygrad's BEAM=N
  noopt: bool = False  # no optimizations at all (NOOPT=1)
  def to_dict(self) -> dict: return {"beam": self.beam} if self.beam else {"noopt": True} if self.noopt else {}
  @property
  def label(self) -> str: return f"BEAM={self.beam}" if self.beam else "NOOPT" if self.noopt else "heuristics"
  @property
  def is_default(self) -> bool: return not self.beam and not self.noopt

HEURISTICS = Search()

def parse_search(raw) -> Search:
  """{"beam": N} | {"noopt": true} | {} | None | "none" | "beam=N" | "noopt" (the form's and the CLI's spellings)."""
  if raw is None or raw == {} or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "heuristics")): return HEURISTICS
  if isinstance(raw, str):
    s = raw.strip().lower().replace(" ", "")
    if s == "noopt": return Search(noopt=True)
    if s.startswith("beam=") and s[5:].isdigit(): raw = {"beam": int(s[5:])}
    else: raise SpecError({"search": f"must be none, noopt or beam=N (N in 1..{MAX_BEAM}), got {raw[:40]!r}"})
  if not isinstance(raw, dict) or set(raw) - {"beam", "noopt"}:
    raise SpecError({"search": f'must be {{"beam": N}} (N in 1..{MAX_BEAM}), {{"noopt": true}} or {{}} for the heuristics'})
  beam, noopt = raw.get("beam", 0), raw.get("noopt", False)
  if isinstance(beam, bool) or not isinstance(beam, int) or not 0 <= beam <= MAX_BEAM:
    raise SpecError({"search": f"beam must be an integer in 1..{MAX_BEAM}, got {str(beam)[:20]!r}"})
  if not isinstance(noopt, bool): raise SpecError({"search": "noopt must be true or false"})
  if beam and noopt: raise SpecError({"search": "choose BEAM or NOOPT, not both"})
  return Search(beam, noopt)

# ***** Opts as JSON *****

def opts_json(opts) -> list[dict]:
  """tinygrad's Opt(op=OptOps.UPCAST, axis=2, arg=4) as {"op": "UPCAST", "axis": 2, "arg": 4} (a TC's arg is a list)."""
  return [{"op": o.op.name, "axis": o.axis, "arg": list(o.arg) if isinstance(o.arg, tuple) else o.arg} for o in opts]

def opts_from_json(opts:list[dict]) -> tuple:
  from tinygrad.codegen.opt import Opt, OptOps
  return tuple(Opt(OptOps[o["op"]], o["axis"], tuple(o["arg"]) if isinstance(o["arg"], list) else o["arg"]) for o in opts)

# ***** the cache *****

class SearchCache:
  """BEAM results, in SQLite beside the comparisons' store. One row per (AST, device, tinygrad version, BEAM width)."""
  def __init__(self, path:str):
    self.path = path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with self._db() as db:
      db.execute("CREATE TABLE IF NOT EXISTS beam (ast TEXT, device TEXT, tinygrad TEXT, beam INTEGER, opts TEXT NOT NULL, "
                 "seconds REAL, candidates INTEGER, created REAL, PRIMARY KEY (ast, device, tinygrad, beam))")
  def _db(self) -> sqlite3.Connection: return sqlite3.connect(self.path, timeout=30)
  def get(self, key:tuple) -> dict | None:
    with self._db() as db:
      row = db.execute("SELECT opts, seconds, candidates FROM beam WHERE ast=? AND device=? AND tinygrad=? AND beam=?", key).fetchone()
    return None if row is None else {"opts": json.loads(row[0]), "seconds": row[1], "candidates": row[2]}
  def put(self, key:tuple, opts:list[dict], seconds:float, candidates:int):
    with self._db() as db:
      db.execute("INSERT OR REPLACE INTO beam VALUES (?,?,?,?,?,?,?,?)", (*key, json.dumps(opts), seconds, candidates, time.time()))
  def count(self) -> int:
    with self._db() as db: return db.execute("SELECT count(*) FROM beam").fetchone()[0]
  def clear(self) -> int:
    with self._db() as db: return db.execute("DELETE FROM beam").rowcount

def cache_path_beside(database:str) -> str: return os.path.join(os.path.dirname(os.path.abspath(database)), "search-cache.sqlite3")
def user_cache_path() -> str:
  """Where the CLI and queue workers keep BEAM results: $WINO_DASH_SEARCH_CACHE, else the user's cache folder."""
  return os.environ.get("WINO_DASH_SEARCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "wino-dash", "search-cache.sqlite3")

# ***** the search phase (runs in the child process) *****

class SearchBudgetExceeded(Exception):
  """Not a RuntimeError: tinygrad's beam_search skips those per candidate, this one must end the search."""

class CandidateCounter:
  """Counts the candidates BEAM times (each is loaded as a program on the device), reports progress, and stops the
  search past its deadline."""
  def __init__(self, device, deadline:float, on_candidate:Callable[[int], None]):
    self.device, self.deadline, self.on_candidate, self.n = device, deadline, on_candidate, 0
  def __enter__(self):
    inner = self.device.runtime
    def counted(*args, **kwargs):
      if time.monotonic() > self.deadline: raise SearchBudgetExceeded()
      self.n += 1
      self.on_candidate(self.n)
      return inner(*args, **kwargs)
    self.device.runtime = counted
    return self
  def __exit__(self, *exc): del self.device.runtime

def search_kernels(linear, device:str, beam:int, cache:SearchCache|None, tinygrad:str, *, parallel:int, budget_s:float,
                   on_progress:Callable[[str], None]) -> tuple:
  """BEAM=beam over each kernel of the LINEAR not already in the cache. Returns (the LINEAR with every kernel's Opts
  pinned, per-kernel [{state: searched|reused, candidates, seconds, opts}], seconds spent searching). Raises
  SearchBudgetExceeded with what was done when the budget runs out."""
  from tinygrad import Device
  from tinygrad.engine.realize import compile_linear
  from tinygrad.helpers import Context
  from tinygrad.uop.ops import Ops, UOp
  dev, deadline, st = Device[device], time.monotonic() + budget_s, time.perf_counter()
  calls = [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]
  pinned, info = {}, []
  for k, call in enumerate(calls):
    key = (call.src[0].key.hex(), device, tinygrad, beam)
    hit = cache.get(key) if cache is not None else None
    if hit is None:
      last = [0.0]
      def tick(n, k=k):
        if time.monotonic() - last[0] > 0.5: last[0] = time.monotonic(); on_progress(f"searching kernel {k+1} of {len(calls)}: {n} candidates")
      on_progress(f"searching kernel {k+1} of {len(calls)}")
      t0 = time.perf_counter()
      try:
        with CandidateCounter(dev, deadline, tick) as counter, Context(PARALLEL=parallel):
          found = compile_linear(UOp(Ops.LINEAR, src=(call,)), beam=beam)
      except SearchBudgetExceeded:
        raise SearchBudgetExceeded(f"the BEAM={beam} search ran out of its budget of {budget_s:g} s at kernel {k+1} of {len(calls)} "
                                   f"({counter.n} candidates tried on it); raise the search budget or use a smaller BEAM") from None
      opts = opts_json(found.src[0].src[0].src[0].arg.applied_opts)
      hit = {"opts": opts, "seconds": time.perf_counter() - t0, "candidates": counter.n}
      if cache is not None: cache.put(key, opts, hit["seconds"], counter.n)
      info.append({"state": "searched", **hit})
    else: info.append({"state": "reused", **hit})
    pinned[call] = call.replace(src=(call.src[0].replace(arg=replace(call.src[0].arg, opts_to_apply=opts_from_json(hit["opts"]))), *call.src[1:]))
  return linear.substitute(pinned), info, time.perf_counter() - st
