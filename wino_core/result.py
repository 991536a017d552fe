"""RunResult and Comparison: the plain-JSON records a run and a comparison produce."""
from __future__ import annotations
from dataclasses import dataclass, field, asdict, fields
from typing import Any

MODES = ("baseline", "old", "new")
STATUSES = ("ok", "not_applicable", "error", "timeout", "out_of_memory")

@dataclass
class RunResult:
  """One (spec, mode, device) run. Times are seconds; kernels are in launch order."""
  mode: str
  status: str
  message: str = ""
  device: str = ""
  tinygrad: str = ""
  kernels: list[dict[str, Any]] = field(default_factory=list)   # name, axes, role, opts, search, source, language, global_size,
                                                                 # local_size, ops, bytes, time_s{min,median,max,samples},
                                                                 # assembly{levels, missing, mix, resources} (wino_core.assembly)
  compile_s: float | None = None                                 # schedule + codegen + compiler of the first realize
  compile_split_s: dict[str, float] = field(default_factory=dict)  # schedule / search (BEAM only) / codegen / compiler
  search: dict[str, Any] = field(default_factory=dict)           # how opts were chosen: {} heuristics, {"beam": N}, {"noopt": true}
  first_run_s: float | None = None                               # wall time of the first (cold) execution
  kernel_time_s: dict | None = None                              # min/median/max and samples of the per-run sum over kernels
  max_abs_err: float | None = None
  max_rel_err: float | None = None
  winograd: dict[str, Any] | None = None                         # NEW's report: fired, reason, rewrites
  precision: dict[str, Any] | None = None                        # dtypes of input, intermediates, output; emulated ones
  graphs: dict[str, Any] | None = None                           # kernel graph, per-kernel ASTs, NEW before/after
  machine: list[dict[str, Any]] = field(default_factory=list)    # per timing process: how busy the machine was (wino_core/machine.py)

  def __post_init__(self):
    assert self.status in STATUSES, f"unknown status {self.status!r}"

  def to_dict(self) -> dict[str, Any]: return asdict(self)
  @classmethod
  def from_dict(cls, d:dict[str, Any]) -> RunResult:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})
  @property
  def ok(self) -> bool: return self.status == "ok"

def comparison_dict(spec, device:str, tinygrad:str, runs:dict[str, RunResult]) -> dict[str, Any]:
  """The one JSON shape of a comparison, shared by the CLI's --json, the API and the store."""
  return {"spec": spec.to_dict(), "device": device, "tinygrad": tinygrad, "runs": {m: r.to_dict() for m, r in runs.items()}}
