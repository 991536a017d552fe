"""How each kernel's optimizations are chosen: tinygrad's hand-coded heuristics (the default), its BEAM search, or none
at all (NOOPT, the raw kernels). BEAM runs as a phase of its own, kernel by kernel, before the cold compile: each search
result (the list of Opts it chose) goes into a cache of our own, keyed by the kernel's AST, the device, tinygrad's
version, BEAM's width and its start, and the compile then applies those Opts (KernelInfo.opts_to_apply) instead of
searching. So a re-run, or another comparison that shares a kernel, reuses the search, and the compile stays cold either
way. BEAM starts where tinygrad's does (the bare kernel; a kernel with pinned opts, NEW's transforms, is not searched),
or seeded: from the opts each kernel gets without BEAM (see seeded_beam)."""
from __future__ import annotations
import contextlib, json, os, sqlite3, time
from dataclasses import dataclass, replace
from typing import Callable

from wino_core.spec import SpecError

MAX_BEAM = 4

@dataclass(frozen=True)
class Search:
  beam: int = 0        # 0: no search; N: tinygrad's BEAM=N
  noopt: bool = False  # no optimizations at all (NOOPT=1)
  seed: bool = False   # BEAM from each kernel's own opts (pinned, else the heuristics) instead of the bare kernel
  def to_dict(self) -> dict:
    return {"beam": self.beam, **({"seed": True} if self.seed else {})} if self.beam else {"noopt": True} if self.noopt else {}
  @property
  def label(self) -> str: return f"BEAM={self.beam}{' seeded' if self.seed else ''}" if self.beam else "NOOPT" if self.noopt else "heuristics"
  @property
  def value(self) -> str:
    """The form's and the CLI's spelling, which parse_search reads back."""
    return f"beam={self.beam}{'+seed' if self.seed else ''}" if self.beam else "noopt" if self.noopt else "none"
  @property
  def is_default(self) -> bool: return not self.beam and not self.noopt

HEURISTICS = Search()

def parse_search(raw) -> Search:
  """{"beam": N[, "seed": true]} | {"noopt": true} | {} | None | "none" | "beam=N[+seed]" | "noopt" (the form's and the
  CLI's spellings)."""
  if raw is None or raw == {} or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "heuristics")): return HEURISTICS
  if isinstance(raw, str):
    s = raw.strip().lower().replace(" ", "")
    if s == "noopt": return Search(noopt=True)
    width, seeded = s.removesuffix("+seed"), s.endswith("+seed")
    if width.startswith("beam=") and width[5:].isdigit(): raw = {"beam": int(width[5:]), **({"seed": True} if seeded else {})}
    else: raise SpecError({"search": f"must be none, noopt, beam=N or beam=N+seed (N in 1..{MAX_BEAM}), got {raw[:40]!r}"})
  if not isinstance(raw, dict) or set(raw) - {"beam", "noopt", "seed"}:
    raise SpecError({"search": f'must be {{"beam": N}} (N in 1..{MAX_BEAM}, "seed": true to start from each kernel\'s own opts), {{"noopt": true}} or {{}} for the heuristics'})
  beam, noopt, seed = raw.get("beam", 0), raw.get("noopt", False), raw.get("seed", False)
  if isinstance(beam, bool) or not isinstance(beam, int) or not 0 <= beam <= MAX_BEAM:
    raise SpecError({"search": f"beam must be an integer in 1..{MAX_BEAM}, got {str(beam)[:20]!r}"})
  if not isinstance(noopt, bool): raise SpecError({"search": "noopt must be true or false"})
  if not isinstance(seed, bool): raise SpecError({"search": "seed must be true or false"})
  if beam and noopt: raise SpecError({"search": "choose BEAM or NOOPT, not both"})
  if seed and not beam: raise SpecError({"search": "seed is a way to start BEAM: it needs a beam width"})
  return Search(beam, noopt, seed)

# ***** Opts as JSON *****

def opts_json(opts) -> list[dict]:
  """tinygrad's Opt(op=OptOps.UPCAST, axis=2, arg=4) as {"op": "UPCAST", "axis": 2, "arg": 4} (a TC's arg is a list)."""
  return [{"op": o.op.name, "axis": o.axis, "arg": list(o.arg) if isinstance(o.arg, tuple) else o.arg} for o in opts]

def opts_from_json(opts:list[dict]) -> tuple:
  from tinygrad.codegen.opt import Opt, OptOps
  return tuple(Opt(OptOps[o["op"]], o["axis"], tuple(o["arg"]) if isinstance(o["arg"], list) else o["arg"]) for o in opts)

# ***** the cache *****

class SearchCache:
  """BEAM results, in SQLite beside the comparisons' store. One row per (AST, device, tinygrad version, BEAM width,
  seeded or not). Rows of the table before seeds ("beam") are read into it as unseeded once."""
  def __init__(self, path:str):
    self.path = path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with self._db() as db:
      tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
      db.execute("CREATE TABLE IF NOT EXISTS search (ast TEXT, device TEXT, tinygrad TEXT, beam INTEGER, seed INTEGER, opts TEXT NOT NULL, "
                 "seconds REAL, candidates INTEGER, created REAL, PRIMARY KEY (ast, device, tinygrad, beam, seed))")
      if "search" not in tables and "beam" in tables:
        db.execute("INSERT OR IGNORE INTO search SELECT ast, device, tinygrad, beam, 0, opts, seconds, candidates, created FROM beam")
  def _db(self) -> sqlite3.Connection: return sqlite3.connect(self.path, timeout=30)
  def get(self, key:tuple) -> dict | None:
    """key: (AST key, device, tinygrad version, BEAM width, seeded)"""
    with self._db() as db:
      row = db.execute("SELECT opts, seconds, candidates FROM search WHERE ast=? AND device=? AND tinygrad=? AND beam=? AND seed=?", key).fetchone()
    return None if row is None else {"opts": json.loads(row[0]), "seconds": row[1], "candidates": row[2]}
  def put(self, key:tuple, opts:list[dict], seconds:float, candidates:int):
    with self._db() as db:
      db.execute("INSERT OR REPLACE INTO search VALUES (?,?,?,?,?,?,?,?,?)", (*key, json.dumps(opts), seconds, candidates, time.time()))
  def count(self) -> int:
    with self._db() as db: return db.execute("SELECT count(*) FROM search").fetchone()[0]
  def clear(self) -> int:
    with self._db() as db: return db.execute("DELETE FROM search").rowcount

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

@contextlib.contextmanager
def seeded_beam():
  """tinygrad's BEAM, each kernel's search started from the opts it gets without BEAM: its pinned opts
  (KernelInfo.opts_to_apply, which tinygrad's apply_opts applies and never searches), else tinygrad's heuristics. The
  start is itself a candidate of the first round (beam_search times only actions on top of its start), so the search
  ends on the start when nothing it tries beats it there."""
  from dataclasses import replace  # imports inside: the reproducer embeds this function verbatim
  import tinygrad.codegen as codegen, tinygrad.codegen.opt.search as beam_module
  from tinygrad.codegen.opt.heuristic import hand_coded_optimizations
  from tinygrad.uop.ops import Ops
  apply_opts, beam_search, kernel_actions = codegen.apply_opts, beam_module.beam_search, beam_module.get_kernel_actions
  pins: list = []  # the pins of the kernel in apply_opts now, if it has any
  def seeded_apply_opts(ast, ren, beam=0):
    if beam < 1 or ast.tag is not None or ast.arg is None or ast.arg.opts_to_apply is None: return apply_opts(ast, ren, beam)
    pins.append(ast.arg.opts_to_apply)  # taken off the kernel, so that apply_opts searches it (from them, below)
    try: return apply_opts(ast.replace(arg=replace(ast.arg, opts_to_apply=None)), ren, beam)
    finally: pins.pop()
  def seeded_search(s, rawbufs, var_vals, amt, allow_test_size=True, disable_cache=False):
    start = s.copy()
    if pins:
      for o in pins[-1]: start.apply_opt(o)
    elif not s.applied_opts and not any(u.op is Ops.STAGE for u in s.ast.backward_slice): start = hand_coded_optimizations(start)
    def with_start(si, include_0=True, max_up=None): return kernel_actions(si, include_0 or si is start, max_up)
    beam_module.get_kernel_actions = with_start
    # tinygrad's disk cache keys a search on the kernel it starts from, not on how that start was made
    try: return beam_search(start, rawbufs, var_vals, amt, allow_test_size, disable_cache=True)
    finally: beam_module.get_kernel_actions = kernel_actions
  codegen.apply_opts, beam_module.beam_search = seeded_apply_opts, seeded_search
  try: yield
  finally: codegen.apply_opts, beam_module.beam_search = apply_opts, beam_search

def search_kernels(linear, device:str, beam:int, cache:SearchCache|None, tinygrad:str, *, parallel:int, budget_s:float,
                   on_progress:Callable[[str], None], seed:bool=False) -> tuple:
  """BEAM=beam (seeded: see seeded_beam) over each kernel of the LINEAR not already in the cache. Returns (the LINEAR
  with every kernel's Opts pinned, per-kernel [{state: searched|reused, candidates, seconds, opts}], seconds spent searching). Raises
  SearchBudgetExceeded with what was done when the budget runs out."""
  from tinygrad import Device
  from tinygrad.codegen import to_program_cache
  from tinygrad.engine.realize import compile_linear
  from tinygrad.helpers import Context
  from tinygrad.uop.ops import Ops, UOp
  dev, deadline, st = Device[device], time.monotonic() + budget_s, time.perf_counter()
  calls = [c for c in linear.src if c.op is Ops.CALL and c.src[0].op is Ops.SINK]
  pinned, info = {}, []
  for k, call in enumerate(calls):
    key = (call.src[0].key.hex(), device, tinygrad, beam, int(seed))
    hit = cache.get(key) if cache is not None else None
    if hit is None:
      last = [0.0]
      def tick(n, k=k):
        if time.monotonic() - last[0] > 0.5: last[0] = time.monotonic(); on_progress(f"searching kernel {k+1} of {len(calls)}: {n} candidates")
      on_progress(f"searching kernel {k+1} of {len(calls)}")
      t0, cached = time.perf_counter(), set(to_program_cache)
      try:
        with CandidateCounter(dev, deadline, tick) as counter, Context(PARALLEL=parallel), seeded_beam() if seed else contextlib.nullcontext():
          found = compile_linear(UOp(Ops.LINEAR, src=(call,)), beam=beam)
      except SearchBudgetExceeded:
        raise SearchBudgetExceeded(f"the BEAM={beam} search ran out of its budget of {budget_s:g} s at kernel {k+1} of {len(calls)} "
                                   f"({counter.n} candidates tried on it); raise the search budget or use a smaller BEAM") from None
      # tinygrad keeps programs by AST and BEAM width, not by where the search started: a later search must not reuse this one
      for gone in set(to_program_cache) - cached: del to_program_cache[gone]
      opts = opts_json(found.src[0].src[0].src[0].arg.applied_opts)
      hit = {"opts": opts, "seconds": time.perf_counter() - t0, "candidates": counter.n}
      if cache is not None: cache.put(key, opts, hit["seconds"], counter.n)
      info.append({"state": "searched", **hit})
    else: info.append({"state": "reused", **hit})
    pinned[call] = call.replace(src=(call.src[0].replace(arg=replace(call.src[0].arg, opts_to_apply=opts_from_json(hit["opts"]))), *call.src[1:]))
  return linear.substitute(pinned), info, time.perf_counter() - st
