"""A queue worker's device, named worker first: "gpu-1/CUDA" is worker gpu-1's CUDA (two workers may both have a
"CUDA"). A worker's name is letters, digits, '-', '_', '.', so the name splits at its first '/'. It was spelled
"CUDA@gpu-1" before, which read like a column on a tinygrad environment (`old@0.13.0`): comparisons, sweeps and jobs
stored or queued then still carry that spelling, so every reader here takes both."""
from __future__ import annotations

def valid_worker_name(name:str) -> bool: return 0 < len(name) <= 64 and all(c.isalnum() or c in "-_." for c in name)

def device_id(worker:str, device:str) -> str: return f"{worker}/{device}"

def split_device_id(name:str) -> tuple[str|None, str]:
  """(worker, tinygrad device) of a worker's device in either spelling; (None, name) for a device of this host."""
  worker, sep, device = name.partition("/")
  if sep and valid_worker_name(worker): return worker, device
  device, sep, worker = name.rpartition("@")  # the spelling before
  return (worker, device) if sep and valid_worker_name(worker) else (None, name)

def current_spelling(name:str) -> str:
  """A device name as a request names it today: a link or re-run form from before may say "CUDA@gpu-1"."""
  worker, device = split_device_id(name)
  return name if worker is None else device_id(worker, device)
