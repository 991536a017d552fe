"""wino-dash's library: conv specs, the NEW Winograd rule, running, capturing and measuring tinygrad's kernels."""
from wino_core.spec import ConvSpec, Caps, SpecError, parse_spec
from wino_core.result import RunResult, MODES

def __getattr__(name):
  # new_winograd touches tinygrad internals: import it only when asked for
  if name == "new_winograd":
    from wino_core.winograd import new_winograd
    return new_winograd
  raise AttributeError(name)
