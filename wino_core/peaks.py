"""Peak throughput per device model, from the vendors' datasheets, so a kernel's achieved FLOP/s and bytes/s can be
read against what the chip can do (the roofline). A device not listed (CPUs, Apple GPUs: their peaks depend on cores,
clocks and vector units we do not measure) gets the achieved figures alone."""
from __future__ import annotations

# (what the model name contains, peak FLOP/s per dtype, memory bytes/s, source); the first match wins. float16 and
# bfloat16 are the tensor cores' dense peak (the same on these chips; a kernel without WMMA cannot reach it); float32 is
# the CUDA cores' (no TF32: wino-dash keeps float32 in float32).
PEAKS = (
  ("H100 PCIe", {"float32": 51.2e12, "float16": 756e12, "bfloat16": 756e12}, 2.0e12, "NVIDIA H100 PCIe datasheet: FP32 51.2 TFLOPS, FP16/BF16 tensor 756 TFLOPS dense, 2.0 TB/s"),
  ("H100", {"float32": 67e12, "float16": 989e12, "bfloat16": 989e12}, 3.35e12, "NVIDIA H100 SXM datasheet: FP32 67 TFLOPS, FP16/BF16 tensor 989 TFLOPS dense, HBM3 3.35 TB/s"),
  ("H200", {"float32": 67e12, "float16": 989e12, "bfloat16": 989e12}, 4.8e12, "NVIDIA H200 SXM datasheet: FP32 67 TFLOPS, FP16/BF16 tensor 989 TFLOPS dense, HBM3e 4.8 TB/s"),
  ("A100", {"float32": 19.5e12, "float16": 312e12, "bfloat16": 312e12}, 2.039e12, "NVIDIA A100 80GB SXM datasheet: FP32 19.5 TFLOPS, FP16/BF16 tensor 312 TFLOPS dense, 2.0 TB/s"),
)

def peak_for(model:str|None, dtype:str) -> dict|None:
  """{"flops", "bytes", "source"} for a device model name ("NVIDIA H100 80GB HBM3") and dtype, or None if unknown."""
  for key, flops, bw, source in PEAKS:
    if model and key in model: return {"flops": flops[dtype], "bytes": bw, "source": source} if dtype in flops else None
  return None

def roofline(kernel:dict, peak:dict|None) -> dict|None:
  """A kernel's achieved FLOP/s and bytes/s (tinygrad's estimated ops and bytes over the median time), its arithmetic
  intensity, and with a peak: the share of each and the bound the roofline puts on it at that intensity."""
  t = (kernel.get("time_s") or {}).get("median")
  if not t or not kernel.get("ops") or not kernel.get("bytes"): return None
  r = {"flops": kernel["ops"] / t, "bytes": kernel["bytes"] / t, "intensity": kernel["ops"] / kernel["bytes"]}
  if peak:
    bound = min(peak["flops"], peak["bytes"] * r["intensity"])
    r |= {"flops_share": r["flops"] / peak["flops"], "bytes_share": r["bytes"] / peak["bytes"], "of_bound": r["flops"] / bound,
          "limit": "compute" if peak["flops"] <= peak["bytes"] * r["intensity"] else "memory"}
  return r
