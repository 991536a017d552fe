"""Run one (spec, mode, device) in a fresh child process, with a wall-clock and a memory limit.
Never raises into the caller for what happens in the child: a crash, a hang or an out-of-memory is a RunResult."""
from __future__ import annotations
import json, os, shutil, signal, subprocess, sys, tempfile, threading, time
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

from wino_core.childenv import PROJECT_ROOT, child_environ
from wino_core.result import RunResult
from wino_core.rounds import default_processes
from wino_core.search import HEURISTICS, Search
from wino_core.spec import ConvSpec

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MEMORY_MB = 8192
# honest cold compiles: no disk cache, compile in the child itself (no worker pool to time around)
CHILD_ENV = {"CACHELEVEL": "0", "PARALLEL": "0", "PYTHONUNBUFFERED": "1"}

DEFAULT_SEARCH_BUDGET_S = 600.0
TIMING_LIMIT_S = 120.0

@dataclass(frozen=True)
class RunSettings:
  """How this host runs a request, as opposed to what the request asks (never part of a comparison's id). The one
  object every path (in-process runner, queue worker, sweep, CLI) hands to compare() and run_mode()."""
  timeout_s: float = DEFAULT_TIMEOUT_S      # wall-clock limit of one mode's child, without its BEAM search
  memory_mb: int|None = DEFAULT_MEMORY_MB   # address-space limit of a child on CPU-side devices
  search_cache: str|None = None             # BEAM results kept across runs (SQLite file); None: not kept
  search_budget_s: float = DEFAULT_SEARCH_BUDGET_S  # the most one mode's BEAM search may take
  parallel: int|None = None                 # compile processes a BEAM search uses; None: the cores here
  envs_home: str|None = None                # where the tinygrad environments that columns `mode@env` name are registered
  processes: int = field(default_factory=default_processes)  # fresh processes each mode is timed in (wino_core/rounds.py); 1: the first only

  def mode_limit_s(self, search:Search) -> float:
    """One mode's wall-clock limit: the run's own plus the search's budget."""
    return self.timeout_s + (self.search_budget_s if search.beam else 0)
  @property
  def timing_limit_s(self) -> float:
    """A timing-only process's limit: it loads compiled kernels and times them, nothing else."""
    return min(self.timeout_s, TIMING_LIMIT_S)
  def job_limit_s(self, modes, search:Search) -> float:
    """A whole comparison's: every mode at its limit, one after another, then its timing-only processes, plus start-up slack."""
    return len(modes) * (self.mode_limit_s(search) + (self.processes - 1) * self.timing_limit_s) + 120
  def to_dict(self) -> dict: return asdict(self)
  @classmethod
  def from_dict(cls, d:dict) -> RunSettings: return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})

def pinned_pythonpath() -> str:
  """A pinned-tinygrad child's path: the wino_core beside this one, then this process's own PYTHONPATH, where its
  tinygrad may come from (a package dir installed with --target, as on the GPU hosts): the child must import the same."""
  return os.pathsep.join([PROJECT_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])

def run_mode(spec:ConvSpec, mode:str, device:str, *, settings:RunSettings=RunSettings(), repeat:int=10, warmup:int=2,
             on_phase:Callable[[str], None]|None=None, force_new:bool=False, search:Search=HEURISTICS, fault:str|None=None,
             env=None, variables:dict[str, str]|None=None, save_program:str|None=None, time_program:str|None=None) -> RunResult:
  """`force_new` makes NEW skip its cost model. `search`: heuristics, BEAM=N (a phase of its own, within the settings'
  search budget, with their `parallel` compile processes; results kept in their search cache) or NOOPT. `fault` (crash,
  hang, oom, raise) makes the child fail on purpose: it exists for tests of this very handling. `env`: the tinygrad
  environment (wino_core.envs.Env) to run on, default the pinned tinygrad this process has. `variables`: tinygrad context
  variables the child sets (a column's +NAME=VALUE), name -> value as text. `save_program`: a file the child pickles its
  compiled kernels to; `time_program`: such a file, which makes this a timing-only process (wino_core/rounds.py)."""
  memory_mb = settings.memory_mb
  # a checkout's BEAM results are not kept: its version string is its release's, so they would be reused for the release
  search_cache = None if env is not None and env.kind == "checkout" else settings.search_cache
  req = {"spec": spec.to_dict(), "mode": mode, "device": device, "repeat": repeat, "warmup": warmup, "force_new": force_new, "fault": fault,
         "search": search.to_dict(), "search_cache": search_cache, "search_budget_s": settings.search_budget_s,
         "parallel": (os.cpu_count() or 1) if settings.parallel is None else settings.parallel, **({"vars": dict(variables)} if variables else {}),
         **({"save_program": save_program} if save_program else {}), **({"time_program": time_program} if time_program else {})}
  timeout_s = settings.timing_limit_s if time_program else settings.mode_limit_s(search)
  base = {"mode": mode, "device": device}
  # GPU runtimes reserve huge virtual address ranges: the address-space limit is only applied to CPU-side devices
  limit_memory = memory_mb is not None and device.split(":")[0] in ("CPU", "CLANG", "LLVM", "PYTHON")
  # the child's HOME, temp dir and working directory: a fresh directory of its own, removed after the run
  home = tempfile.mkdtemp(prefix="wino-dash-run-")
  child_env = {**child_environ(home), **CHILD_ENV, "WINO_DASH_PARENT": str(os.getpid()), "WINO_DASH_DEADLINE_S": str(timeout_s + 30),
               **({"WINO_DASH_MEMORY_MB": str(memory_mb)} if limit_memory else {}),
               **(env.child_env() if env is not None else {"PYTHONPATH": pinned_pythonpath()})}
  try: return _supervise(req, [env.python if env is not None else sys.executable, "-m", "wino_core.child"], child_env, home, timeout_s,
                         memory_mb if limit_memory else None, on_phase, base)
  finally: shutil.rmtree(home, ignore_errors=True)

def _supervise(req:dict, argv:list[str], child_env:dict, cwd:str, timeout_s:float, memory_mb:int|None, on_phase, base:dict) -> RunResult:
  """Starts the child, feeds it the request, reads its phases and result, and turns whatever else happens into a result."""
  limit_memory = memory_mb is not None
  try:
    # a session of its own: a timeout kills the child and whatever it started (clang) as one process group
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env, cwd=cwd,
                            start_new_session=True, text=True)
  except OSError as e: return RunResult(status="error", message=f"could not start the child process: {e}", **base)

  lines: list[dict] = []
  err_tail: list[str] = []
  def read_stdout():
    for line in proc.stdout:
      try: msg = json.loads(line)
      except json.JSONDecodeError: continue
      lines.append(msg)
      if "phase" in msg and on_phase is not None: on_phase(msg["phase"])
  def read_stderr():
    for line in proc.stderr:
      err_tail.append(line)
      del err_tail[:-40]
  readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
  for t in readers: t.start()
  try:
    proc.stdin.write(json.dumps(req))
    proc.stdin.close()
  except BrokenPipeError: pass

  st = time.monotonic()
  try: proc.wait(timeout=timeout_s)
  except subprocess.TimeoutExpired:
    _kill(proc)
    return RunResult(status="timeout", message=f"the run took longer than its limit of {timeout_s:g} s and was stopped", **base)
  finally:
    for t in readers: t.join(timeout=5)

  result = next((m["result"] for m in reversed(lines) if "result" in m), None)
  if result is not None: return RunResult.from_dict({**base, **result})
  if proc.returncode < 0:
    sig = signal.Signals(-proc.returncode).name
    if proc.returncode == -signal.SIGKILL and limit_memory:
      return RunResult(status="out_of_memory", message=f"the child was killed ({sig}), most likely over its memory limit of {memory_mb} MB", **base)
    return RunResult(status="error", message=f"the child process crashed ({sig}) after {time.monotonic()-st:.1f} s{_last_line(err_tail)}", **base)
  if any(is_oom_text(l) for l in err_tail):
    return RunResult(status="out_of_memory", message=f"the run ran out of memory{_last_line(err_tail)}", **base)
  return RunResult(status="error", message=f"the child process exited with code {proc.returncode} without a result{_last_line(err_tail)}", **base)

def is_oom_text(text:str) -> bool:
  t = text.lower()
  return "memoryerror" in t or "out of memory" in t or "cannot allocate memory" in t or "memory allocation" in t

def _last_line(tail:list[str]) -> str:
  last = next((l.strip() for l in reversed(tail) if l.strip()), "")
  return f": {last[:300]}" if last else ""

def _kill(proc:subprocess.Popen):
  try: os.killpg(proc.pid, signal.SIGKILL)
  except (ProcessLookupError, PermissionError, AttributeError): proc.kill()
  proc.wait()
