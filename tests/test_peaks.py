"""The roofline: a kernel's achieved rates against the device's datasheet peaks, on the page and in the chart."""
import json, re
from app import create_app
from wino_core.peaks import peak_for, roofline

def test_peaks_by_model_name_and_the_roofline_of_a_kernel():
  assert peak_for("NVIDIA H100 80GB HBM3", "float16")["flops"] == 989e12 and peak_for("NVIDIA H100 PCIe", "float32")["flops"] == 51.2e12
  assert peak_for("Intel(R) Xeon(R) CPU", "float32") is None and peak_for(None, "float32") is None
  assert peak_for("NVIDIA H200", "bfloat16")["flops"] == 989e12 and peak_for("NVIDIA H200", "float64") is None  # no KeyError
  h100 = peak_for("NVIDIA H100 80GB HBM3", "float32")  # the ridge: 67e12 / 3.35e12 = 20 FLOP/byte
  k = {"ops": 1e9, "bytes": 1e8, "time_s": {"median": 1e-3}}  # 1 TFLOP/s, 100 GB/s, 10 FLOP/byte: under the ridge
  r = roofline(k, h100)
  assert (r["flops"], r["bytes"], r["intensity"]) == (1e12, 1e11, 10)
  assert r["limit"] == "memory" and r["of_bound"] == 1e12 / (3.35e12 * 10) and r["flops_share"] == 1e12 / 67e12
  assert roofline({**k, "ops": 1e10}, h100)["limit"] == "compute"  # 100 FLOP/byte
  assert roofline({"ops": 0, "bytes": 1, "time_s": {"median": 1}}, None) is None and "flops_share" not in roofline(k, None)

def test_the_page_reads_each_kernel_against_the_devices_peak(tmp_path):
  app = create_app({"DATABASE": str(tmp_path / "db.sqlite3"), "TESTING": True})
  kernel = {"name": "r_8_8", "axes": [[8, "global"]], "role": "conv", "source": "k", "language": "cuda", "global_size": [8, 1, 1],
            "local_size": [1, 1, 1], "ops": 4e9, "bytes": 2e8, "time_s": {"min": 1e-3, "median": 1e-3, "max": 1e-3}}
  run = {"mode": "baseline", "status": "ok", "message": "", "device": "CUDA", "tinygrad": "0.14.0", "kernels": [kernel], "compile_s": 1.0,
         "compile_split_s": {"schedule": 0.1, "codegen": 0.5, "compiler": 0.4}, "first_run_s": 0.1, "kernel_time_s": {"min": 1e-3, "median": 1e-3, "max": 1e-3}, "max_abs_err": 0.0,
         "max_rel_err": 0.0, "winograd": None, "graphs": None}
  spec = {"batch": 1, "cin": 16, "cout": 16, "h": 32, "w": 32, "kernel": [3, 3], "stride": 1, "padding": 1, "dilation": 1, "groups": 1,
          "bias": False, "dtype": "float16", "seed": 0}
  store = app.extensions["wino"]["store"]
  for cid, model in (("00000000000000a1", "NVIDIA H100 80GB HBM3"), ("00000000000000a2", "Some CPU")):
    store.put_comparison(cid, {"spec": spec}, {"spec": spec, "device": "CUDA", "tinygrad": "0.14.0", "device_model": model,
                                               "runs": {"baseline": run, "old": {**run, "mode": "old"}}})
  c = app.test_client()
  h100 = " ".join(c.get("/c/00000000000000a1").get_data(as_text=True).split())
  assert "achieved 4.0 TFLOP/s · 200.0 GB/s · 20.00 FLOP/byte" in h100
  assert "0.4% of the 989.0 TFLOP/s peak" in h100 and "6% of 3.4 TB/s" in h100 and "memory-bound" in h100
  charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', h100, re.S).group(1))["roofline"]
  points = [t["name"] for t in charts["traces"] if t["x"] != [None]]  # the rest are legend keys (a mode's colour, a role's marker)
  keys = [t["name"] for t in charts["traces"] if t["x"] == [None]]
  assert points == ["baseline", "old", "roofline"] and keys == ["baseline", "old", "conv"] and "H100" in charts["title"]
  cpu = " ".join(c.get("/c/00000000000000a2").get_data(as_text=True).split())
  assert "achieved 4.0 TFLOP/s" in cpu and "FLOP/s peak" not in cpu and "no peak is known for Some CPU" in cpu
  assert c.get("/c/00000000000000a1.json").get_json()["device_model"] == "NVIDIA H100 80GB HBM3"
