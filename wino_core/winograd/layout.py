"""Layouts as data: per device class, where each buffer NEW materializes keeps its axes, the order its kernel loops in,
what the buffers are stored in, which opts the rule pins, and the cost model. The measurements that chose each field
are in bench/README.md, "NEW's layouts"."""
from __future__ import annotations
import os
from dataclasses import dataclass, replace
from typing import Any, Callable
from tinygrad.uop.ops import AxisType, UOp

@dataclass(frozen=True)
class Order:
  """A buffer's axes, outermost first, and the order its kernel loops (a kernel loops by range id and the rule makes the
  ranges in this order). Names: b the conv's outer ranges the input has (batch, groups), co those the weight has
  (groups, cout), cin the reduced channels, ty tx the tile, i j the position in the 6x6 transformed tile, p q the
  position in the input tile or filter a transform sums over, co/ and co% cout in panels (Layout.cout_panel). A range
  under two names (the groups, in b and co) goes where it is named first."""
  loops: str
  axes: str

@dataclass(frozen=True)
class Layout:
  name: str
  xhat: Order                   # XHAT, the input transform's output
  ghat: Order                   # GHAT, the weight transform's output
  mhat: Order                   # MHAT, the product's output; its loops end with cin, the reduce
  store_in_input_dtype: bool    # XHAT/GHAT/MHAT in the conv's dtype, else in the accumulate dtype (float32)
  min_flops: int                # cost model: under this many FLOPs (of the direct conv) Winograd's 4 kernels do not pay
  min_cin: int = 0              # cost model: under this many input channels per group the transforms' bytes do not pay
  pin_transform_opts: bool = False  # on devices with local memory the transforms get the rule's opts (opts.py)
  cout_panel: int = 0           # cout in panels of this many (co/, co%): the product's multiply is a vector of couts
  unpanelled: Layout|None = None    # the orders where cout does not split into panels (not a multiple, grouped convs)
  fuse_output: bool = False     # no MHAT: the product and the output transform in one kernel (stages.product_and_output)
  cin_vector: int = 0           # pinned input transform: each thread takes this many consecutive cin, as many threads side by side

# XHAT/MHAT keep each tile's 36 values together; GHAT/MHAT panels of 4 couts; float32 storage (bench/README.md, cpu)
CPU_ROWS = Layout("cpu", xhat=Order(loops="i j ty tx p q b cin", axes="b ty tx i j cin"),
                  ghat=Order(loops="i j cin co p q", axes="i j cin co"),
                  mhat=Order(loops="i j b co ty tx cin", axes="b ty tx i j co"),
                  store_in_input_dtype=False, min_flops=2**17)
# (i, j) outermost and the tiles (b*tiles) contiguous: each (i, j) a plain matmul tinygrad merges and coalesces;
# conv-dtype storage (a float16 product runs on tensor cores); pinned transform opts; min_cin (bench/README.md, gpu)
GPU = Layout("gpu", xhat=Order(loops="i j cin b ty tx p q", axes="i j cin b ty tx"),
             ghat=Order(loops="i j cin co p q", axes="i j cin co"),
             mhat=Order(loops="i j co b ty tx cin", axes="i j co b ty tx"),
             store_in_input_dtype=True, min_flops=2**26, min_cin=32, pin_transform_opts=True)

LAYOUTS = {"cpu": replace(CPU_ROWS, ghat=Order(loops="i j co/ cin co% p q", axes="i j co/ cin co%"),
                          mhat=Order(loops="i j b co/ ty tx co% cin", axes="b co/ ty tx i j co%"), cout_panel=4, unpanelled=CPU_ROWS),
           "gpu": GPU,
           # experimental, never the default: measured nowhere yet (bench/README.md, "Round 3: levers tried")
           "gpu-fused": replace(GPU, name="gpu-fused", fuse_output=True),
           # cin innermost in XHAT and GHAT (the "TN" operands tensor cores read along cin): a float16 product's fragments
           # load cin pairs, 4 bytes, where "gpu" gathers 2; the input transform writes 4 cin a thread (bench/README.md)
           "gpu-cin": replace(GPU, name="gpu-cin", xhat=Order(loops="i j b ty tx cin p q", axes="i j b ty tx cin"),
                              ghat=Order(loops="i j co cin p q", axes="i j co cin"), cin_vector=4)}

def layout_for(device:str|tuple[str, ...]|None, name:str|None=None) -> Layout:
  """"auto" (the default, or $WINO_DASH_NEW_LAYOUT): "gpu" on devices with local memory (GPUs), "cpu" elsewhere."""
  if (name:=name or os.environ.get("WINO_DASH_NEW_LAYOUT", "auto")) != "auto": return LAYOUTS[name]
  from tinygrad import Device
  dev = device[0] if isinstance(device, tuple) else device
  return LAYOUTS["gpu" if dev is not None and Device[dev].renderer.has_local else "cpu"]

# a buffer's named axes: name -> [(key, value)], value a size (to make ranges) or an index (to read the buffer); a key
# under two names is one axis
Axes = dict[str, list[tuple[Any, Any]]]

def make_ranges(new_range:Callable[..., UOp], loops:str, sizes:Axes, reduce:str="") -> dict[Any, UOp]:
  """A range per key, made in the order `loops` names them (the names in `reduce` as REDUCE ranges)."""
  made: dict[Any, UOp] = {}
  for name in loops.split():
    for key, size in sizes[name]:
      if key not in made: made[key] = new_range(size, AxisType.REDUCE if name in reduce.split() else AxisType.WEAK)
  return made

def made_in_order(axes:str, sizes:Axes, made:dict[Any, UOp]) -> tuple[UOp, ...]:
  """The ranges make_ranges made for `sizes`, outermost first: a buffer's ranges."""
  return in_order(axes, {name: [(key, made[key]) for key, _ in v] for name, v in sizes.items()})

def in_order(axes:str, values:Axes) -> tuple:
  """The values of the axes, outermost first."""
  seen, ret = set(), []
  for name in axes.split():
    for key, v in values[name]:
      if key not in seen: seen.add(key); ret.append(v)
  return tuple(ret)
