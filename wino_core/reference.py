"""The float64 numpy reference every mode is checked against (numpy only: no tinygrad in the loop)."""
import numpy as np

def conv2d_reference(x:np.ndarray, w:np.ndarray, bias:np.ndarray|None=None, stride:int=1, dilation:int=1,
                     padding:tuple[int, int, int, int]=(0, 0, 0, 0), groups:int=1) -> np.ndarray:
  """x (B, Cin, H, W), w (Cout, Cin/groups, kh, kw), padding (top, bottom, left, right); computed in float64."""
  x, w = x.astype(np.float64), w.astype(np.float64)
  top, bottom, left, right = padding
  x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
  (b, cin, h, wd), (cout, cin_g, kh, kw) = x.shape, w.shape
  oh, ow = (h - dilation*(kh-1) - 1)//stride + 1, (wd - dilation*(kw-1) - 1)//stride + 1
  out = np.zeros((b, cout, oh, ow), np.float64)
  cout_g = cout // groups
  for g in range(groups):
    xg, wg = x[:, g*cin_g:(g+1)*cin_g], w[g*cout_g:(g+1)*cout_g]
    for ky in range(kh):
      for kx in range(kw):
        # one tap of the kernel: a strided window of the input times a (cout_g, cin_g) matrix
        ys, xs = ky*dilation, kx*dilation
        win = xg[:, :, ys:ys + stride*(oh-1) + 1:stride, xs:xs + stride*(ow-1) + 1:stride]
        # tensordot goes to BLAS (threaded); a plain einsum is a single-threaded loop, minutes on a big layer
        out[:, g*cout_g:(g+1)*cout_g] += np.moveaxis(np.tensordot(win, wg[:, :, ky, kx], axes=([1], [1])), 3, 1)
  if bias is not None: out += bias.astype(np.float64)[None, :, None, None]
  return out

def max_errors(out:np.ndarray, ref:np.ndarray) -> tuple[float, float]:
  """(max abs error, max rel error); the relative error is scaled by the reference's largest magnitude, so a
  near-zero output element does not turn rounding noise into a huge ratio."""
  out = out.astype(np.float64)
  if not np.all(np.isfinite(out)): return float("inf"), float("inf")
  abs_err = float(np.max(np.abs(out - ref))) if out.size else 0.0
  scale = float(np.max(np.abs(ref))) if ref.size else 0.0
  return abs_err, (abs_err / scale if scale > 0 else abs_err)
