"""Real networks as data: every conv layer of a model, written from the architecture its paper gives, at an input
size and batch of the user's choosing. Pooling, the fully connected layers and transposed convs are not convs here
(they are not what a Winograd change touches) and are left out; every Conv2d is in, 1×1, 7×7 and strided ones too, so
the total is the network's conv time."""
from __future__ import annotations
from dataclasses import dataclass

from wino_core.spec import Caps, ConvSpec, SpecError, parse_spec

@dataclass(frozen=True)
class ConvLayer:
  """One Conv2d of a model: its name in the model, channels, a square kernel, stride, padding, and the input's spatial
  size at the model's default input size (scaled with the input size the user picks)."""
  name: str
  cin: int
  cout: int
  kernel: int
  stride: int
  padding: int
  size: int

@dataclass(frozen=True)
class Model:
  name: str
  title: str
  source: str
  input_size: int
  layers: tuple[ConvLayer, ...]

def _resnet(blocks:tuple[int, ...], bottleneck:bool) -> tuple[ConvLayer, ...]:
  """ResNet (He et al. 2015, Table 1) at 224×224: conv1 7×7/2, a 3×3/2 max pool, then four stages at 56, 28, 14, 7.
  A stage's first block downsamples (stride 2, except the first stage) and has a 1×1 projection shortcut where the
  shape changes. The bottleneck's stride sits on its 3×3, as in torchvision's ResNet-50 (v1.5)."""
  layers, cin, size = [ConvLayer("conv1", 3, 64, 7, 2, 3, 224)], 64, 56
  for stage, (n, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
    cout = width * 4 if bottleneck else width
    for b in range(n):
      stride = 2 if b == 0 and stage > 1 else 1
      p = f"layer{stage}.{b}"
      if bottleneck:
        layers += [ConvLayer(f"{p}.conv1", cin, width, 1, 1, 0, size), ConvLayer(f"{p}.conv2", width, width, 3, stride, 1, size),
                   ConvLayer(f"{p}.conv3", width, cout, 1, 1, 0, size // stride)]
      else:
        layers += [ConvLayer(f"{p}.conv1", cin, width, 3, stride, 1, size), ConvLayer(f"{p}.conv2", width, width, 3, 1, 1, size // stride)]
      if stride != 1 or cin != cout: layers.append(ConvLayer(f"{p}.downsample", cin, cout, 1, stride, 0, size))
      cin, size = cout, size // stride
  return tuple(layers)

def _vgg16() -> tuple[ConvLayer, ...]:
  """VGG-16 (Simonyan & Zisserman 2014, configuration D) at 224×224: 13 3×3 convs, pad 1, a 2×2 max pool after each block."""
  layers, cin, size = [], 3, 224
  for block, (n, cout) in enumerate(((2, 64), (2, 128), (3, 256), (3, 512), (3, 512)), start=1):
    for i in range(n):
      layers.append(ConvLayer(f"conv{block}_{i + 1}", cin, cout, 3, 1, 1, size))
      cin = cout
    size //= 2
  return tuple(layers)

def _unet() -> tuple[ConvLayer, ...]:
  """U-Net (Ronneberger et al. 2015) at 256×256 with padded 3×3 convs (so skip connections need no crop), 1 input
  channel and 2 classes as in the paper: four down steps of two 3×3 convs (64 to 512) and a 2×2 max pool, a bottom of two
  at 1024, four up steps (a 2×2 up-convolution, a transposed conv not counted here, halving the channels, then two 3×3
  convs on the skip connection concatenated with it), and a final 1×1 conv."""
  layers, cin, size = [], 1, 256
  for i, c in enumerate((64, 128, 256, 512, 1024)):
    layers += [ConvLayer(f"down{i}.conv1" if c < 1024 else "bottom.conv1", cin, c, 3, 1, 1, size),
               ConvLayer(f"down{i}.conv2" if c < 1024 else "bottom.conv2", c, c, 3, 1, 1, size)]
    cin, size = c, size // 2 if c < 1024 else size
  for i, c in enumerate((512, 256, 128, 64)):
    size *= 2
    layers += [ConvLayer(f"up{i}.conv1", 2 * c, c, 3, 1, 1, size), ConvLayer(f"up{i}.conv2", c, c, 3, 1, 1, size)]
  return (*layers, ConvLayer("out", 64, 2, 1, 1, 0, size))

MODELS = {m.name: m for m in (
  Model("resnet18", "ResNet-18", "He et al., Deep Residual Learning for Image Recognition, 2015, Table 1", 224, _resnet((2, 2, 2, 2), False)),
  Model("resnet50", "ResNet-50", "He et al. 2015, Table 1 (stride on the 3×3, as torchvision's v1.5)", 224, _resnet((3, 4, 6, 3), True)),
  Model("vgg16", "VGG-16", "Simonyan & Zisserman, Very Deep Convolutional Networks, 2014, configuration D", 224, _vgg16()),
  Model("unet", "U-Net", "Ronneberger et al., U-Net, 2015 (padded 3×3 convs)", 256, _unet()),
)}

@dataclass(frozen=True)
class SweepLayer:
  """One distinct conv of a network: its spec and the names of the layers that have it (the multiplicity)."""
  spec: ConvSpec
  names: tuple[str, ...]
  @property
  def multiplicity(self) -> int: return len(self.names)

def network_layers(layers:tuple[ConvLayer, ...]|list[ConvLayer], *, batch:int, scale:tuple[int, int]=(1, 1), dtype:str="float32",
                   caps:Caps|None=None) -> list[SweepLayer]:
  """The distinct conv specs of a network in the order they first appear, each with every layer name that has it.
  `scale` (num, den) resizes the spatial sizes (an input of 448 for a 224 model is (2, 1)). SpecError names the layer
  whose conv is refused (too big for the caps, or an empty output at this input size)."""
  by_spec: dict[ConvSpec, list[str]] = {}
  for l in layers:
    size = l.size * scale[0] // scale[1]
    try: spec = parse_spec({"batch": batch, "cin": l.cin, "cout": l.cout, "h": size, "w": size, "kernel": l.kernel,
                            "stride": l.stride, "padding": l.padding, "dtype": dtype}, caps)
    except SpecError as e: raise SpecError({f"layer {l.name}": str(e)}) from None
    by_spec.setdefault(spec, []).append(l.name)
  return [SweepLayer(s, tuple(names)) for s, names in by_spec.items()]

def model_title(name:str) -> str: return MODELS[name].title if name in MODELS else "custom network"
