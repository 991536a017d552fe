"""bench/bound_table.py: a kernel's bound is the slower of its FLOPs at the peak FLOP/s and its bytes at the peak bandwidth."""
import importlib.util, os
import pytest

spec = importlib.util.spec_from_file_location("bound_table", os.path.join(os.path.dirname(__file__), "..", "bench", "bound_table.py"))
bound_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bound_table)

def kernel(name, ops, nbytes, t): return {"name": name, "role": "r", "ops": ops, "bytes": nbytes, "time_s": {"median": t}}

def test_bounds_against_the_h200_peaks():
  from wino_core.peaks import peak_for
  peak = peak_for("NVIDIA H200", "float32")
  run = {"device_model": "NVIDIA H200", "rows": [{"dtype": "float32", "shape": [1, 2, 3, 4], "runs": {"new": {"kernels": [
    kernel("streams", 1e6, 1e9, 1e-3), kernel("multiplies", 1e12, 1e6, 1.0), {"name": "unknown", "time_s": {"median": 1e-6}}]}}}]}
  (mem, comp, unknown) = bound_table.kernel_rows(run)
  cols = dict(zip(bound_table.COLUMNS, mem))
  assert cols["bound"] == "memory" and cols["bound µs"] == pytest.approx(1e9 / peak["bytes"] * 1e6)
  assert cols["time/bound"] == pytest.approx(1e-3 / (1e9 / peak["bytes"])) and cols["GB/s"] == pytest.approx(1e3)
  assert cols["% BW"] == pytest.approx(100 * 1e12 / peak["bytes"])
  cols = dict(zip(bound_table.COLUMNS, comp))
  assert cols["bound"] == "compute" and cols["bound µs"] == pytest.approx(1e12 / peak["flops"] * 1e6)
  assert dict(zip(bound_table.COLUMNS, unknown))["bound"] is None and len(unknown) == len(bound_table.COLUMNS)
  # no peak for this device: the achieved figures only
  assert dict(zip(bound_table.COLUMNS, bound_table.kernel_rows({**run, "device_model": "AMD EPYC"})[0]))["bound µs"] is None
