"""The environment a child process starts with: an allow-list of the server's variables, never the whole of it.

A child runs code under review (a `mode@checkout` column runs a pull request's tinygrad), so it gets what tinygrad and
the child need to find the device and the compiler, and nothing named like a secret (the access token, the queue URL
with its password, API keys). tinygrad's own knobs (BEAM, NOOPT, TC, DEBUG, …) set on the server are not passed
either: what a mode compiles is what the request and the settings below say, not the shell the server started in."""
from __future__ import annotations
import os, re

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where this wino_core is: a child's PYTHONPATH

# what finds programs, libraries, the locale and the devices (names, or name prefixes ending in "_")
PASSED = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "NO_COLOR", "SYSTEMROOT", "COMSPEC", "PATHEXT",  # the last three: Windows
          "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH", "SDKROOT", "DEVELOPER_DIR",  # macOS: the clang SDK
          "DEV", "CC"}  # tinygrad's device and renderer choice (DEV=CUDA:PTX); the C compiler of its CPU device
PASSED_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "HIP_", "HSA_", "ROCR_", "ROCM_", "GPU_", "METAL_", "MTL_", "OCL_", "VK_")
PASSED_SUFFIXES = ("_VISIBLE_DEVICES", "_CC")  # CUDA_VISIBLE_DEVICES …; CPU_CC=LLVM picks a device's compiler in tinygrad
# settings of wino-dash's own that change what NEW compiles
WINO_SETTINGS = ("WINO_DASH_NEW_LAYOUT",)
# never passed, whatever the lists above say
SECRET = re.compile(r"TOKEN|PASSW|SECRET|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|^WINO_DASH_QUEUE$|^REDIS|_URL$|_URI$|_DSN$", re.I)
CREDENTIALS_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.I)  # scheme://user:password@host

def passed(name:str, value:str) -> bool:
  """Whether the server's variable `name` reaches a child."""
  if SECRET.search(name) or CREDENTIALS_IN_URL.match(value): return False
  return name in PASSED or name in WINO_SETTINGS or name.startswith(PASSED_PREFIXES) or name.endswith(PASSED_SUFFIXES)

def child_environ(home:str, environ:dict[str, str]|None=None) -> dict[str, str]:
  """The server's passed variables, with HOME and the temp dir set to `home` (the run's own directory)."""
  src = os.environ if environ is None else environ
  return {**{k: v for k, v in src.items() if passed(k, v)}, "HOME": home, "TMPDIR": home, "TMP": home, "TEMP": home}

def compile_settings(environ:dict[str, str]|None=None) -> dict[str, str]:
  """The passed variables that change what a mode compiles: part of a comparison's code identity (wino_core/code.py)."""
  src = os.environ if environ is None else environ
  return {k: v for k, v in sorted(src.items()) if passed(k, v) and (k in ("DEV", "CC") or k.endswith("_CC") or k in WINO_SETTINGS)}
