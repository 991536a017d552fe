"""ConvSpec: one 2-D convolution, validated field by field, with a canonical form for links and ids."""
from __future__ import annotations
import json, math, re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

DTYPES = ("float32", "float16", "bfloat16")  # bfloat16: the training dtype of current NVIDIA GPUs
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
FIELDS = ("batch", "cin", "cout", "h", "w", "kernel", "stride", "padding", "dilation", "groups", "bias", "dtype", "seed")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")

@dataclass(frozen=True)
class Caps:
  """Size limits: a spec over them is refused before anything compiles."""
  max_tensor_elements: int = 2**26
  max_flops: int = 2**36

class SpecError(ValueError):
  """Every field that is wrong, each with the rule it broke. str() is the first one, a single line."""
  def __init__(self, errors:dict[str, str]):
    self.errors = errors
    fields: dict[str, list[str]] = {}  # a rule several fields broke together (a size cap) is said once
    for k, v in errors.items(): fields.setdefault(v, []).append(k)
    super().__init__("; ".join(f"{', '.join(ks)}: {v}" for v, ks in fields.items()))
  @property
  def field(self) -> str: return next(iter(self.errors))

@dataclass(frozen=True)
class ConvSpec:
  batch: int = 1
  cin: int = 16
  cout: int = 16
  h: int = 32
  w: int = 32
  kernel: tuple[int, int] = (3, 3)
  stride: int = 1
  padding: tuple[int, int, int, int] = (1, 1, 1, 1)  # top, bottom, left, right
  dilation: int = 1
  groups: int = 1
  bias: bool = False
  dtype: str = "float32"
  seed: int = 0

  # ***** derived sizes *****
  @property
  def out_hw(self) -> tuple[int, int]:
    (kh, kw), (pt, pb, pl, pr) = self.kernel, self.padding
    return ((self.h + pt + pb - self.dilation*(kh-1) - 1)//self.stride + 1, (self.w + pl + pr - self.dilation*(kw-1) - 1)//self.stride + 1)
  @property
  def input_shape(self) -> tuple[int, ...]: return (self.batch, self.cin, self.h, self.w)
  @property
  def weight_shape(self) -> tuple[int, ...]: return (self.cout, self.cin // self.groups, *self.kernel)
  @property
  def output_shape(self) -> tuple[int, ...]: return (self.batch, self.cout, *self.out_hw)
  @property
  def flops(self) -> int:
    """Multiply-adds of the direct convolution, counted as 2 FLOPs each."""
    return 2 * math.prod(self.output_shape) * (self.cin // self.groups) * self.kernel[0] * self.kernel[1]
  @property
  def tinygrad_padding(self) -> tuple[int, int, int, int]:
    """tinygrad's conv2d takes a 4-tuple as (left, right, top, bottom)."""
    pt, pb, pl, pr = self.padding
    return (pl, pr, pt, pb)

  # ***** canonical form *****
  def to_dict(self) -> dict:
    pad = self.padding[0] if len(set(self.padding)) == 1 else list(self.padding)
    return {"batch": self.batch, "cin": self.cin, "cout": self.cout, "h": self.h, "w": self.w, "kernel": list(self.kernel),
            "stride": self.stride, "padding": pad, "dilation": self.dilation, "groups": self.groups, "bias": self.bias,
            "dtype": self.dtype, "seed": self.seed}
  def to_json(self) -> str: return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
  def to_query(self) -> str:
    def text(k, v): return "x".join(map(str, v)) if k == "kernel" else ",".join(map(str, v)) if isinstance(v, list) else str(int(v) if isinstance(v, bool) else v)
    return urlencode([(k, text(k, v)) for k, v in self.to_dict().items()])
  @classmethod
  def from_query(cls, query:str, caps:Caps|None=None) -> ConvSpec:
    pairs = parse_qsl(query, keep_blank_values=True)
    return parse_spec({k: v for k, v in pairs if k in FIELDS}, caps)
  def describe(self) -> str:
    (kh, kw), pad = self.kernel, self.to_dict()["padding"]
    return (f"{self.batch}×{self.cin}→{self.cout} {self.h}×{self.w}, kernel {kh}×{kw}, pad {pad}, stride {self.stride}, "
            f"dilation {self.dilation}, groups {self.groups}{', bias' if self.bias else ''}, {self.dtype}")

# ***** parsing: strings (forms, query strings) and JSON values alike *****

def _int(v, field:str) -> int:
  if isinstance(v, bool): raise ValueError("must be an integer, not a boolean")
  if isinstance(v, int): return v
  if isinstance(v, float) and v.is_integer() and abs(v) < 2**53: return int(v)
  if isinstance(v, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,18}\s*", v): return int(v)  # ASCII digits only
  if isinstance(v, str) and not v.strip(): raise ValueError("is required (an integer)")
  raise ValueError(f"must be an integer, got {_show(v)}")

def _ints(v, field:str, lengths:tuple[int, ...]) -> tuple[int, ...]:
  parts = re.split(r"[x×,\s]+", v.strip()) if isinstance(v, str) else list(v) if isinstance(v, (list, tuple)) else [v]
  # say what is wrong with what was typed ('3x' lacks its second size), not that the field is empty
  if isinstance(v, str) and not v.strip(): raise ValueError(f"is required ({_FORMS[field]})")
  if isinstance(v, str) and "" in parts: raise ValueError(f"{_show(v)} has a size missing: write {_FORMS[field]}")
  if len(parts) not in lengths: raise ValueError(f"needs {' or '.join(map(str, lengths))} integers, got {len(parts)}")
  try: return tuple(_int(p, field) for p in parts)
  except ValueError: raise ValueError(f"{_show(v)} is not {_FORMS[field]}") from None
_FORMS = {"kernel": "KH×KW or K, e.g. 3x3 or 3", "padding": "P, PH,PW or T,B,L,R integers, e.g. 1 or 1,1,0,0"}

def _bool(v) -> bool:
  if isinstance(v, bool): return v
  if isinstance(v, int) and v in (0, 1): return bool(v)
  if isinstance(v, str) and v.strip().lower() in _TRUE + _FALSE: return v.strip().lower() in _TRUE
  raise ValueError(f"must be true or false, got {_show(v)}")

def _show(v) -> str:
  s = repr(v)
  return s if len(s) <= 40 else s[:37] + "..."

def parse_spec(raw:dict, caps:Caps|None=None) -> ConvSpec:
  """Build a ConvSpec from user input (a JSON object or form fields as strings). Missing fields take the defaults;
  unknown fields are refused. Raises SpecError naming every bad field and the rule it broke."""
  caps, errors, vals = caps or Caps(), {}, {}
  if not isinstance(raw, dict): raise SpecError({"spec": f"must be an object of fields, got {type(raw).__name__}"})
  for k in raw:
    if k not in FIELDS: errors[str(k)[:40]] = f"unknown field (known: {', '.join(FIELDS)})"
  defaults = ConvSpec()
  for k in FIELDS:
    v = raw.get(k, getattr(defaults, k))
    try:
      if k == "kernel": vals[k] = (t:=_ints(v, k, (1, 2))) * (2 // len(t))
      elif k == "padding":
        t = _ints(v, k, (1, 2, 4))
        vals[k] = (t[0],)*4 if len(t) == 1 else (t[0], t[0], t[1], t[1]) if len(t) == 2 else t
      elif k == "bias": vals[k] = _bool(v)
      elif k == "dtype":
        if not isinstance(v, str) or v.strip() not in DTYPES: raise ValueError(f"must be one of {', '.join(DTYPES)}, got {_show(v)}")
        vals[k] = v.strip()
      else: vals[k] = _int(v, k)
    except ValueError as e: errors[k] = str(e)
  # range rules, only on fields that parsed
  for k in ("batch", "cin", "cout", "h", "w", "stride", "dilation", "groups"):
    if k in vals and vals[k] < 1: errors[k] = f"must be at least 1, got {vals[k]}"
  if "kernel" in vals and min(vals["kernel"]) < 1: errors["kernel"] = f"each size must be at least 1, got {'x'.join(map(str, vals['kernel']))}"
  if "padding" in vals and min(vals["padding"]) < 0: errors["padding"] = f"must be 0 or more, got {vals['padding']}"
  if "seed" in vals and not 0 <= vals["seed"] < 2**32: errors["seed"] = f"must be in [0, 2**32), got {vals['seed']}"
  if errors: raise SpecError(errors)
  if vals["cin"] % vals["groups"]: errors["groups"] = f"groups {vals['groups']} must divide cin {vals['cin']}"
  elif vals["cout"] % vals["groups"]: errors["groups"] = f"groups {vals['groups']} must divide cout {vals['cout']}"
  if errors: raise SpecError(errors)
  spec = ConvSpec(**vals)
  oh, ow = spec.out_hw
  if oh < 1 or ow < 1:
    field = "h" if oh < 1 else "w"
    raise SpecError({field: f"the output is empty ({oh}×{ow}): {field} with its padding is smaller than the dilated kernel"})
  for name, shape in (("input", spec.input_shape), ("weight", spec.weight_shape), ("output", spec.output_shape)):
    if (n:=math.prod(shape)) > caps.max_tensor_elements:
      _too_large(_SIZE_FIELDS[name](spec), caps.max_tensor_elements, f"the {name} tensor {'x'.join(map(str, shape))} has {n:,} elements")
  if spec.flops > caps.max_flops:
    _too_large(_SIZE_FIELDS["flops"](spec), caps.max_flops // 2, f"the conv needs {spec.flops:,} FLOPs", caps.max_flops)
  return spec

# each size a cap multiplies, with the field it comes from (an output size from its input size, or from the padding when that is larger)
def _out_fields(s:ConvSpec) -> list[tuple[str, int]]:
  (oh, ow), (pt, pb, pl, pr) = s.out_hw, s.padding
  return [("h" if s.h >= pt + pb else "padding", oh), ("w" if s.w >= pl + pr else "padding", ow)]
_SIZE_FIELDS = {
  "input": lambda s: [("batch", s.batch), ("cin", s.cin), ("h", s.h), ("w", s.w)],
  "weight": lambda s: [("cout", s.cout), ("cin", s.cin // s.groups), ("kernel", s.kernel[0]), ("kernel", s.kernel[1])],
  "output": lambda s: [("batch", s.batch), ("cout", s.cout), *_out_fields(s)],
  "flops": lambda s: [("batch", s.batch), ("cout", s.cout), *_out_fields(s), ("cin", s.cin // s.groups), ("kernel", s.kernel[0]), ("kernel", s.kernel[1])]}

def _too_large(sizes:list[tuple[str, int]], cap:int, what:str, shown_cap:int|None=None):
  """Blame the sizes over their even share of the cap (n ** len > cap): at least one is, since their product is over it."""
  fields = sorted({f for f, n in sizes if n ** len(sizes) > cap}, key=FIELDS.index)
  names = " and ".join(fields) if len(fields) < 3 else ", ".join(fields[:-1]) + " and " + fields[-1]
  msg = f"{what}, over the cap of {shown_cap or cap:,}: {names} make{'s' if len(fields) == 1 else ''} it too large"
  raise SpecError({f: msg for f in fields})
