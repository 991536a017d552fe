"""The math of F(4x4,3x3) (Lavin & Gray, arXiv:1509.09308): a 4x4 output tile Y of a 3x3 filter g over a 6x6 input tile d is
  Y = At [(G g Gt) ⊙ (Bt d B)] A
with the constant matrices below (out tile 4, filter 3, input tile 6 = 4+3-1), and `kron` applies one of them to a tile
written in UOps."""
from __future__ import annotations
import functools, operator
from tinygrad.uop.ops import Ops, UOp

G  = ((1/4, 0, 0), (-1/6, -1/6, -1/6), (-1/6, 1/6, -1/6), (1/24, 1/12, 1/6), (1/24, -1/12, 1/6), (0, 0, 1))  # 6x3
Bt = ((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0), (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0),
      (0, 4, 0, -5, 0, 1))                                                                                      # 6x6
At = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))                      # 4x6

def _entry(row:UOp, column:tuple, dtype) -> UOp:
  """column[row] as a UOp: a chain of WHEREs on the row index that skips the zero entries (it folds once row is upcast)."""
  if row.op is Ops.CONST: return UOp.const(column[row.arg], dtype)
  ret = UOp.const(0, dtype)
  for r, v in enumerate(column):
    if v != 0: ret = row.eq(r).where(UOp.const(v, dtype), ret)
  return ret

def entry(M:tuple[tuple, ...], row:UOp, col:UOp, dtype) -> UOp:
  """M[row][col] as a UOp: a chain of WHEREs over the nonzero entries (it folds where row or col is constant)."""
  ret = UOp.const(0, dtype)
  for r, line in enumerate(M):
    for c, v in enumerate(line):
      if v != 0: ret = (row.eq(r) & col.eq(c)).where(UOp.const(v, dtype), ret)
  return ret

def kron(src:UOp, M:tuple[tuple, ...], outs:tuple[UOp, ...], ins:tuple[UOp, ...]) -> UOp:
  """(M x M x ...) src: apply M along every (out, in) axis pair, the Kronecker product of M with itself.
  src is written in the fresh ranges `ins`; the sum over each of them is unrolled here with the entries of M as
  constants (zero entries skipped). One axis at a time, (M x M) vec(d) = vec(M d Mt): the partial sums M d are shared by
  every output column, so a 6x6 tile of Bt costs 2*6*nnz(Bt) = 264 multiply-adds instead of nnz(Bt)^2 = 484."""
  for o, r in zip(outs, ins):
    terms = [_entry(o, col, src.dtype) * src.substitute({r: UOp.const(k, r.dtype)})
             for k in range(len(M[0])) if any(col:=tuple(row[k] for row in M))]
    src = functools.reduce(operator.add, terms)
  return src
