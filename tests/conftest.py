import pytest
from wino_core.spec import ConvSpec

@pytest.fixture(scope="session")
def small_specs() -> list[ConvSpec]:
  """Two small shapes that still exercise padding, odd sizes and cin != cout."""
  return [ConvSpec(batch=1, cin=4, cout=8, h=12, w=12, padding=(1, 1, 1, 1)),
          ConvSpec(batch=2, cin=3, cout=5, h=9, w=7, padding=(0, 0, 0, 0), bias=True)]
