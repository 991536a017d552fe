"""A sweep's request: every conv layer of a network through the chosen modes. Each distinct conv is an ordinary
comparison (same request, same id, so nothing runs twice and each layer has its own page); the request plans them as
the sweep's layer table. sweep_table.py reads the table back, with the network's totals, from the stored comparisons."""
from __future__ import annotations
import hashlib, json
from dataclasses import dataclass

from wino_core.compare import CompareRequest, bounded_int, check_modes, code_id
from wino_core.devices import tinygrad_version
from wino_core.networks import MODELS, ConvLayer, SweepLayer, model_title, network_layers
from wino_core.result import MODES
from wino_core.run import RunSettings
from wino_core.search import HEURISTICS, Search, parse_search
from wino_core.spec import DTYPES, Caps, SpecError

MAX_CUSTOM_LAYERS = 64
LAYER_FIELDS = ("name", "cin", "cout", "kernel", "stride", "padding", "size")

@dataclass(frozen=True)
class SweepRequest:
  model: str                          # a name of MODELS, or "custom" with `layers`
  batch: int
  size: int                           # input H = W
  dtype: str
  modes: tuple[str, ...]
  device: str
  tinygrad: str
  repeat: int = 10
  search: Search = HEURISTICS
  rerun: int = 0
  layers: tuple[ConvLayer, ...] = ()  # custom only
  code: str|None = None               # the code identity its layers run with (wino_core/code.py): other code, other layers

  @property
  def net(self) -> tuple[ConvLayer, ...]: return self.layers if self.model == "custom" else MODELS[self.model].layers
  @property
  def title(self) -> str: return model_title(self.model)
  @property
  def default_size(self) -> int: return max(l.size for l in self.layers) if self.model == "custom" else MODELS[self.model].input_size

  def distinct_layers(self, caps:Caps|None=None) -> list[SweepLayer]:
    return network_layers(self.net, batch=self.batch, scale=(self.size, self.default_size), dtype=self.dtype, caps=caps)

  def layer_request(self, layer:SweepLayer) -> CompareRequest:
    """The comparison a layer is: the same request as the form would make for its conv, so a stored one is reused."""
    return CompareRequest(layer.spec, self.modes, self.device, self.tinygrad, self.repeat, self.rerun, False, self.search, code=self.code)

  def layer_table(self, caps:Caps|None=None) -> list[dict]:
    """The sweep's stored table before anything ran: per distinct conv its spec, layer names, comparison request and id."""
    return [{"spec": l.spec.to_dict(), "names": list(l.names), "request": (r:=self.layer_request(l)).to_dict(), "comparison": r.id,
             "status": "queued", "job": None, "message": ""} for l in self.distinct_layers(caps)]

  def to_dict(self) -> dict:
    return {"model": self.model, "batch": self.batch, "size": self.size, "dtype": self.dtype, "modes": list(self.modes),
            "device": self.device, "tinygrad": self.tinygrad, "repeat": self.repeat,
            **({"search": self.search.to_dict()} if not self.search.is_default else {}), **({"rerun": self.rerun} if self.rerun else {}),
            **({"layers": [[getattr(l, f) for f in LAYER_FIELDS] for l in self.layers]} if self.model == "custom" else {}),
            **({"code": self.code} if self.code else {})}
  @property
  def id(self) -> str: return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]

def parse_layers(raw) -> tuple[ConvLayer, ...]:
  """A custom network: a list of layers, each [name, cin, cout, kernel, stride, padding, size] or an object with those
  keys, or text with one layer per line ("name cin cout kernel stride padding size", # comments)."""
  if isinstance(raw, str):
    raw = [line.split() for line in (l.split("#")[0].strip() for l in raw.splitlines()) if line]
  if not isinstance(raw, list) or not raw: raise SpecError({"layers": "a custom network needs a list of layers"})
  if len(raw) > MAX_CUSTOM_LAYERS: raise SpecError({"layers": f"at most {MAX_CUSTOM_LAYERS} layers, got {len(raw)}"})
  out = []
  for i, l in enumerate(raw):
    vals = [l.get(f) for f in LAYER_FIELDS] if isinstance(l, dict) else l
    if not isinstance(vals, (list, tuple)) or len(vals) != len(LAYER_FIELDS):
      raise SpecError({"layers": f"layer {i + 1}: needs {len(LAYER_FIELDS)} values ({' '.join(LAYER_FIELDS)})"})
    name = str(vals[0])[:40]
    try: nums = [bounded_int(v, f, 1 if f != "padding" else 0, 100_000) for f, v in zip(LAYER_FIELDS[1:], vals[1:])]
    except SpecError as e: raise SpecError({"layers": f"layer {i + 1} ({name}): {e}"}) from None
    out.append(ConvLayer(name, *nums))
  return tuple(out)

def parse_sweep(raw:dict, *, devices:list[dict]|None=None, caps:Caps|None=None, max_repeat:int=100, max_layers:int=MAX_CUSTOM_LAYERS) -> SweepRequest:
  """A sweep request from JSON or a form. SpecError on any bad field, including a layer whose conv is refused, and a
  network of more than `max_layers` distinct convs (each is a comparison to run: a server may allow fewer)."""
  from wino_core.devices import check_device, default_device
  if not isinstance(raw, dict): raise SpecError({"request": "must be a JSON object"})
  if (extra:=set(raw) - {"model", "batch", "size", "dtype", "modes", "device", "repeat", "search", "rerun", "layers"}):
    raise SpecError({sorted(extra)[0][:40]: "unknown field"})
  errors: dict[str, str] = {}
  def field(fn):
    try: return fn()
    except SpecError as e: errors.update(e.errors)
  model = raw.get("model", "resnet18")
  if model != "custom" and model not in MODELS: errors["model"] = f"unknown model {str(model)[:40]!r} (known: {', '.join(MODELS)}, custom)"
  layers = field(lambda: parse_layers(raw.get("layers"))) if model == "custom" else ()
  batch = field(lambda: bounded_int(raw.get("batch", 1), "batch", 1, 4096))
  default_size = MODELS[model].input_size if model in MODELS else max(l.size for l in layers) if layers else None
  given = raw.get("size")
  size = field(lambda: bounded_int(default_size if given is None or given == "" else given, "size", 1, 4096)) if default_size else None
  dtype = raw.get("dtype", "float32")
  if dtype not in DTYPES: errors["dtype"] = f"must be one of {', '.join(DTYPES)}, got {str(dtype)[:40]!r}"
  modes = field(lambda: check_modes(raw.get("modes", list(MODES))))
  repeat = field(lambda: bounded_int(raw.get("repeat", 10), "repeat", 1, max_repeat))
  rerun = field(lambda: bounded_int(raw.get("rerun", 0), "rerun", 0, 2**53))
  search = field(lambda: parse_search(raw.get("search")))
  if errors: raise SpecError(errors)
  device = raw.get("device") or default_device(devices)
  if not isinstance(device, str): raise SpecError({"device": "must be a device name"})
  info = next((d for d in devices or [] if d["name"] == device), {})
  req = SweepRequest(model, batch, size, dtype, tuple(modes), device, tinygrad_version(), repeat, search, rerun, layers, code_id(info))
  distinct = req.distinct_layers(caps)  # every layer's conv checked here; the device once (dtype support)
  if len(distinct) > max_layers:
    raise SpecError({"layers" if model == "custom" else "model": f"{len(distinct)} distinct convs, more than the {max_layers} a sweep may run here"})
  check_device(distinct[0].spec, device, devices)
  return req

def run_sweep(req:SweepRequest, settings:RunSettings=RunSettings(), on_progress=None) -> list[dict]:
  """A sweep here and now, no server and nothing stored (the CLI, the benchmarks): each distinct conv compared in turn,
  as `settings` say; the layer rows. on_progress(layer index, layer, mode, phase)."""
  from wino_core.compare import compare
  from wino_core.sweep_table import comparison_outcome, layer_row
  rows = []
  for i, layer in enumerate(req.layer_table()):
    cmp = compare(CompareRequest.from_dict(layer["request"]), settings, (lambda m, p, i=i, l=layer: on_progress(i, l, m, p)) if on_progress else None)
    rows.append(layer_row({**layer, "status": "done"}, comparison_outcome(cmp)))
  return rows
