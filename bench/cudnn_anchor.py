"""The anchor: PyTorch's cuDNN conv on the same shapes as compare_modes.py, timed the same way (median of CUDA-event
timed runs after warm-up), so tinygrad's kernels can be read against the vendor library measured in the same session.

  python bench/cudnn_anchor.py [--dtypes float32,float16] [--shapes 16,128,128,56 ...] [--repeat 20] [--json FILE]

cudnn.benchmark=True (cuDNN picks its fastest algorithm for each shape first), TF32 off (float32 stays float32)."""
import argparse, json, statistics

SHAPES = [(1, 16, 16, 32), (1, 64, 64, 64), (8, 64, 64, 56), (16, 128, 128, 56), (32, 256, 256, 28), (8, 512, 512, 14)]

def time_conv(spec:dict, repeat:int=20) -> list[float]:
  """cuDNN's conv for a wino-dash spec dict (batch, cin, cout, h, w, kernel, stride, padding, dtype): seconds per run,
  CUDA events around each call, after 5 warm-up calls (cudnn.benchmark picks its algorithm in those)."""
  import torch
  dt = getattr(torch, spec["dtype"])
  kh, kw = spec.get("kernel", (3, 3))
  pad, groups = spec.get("padding", 1), spec.get("groups", 1)
  x = torch.randn(spec["batch"], spec["cin"], spec["h"], spec["w"], device="cuda", dtype=dt)
  w = torch.randn(spec["cout"], spec["cin"] // groups, kh, kw, device="cuda", dtype=dt) / (spec["cin"] // groups * kh * kw) ** 0.5
  if not isinstance(pad, int) and (pad[0] != pad[1] or pad[2] != pad[3]): x = torch.nn.functional.pad(x, (pad[2], pad[3], pad[0], pad[1]))
  p2d = pad if isinstance(pad, int) else 0 if (pad[0] != pad[1] or pad[2] != pad[3]) else (pad[0], pad[2])  # wino-dash: top, bottom, left, right
  run = lambda: torch.nn.functional.conv2d(x, w, stride=spec.get("stride", 1), padding=p2d, dilation=spec.get("dilation", 1), groups=groups)
  for _ in range(5): run()
  times = []
  for _ in range(repeat):
    st, en = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    st.record(); run(); en.record(); en.synchronize()
    times.append(st.elapsed_time(en) / 1e3)
  return times

def setup() -> str:
  import torch
  torch.backends.cudnn.benchmark = True
  torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
  return f"cuDNN {torch.backends.cudnn.version()} on {torch.cuda.get_device_name()}, torch {torch.__version__}, TF32 off, benchmark on"

def main():
  p = argparse.ArgumentParser()
  p.add_argument("--dtypes", default="float32,float16")
  p.add_argument("--shapes", nargs="*", default=None)
  p.add_argument("--repeat", type=int, default=20)
  p.add_argument("--json", default=None)
  a = p.parse_args()
  shapes = [tuple(map(int, s.split(","))) for s in a.shapes] if a.shapes else SHAPES
  print(setup())
  rows = []
  for dtype in a.dtypes.split(","):
    for b, cin, cout, s in shapes:
      times = time_conv({"batch": b, "cin": cin, "cout": cout, "h": s, "w": s, "dtype": dtype}, a.repeat)
      med = statistics.median(times)
      rows.append({"dtype": dtype, "shape": [b, cin, cout, s], "median_s": med, "min_s": min(times)})
      print(f"{dtype:8} {b},{cin},{cout},{s:<10} cuDNN {med*1e3:.3f} ms (min {min(times)*1e3:.3f})", flush=True)
  if a.json:
    with open(a.json, "w") as f: json.dump(rows, f)

if __name__ == "__main__": main()
