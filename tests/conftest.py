import pytest
from wino_core.spec import ConvSpec

@pytest.fixture(scope="session")
def small_specs() -> list[ConvSpec]:
  """Two small shapes that still exercise padding, odd sizes and cin != cout."""
  return [ConvSpec(batch=1, cin=4, cout=8, h=12, w=12, padding=(1, 1, 1, 1)),
          ConvSpec(batch=2, cin=3, cout=5, h=9, w=7, padding=(0, 0, 0, 0), bias=True)]

@pytest.fixture(scope="session")
def small_runs():
  """baseline and OLD of one small conv, each run once in its child: real kernel dicts for the tests that read them."""
  from wino_core.run import run_mode
  spec = ConvSpec(batch=1, cin=3, cout=4, h=10, w=10, padding=(1, 1, 1, 1))
  return spec, {m: run_mode(spec, m, "CPU", repeat=1, warmup=0) for m in ("baseline", "old")}
