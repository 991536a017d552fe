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
  """What a mode says about its run: calling it with the run's kernels (describe_kernel dicts) gives the JSON report (or
  None); rewrites() the UOp rewrites NEW made (each with .before and .after), for the graphs."""
  json: Callable[[list[dict]], dict | None]
  rewrites: Callable[[], list] = lambda: []
  def __call__(self, kernels:list[dict]) -> dict | None: return self.json(kernels)

@contextlib.contextmanager
def _baseline(spec, **_) -> Iterator[Report]:
  yield Report(lambda kernels: None)

WINOGRAD_ROLES = {"weight transform", "input transform", "batched product"}
def winograd_kernels(kernels:list[dict]) -> bool:
  """Did the run compute a Winograd conv? Its kernels say: a direct conv's output comes out of a reduction (over
  cin·kh·kw, in one kernel or split over two); Winograd's out of an elementwise output transform (At·M·A, sums of
  constants) of what earlier kernels wrote, however tinygrad fused the transforms and the product before it."""
  out = [k for k in kernels if k["role"] in ("conv", "output")]
  return len(kernels) > 1 and bool(out) and not any(k["reduces"] for k in out)

def _old_hint(spec) -> str:
  """Why tinygrad 0.14.0's WINO=1 leaves a conv alone (its test in Tensor.conv2d), as a hint next to what the kernels say."""
  if spec.kernel != (3, 3): return f"; tinygrad 0.14.0's WINO=1 needs a 3×3 kernel, this one is {spec.kernel[0]}×{spec.kernel[1]}"
  if spec.stride != 1 or spec.dilation != 1: return f"; tinygrad 0.14.0's WINO=1 needs stride 1 and dilation 1, this one has stride {spec.stride}, dilation {spec.dilation}"
  return ""

def old_report(spec, kernels:list[dict]) -> dict:
  """OLD fired when its kernels are Winograd's (decided from the run, so a tinygrad that changes WINO=1's condition is
  reported as it behaved)."""
  fired = winograd_kernels(kernels)
  reason = None if fired else f"OLD did not fire: under WINO=1 the conv's output still comes out of a reduction, the kernels are a direct conv's{_old_hint(spec)}."
  return {"fired": fired, "reason": reason, "rewrites": []}

@contextlib.contextmanager
def _old(spec, **_) -> Iterator[Report]:
  from tinygrad.helpers import Context
  with Context(WINO=1): yield Report(lambda kernels: old_report(spec, kernels))

@contextlib.contextmanager
def _new(spec, force_new:bool=False) -> Iterator[Report]:
  try: from wino_core.winograd import new_winograd
  except (ImportError, AttributeError) as e:  # NEW hooks tinygrad 0.14.0's internals: another tinygrad may lack them
    import os, tinygrad
    missing = e.name if isinstance(e, ImportError) else e.args[0] if e.args else str(e)
    raise RuntimeError(f"NEW is written against tinygrad 0.14.0's internals and was tried on this tinygrad "
                       f"({os.path.dirname(tinygrad.__file__)}), which lacks {missing!r}, a name wino_core/winograd/ uses") from None
  with new_winograd(force=force_new) as report: yield Report(lambda kernels: report.to_json(), lambda: report.rewrites)

MODE_TABLE: dict[str, Mode] = {m.name: m for m in (
  Mode("baseline", _baseline),   # Tensor.conv2d
  Mode("old", _old),             # WINO=1: tinygrad's tensor-level Winograd
  Mode("new", _new),             # wino_core.winograd: the UOp rewrite rule
)}
