"""The anchor: PyTorch's cuDNN conv on the same shapes as compare_modes.py, timed the same way (median of CUDA-event
timed runs after warm-up), so tinygrad's kernels can be read against the vendor library measured in the same session.

  python bench/cudnn_anchor.py [--dtypes float32,float16] [--shapes 16,128,128,56 ...] [--repeat 20] [--json FILE]

cudnn.benchmark=True (cuDNN picks its fastest algorithm for each shape first), TF32 off (float32 stays float32)."""
import argparse, json, statistics

SHAPES = [(1, 16, 16, 32), (1, 64, 64, 64), (8, 64, 64, 56), (16, 128, 128, 56), (32, 256, 256, 28), (8, 512, 512, 14)]

def main():
  import torch
  p = argparse.ArgumentParser()
  p.add_argument("--dtypes", default="float32,float16")
  p.add_argument("--shapes", nargs="*", default=None)
  p.add_argument("--repeat", type=int, default=20)
  p.add_argument("--json", default=None)
  a = p.parse_args()
  torch.backends.cudnn.benchmark = True
  torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
  shapes = [tuple(map(int, s.split(","))) for s in a.shapes] if a.shapes else SHAPES
  print(f"cuDNN {torch.backends.cudnn.version()} on {torch.cuda.get_device_name()}, torch {torch.__version__}, TF32 off, benchmark on")
  rows = []
  for dtype in a.dtypes.split(","):
    for b, cin, cout, s in shapes:
      dt = getattr(torch, dtype)
      x = torch.randn(b, cin, s, s, device="cuda", dtype=dt)
      w = torch.randn(cout, cin, 3, 3, device="cuda", dtype=dt) / (cin * 9) ** 0.5
      for _ in range(5): torch.nn.functional.conv2d(x, w, padding=1)
      times = []
      for _ in range(a.repeat):
        st, en = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        st.record(); torch.nn.functional.conv2d(x, w, padding=1); en.record(); en.synchronize()
        times.append(st.elapsed_time(en) / 1e3)
      med = statistics.median(times)
      rows.append({"dtype": dtype, "shape": [b, cin, cout, s], "median_s": med, "min_s": min(times)})
      print(f"{dtype:8} {b},{cin},{cout},{s:<10} cuDNN {med*1e3:.3f} ms (min {min(times)*1e3:.3f})", flush=True)
  if a.json:
    with open(a.json, "w") as f: json.dump(rows, f)

if __name__ == "__main__": main()
