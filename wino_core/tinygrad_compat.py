"""What differs between the tinygrads a child may run on (the pinned 0.14.0, older releases, pull-request checkouts of
the 0.11 era), found by looking (getattr, imports), never by version numbers. Imported only inside a child, or by a
probe run with an environment's own Python: it imports that environment's tinygrad."""
from __future__ import annotations
import contextlib, json

# ***** context variables (a column's +NAME=VALUE) *****

def context_var_types() -> dict[str, str]:
  """Every ContextVar this tinygrad defines once imported, name -> "int" | "str" (the type of its value)."""
  import tinygrad  # noqa: F401  (defines them)
  from tinygrad.helpers import ContextVar
  return {k: "int" if isinstance(v.value, int) else "str" for k, v in ContextVar._cache.items()}

@contextlib.contextmanager
def column_context(variables:dict[str, str]):
  """tinygrad's Context with a column's variables, each converted to its ContextVar's type; a name this tinygrad does
  not define is an error that says so (the parent checks names too, but a queue worker's environment only here)."""
  if not variables:
    yield
    return
  import tinygrad
  from tinygrad.helpers import Context
  types = context_var_types()
  if (missing:=sorted(set(variables) - set(types))):
    raise RuntimeError(f"the tinygrad at {tinygrad.__path__[0]} defines no context variable {', '.join(missing)}")
  with Context(**{k: int(v) if types[k] == "int" else v for k, v in variables.items()}): yield

if __name__ == "__main__":  # the probe envs.context_vars runs with an environment's Python
  print(json.dumps(context_var_types()))
