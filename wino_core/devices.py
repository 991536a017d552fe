"""Which devices tinygrad can open here, found in a child process (opening a GPU runtime can crash or hang;
the server must not). Nothing is device-specific: whatever tinygrad opens is listed, its default first."""
from __future__ import annotations
import json, functools, platform, subprocess, sys

from wino_core.spec import ConvSpec, SpecError

_PROBE = r"""
import json, platform, subprocess
from tinygrad import Device, dtypes
from importlib.metadata import version
def cpu_model():
  try: return next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
  except (OSError, StopIteration): pass
  try: return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5).stdout.strip()
  except (OSError, subprocess.SubprocessError): return platform.processor()
def model(name, dev):
  # what a reviewer recognises ("NVIDIA H100 80GB HBM3", "Apple M2"), from the driver where tinygrad does not say
  kind, _, idx = name.partition(":")
  if kind in ("CUDA", "NV"):
    try: return subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True,
                               timeout=10).stdout.splitlines()[int(idx or 0)].strip()
    except (OSError, subprocess.SubprocessError, IndexError, ValueError): pass
  if kind == "METAL":
    try:
      from tinygrad.runtime.ops_metal import from_ns_str
      return from_ns_str(dev.sysdevice.name())
    except Exception: pass
  return cpu_model() if kind in ("CPU", "CLANG", "LLVM", "PYTHON") else str(dev.arch or type(dev.renderer).__name__)
default, found = Device.DEFAULT, []
for name in dict.fromkeys([Device.DEFAULT, *Device.get_available_devices()]):
  try: dev = Device[name]
  except Exception: continue
  ren = dev.renderer
  found.append({"name": name, "default": name == default, "renderer": type(ren).__name__, "arch": str(dev.arch or ""), "model": model(name, dev),
                "dtypes": [n for n, d in (("float32", dtypes.float32), ("float16", dtypes.float16), ("bfloat16", dtypes.bfloat16))
                                       if d in ren.supported_dtypes()]})
print(json.dumps({"tinygrad": version("tinygrad"), "host": platform.node(), "devices": found}))
"""

@functools.cache
def probe(timeout_s:float=120.0) -> dict:
  """{"tinygrad": version, "host": name, "devices": [{name, default, renderer, arch, model, dtypes}]}; cached per process."""
  try:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=timeout_s, env=_env())
    return json.loads(out.stdout.strip().splitlines()[-1])
  except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as e:
    return {"tinygrad": tinygrad_version(), "host": platform.node(), "devices": [], "error": f"device probe failed: {e}"}

def _env() -> dict:
  import os
  return {**os.environ, "CACHELEVEL": "0", "PARALLEL": "0"}

def tinygrad_version() -> str:
  from importlib.metadata import version
  return version("tinygrad")

# `devices` is a catalogue in probe()'s shape; the default is this host's. A queue-mode server passes its live workers' devices.
def device_names(devices:list[dict]|None=None) -> list[str]: return [d["name"] for d in (probe()["devices"] if devices is None else devices)]

def device_model(device:str) -> str|None:
  """What a reviewer calls the device ("NVIDIA H100 80GB HBM3"), from this host's catalogue."""
  return next((d.get("model") for d in probe()["devices"] if d["name"] == device), None)

def default_device(devices:list[dict]|None=None) -> str:
  devs = probe()["devices"] if devices is None else devices
  return next((d["name"] for d in devs if d["default"]), devs[0]["name"] if devs else "CPU")

def check_device(spec:ConvSpec|None, device:str, devices:list[dict]|None=None) -> None:
  """Refuse a device tinygrad cannot open here, or a dtype it lacks (when there is a spec); raises SpecError naming the field."""
  info = next((d for d in (probe()["devices"] if devices is None else devices) if d["name"] == device), None)
  if info is None:
    raise SpecError({"device": f"unknown device {device[:40]!r}; tinygrad can open: {', '.join(device_names(devices)) or 'none'}"})
  if spec is not None and spec.dtype not in info["dtypes"]: raise SpecError({"dtype": f"{device} has no {spec.dtype} (it has {', '.join(info['dtypes'])})"})
