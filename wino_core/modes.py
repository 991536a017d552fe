"""The three ways one conv is compiled: one unit per mode, each a context to build the conv under and a report."""
from __future__ import annotations
import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator

@dataclass(frozen=True)
class Mode:
  name: str
  # enter(spec, force_new=False) is a context manager; it yields a Report
  enter: Callable[..., contextlib.AbstractContextManager]

@dataclass(frozen=True)
class Report:
  """What a mode says about its run: calling it gives the JSON report (or None); rewrites() the UOp rewrites NEW made
  (each with .before and .after), for the graphs."""
  json: Callable[[], dict | None]
  rewrites: Callable[[], list] = lambda: []
  def __call__(self) -> dict | None: return self.json()

@contextlib.contextmanager
def _baseline(spec, **_) -> Iterator[Report]:
  yield Report(lambda: None)

def old_applies(spec) -> str | None:
  """None when tinygrad's WINO=1 rewrites this conv (its own test in Tensor.conv2d), else why not."""
  if spec.kernel != (3, 3): return f"OLD does not apply: kernel {spec.kernel[0]}×{spec.kernel[1]} (WINO=1 needs 3×3); the kernels are baseline's."
  if spec.stride != 1 or spec.dilation != 1:
    return f"OLD does not apply: stride {spec.stride}, dilation {spec.dilation} (WINO=1 needs both 1); the kernels are baseline's."
  return None

@contextlib.contextmanager
def _old(spec, **_) -> Iterator[Report]:
  from tinygrad.helpers import Context
  reason = old_applies(spec)
  with Context(WINO=1): yield Report(lambda: {"fired": reason is None, "reason": reason, "rewrites": []})

@contextlib.contextmanager
def _new(spec, force_new:bool=False) -> Iterator[Report]:
  try: from wino_core.winograd import new_winograd
  except (ImportError, AttributeError) as e:  # NEW hooks tinygrad 0.14.0's internals: another tinygrad may lack them
    import os, tinygrad
    missing = e.name if isinstance(e, ImportError) else e.args[0] if e.args else str(e)
    raise RuntimeError(f"NEW is written against tinygrad 0.14.0's internals and was tried on this tinygrad "
                       f"({os.path.dirname(tinygrad.__file__)}), which lacks {missing!r}, a name wino_core/winograd.py uses") from None
  with new_winograd(force=force_new) as report: yield Report(report.to_json, lambda: report.rewrites)

MODE_TABLE: dict[str, Mode] = {m.name: m for m in (
  Mode("baseline", _baseline),   # Tensor.conv2d
  Mode("old", _old),             # WINO=1: tinygrad's tensor-level Winograd
  Mode("new", _new),             # wino_core.winograd: the UOp rewrite rule
)}
