"""A comparison's modes timed in several fresh processes, interleaved. Each mode's first process compiles, checks and
times it, and saves its compiled kernels; then come `processes - 1` rounds of short timing-only processes that load
those kernels and time them again, the modes in alternating order (baseline, OLD, NEW; NEW, OLD, baseline; ...), so
whatever else the machine does at one moment weighs on every mode alike. Each mode's runs stay grouped per process
(`kernel_time_s.processes`, with the round of each in `kernel_time_s.rounds`): the verdict's unit of evidence."""
from __future__ import annotations
import os, statistics
from typing import Callable

from wino_core.result import RunResult

# 5 per mode: a timing-only process costs tinygrad's import and a program load (~1 s of CPU), not a compile, so the
# default conv's comparison takes ~12 s more on an idle 2-core CPU; with 5 the paired t-test has 4 degrees of freedom
DEFAULT_PROCESSES = 5

def default_processes() -> int:
  """DEFAULT_PROCESSES, or $WINO_DASH_TIMING_PROCESSES where it is set (the test suite sets 1; its tests of the rounds ask for more)."""
  try: return max(1, int(os.environ.get("WINO_DASH_TIMING_PROCESSES", DEFAULT_PROCESSES)))
  except ValueError: return DEFAULT_PROCESSES

def summary(groups:list[list[float]], rounds:list[int]) -> dict:
  """min/median/max over every run, every run (`samples`), and the runs grouped per process with their rounds."""
  flat = [t for g in groups for t in g]
  return {"min": min(flat), "median": statistics.median(flat), "max": max(flat), "samples": flat, "processes": groups, "rounds": rounds}

def as_first_process(run:RunResult) -> RunResult:
  """A mode's first (full) process, its times marked as round 0's."""
  if run.ok and run.kernel_time_s:
    run.kernel_time_s = summary([run.kernel_time_s["samples"]], [0])
    for k in run.kernels: k["time_s"] = summary([k["time_s"]["samples"]], [0])
    for m in run.machine: m["round"] = 0
  return run

def add_process(run:RunResult, more:RunResult, rnd:int):
  """One more timing-only process of a mode into its result. One that failed, or timed other kernels than the first
  process compiled, adds no times: its record says why."""
  if not more.ok or len(more.kernels) != len(run.kernels):
    why = more.message if not more.ok else f"it timed {len(more.kernels)} kernels, the first process {len(run.kernels)}"
    run.machine.append({"round": rnd, "failed": why[:300]})
    return
  kt = run.kernel_time_s
  run.kernel_time_s = summary(kt["processes"] + [more.kernel_time_s["samples"]], kt["rounds"] + [rnd])
  for k, m in zip(run.kernels, more.kernels): k["time_s"] = summary(k["time_s"]["processes"] + [m["time_s"]["samples"]], k["time_s"]["rounds"] + [rnd])
  run.machine.extend({**m, "round": rnd} for m in more.machine)

def more_rounds(runs:dict[str, RunResult], time_again:Callable[[str], RunResult|None], processes:int,
                on_progress:Callable[[str, str], None]|None=None):
  """After each column's first process (`runs`, in the comparison's order), rounds 1..processes-1 of timing-only
  processes in alternating order. `time_again(column)`: one such process, or None where the column cannot be timed
  again (its first process failed or saved no kernels): it keeps its one process."""
  columns = [c for c, r in runs.items() if r.ok and r.kernel_time_s]
  for c in columns: as_first_process(runs[c])
  for rnd in range(1, processes):
    for c in (columns[::-1] if rnd % 2 else list(columns)):
      if on_progress: on_progress(c, f"timing {rnd + 1}/{processes}")
      if (more:=time_again(c)) is None: columns.remove(c)
      else: add_process(runs[c], more, rnd)
  for c in runs:
    if on_progress: on_progress(c, runs[c].status)
