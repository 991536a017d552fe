"""What the machine was doing while a process timed kernels: the load average, and the CPU time that other processes
used meanwhile (the whole machine's busy time in /proc/stat minus this process's own; Linux only, elsewhere None); on
NVIDIA GPUs the SM clock right after the timed runs, as nvidia-smi reports it."""
from __future__ import annotations
import os, shutil, subprocess, time

def _ticks() -> tuple[int, int] | None:
  """(busy clock ticks of the whole machine, this process's own: its threads, and children it waited for)."""
  try:
    with open("/proc/stat") as f: cpu = [int(v) for v in f.readline().split()[1:]]
    with open("/proc/self/stat") as f: own = f.read().rsplit(")", 1)[1].split()
  except (OSError, ValueError, IndexError): return None
  busy = sum(cpu[:8]) - cpu[3] - cpu[4]  # user nice system idle iowait irq softirq steal; guest time is inside user
  return busy, sum(int(v) for v in own[11:15])  # utime stime cutime cstime

def _loadavg() -> float | None:
  try: return os.getloadavg()[0]
  except (OSError, AttributeError): return None

class LoadWatch:
  """Started before a process's timed runs, stopped after them: `record()` says how busy the rest of the machine was."""
  def __init__(self): self.t0, self.ticks0, self.load0 = time.monotonic(), _ticks(), _loadavg()
  def settle(self, min_s:float=0.25):
    """Let at least min_s pass since the start, so the window is long enough for /proc's 10 ms ticks to mean something
    (a small conv's timed runs take a few ms); the process does nothing meanwhile."""
    if (left:=min_s - (time.monotonic() - self.t0)) > 0: time.sleep(left)
  def record(self, device:str="") -> dict:
    """{'wall_s', 'other_cpu' (cores other processes kept busy, on average), 'loadavg' [before, after], 'cpus'}, and
    'gpu_clocks' on an NVIDIA device."""
    wall, ticks, hz = time.monotonic() - self.t0, _ticks(), os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    other = None
    if ticks is not None and self.ticks0 is not None and wall > 0:
      other = max(0.0, ((ticks[0] - self.ticks0[0]) - (ticks[1] - self.ticks0[1])) / hz / wall)
    clocks = gpu_clocks(device)
    return {"wall_s": wall, "other_cpu": other, "loadavg": [self.load0, _loadavg()], "cpus": os.cpu_count() or 1,
            **({"gpu_clocks": clocks} if clocks else {})}

def gpu_clocks(device:str) -> list[dict] | None:
  """Each visible NVIDIA GPU's SM clock and its maximum (MHz), for CUDA/NV devices where nvidia-smi is on PATH; else None."""
  if device.split(":")[0] not in ("CUDA", "NV") or (smi:=shutil.which("nvidia-smi")) is None: return None
  try: out = subprocess.run([smi, "--query-gpu=index,clocks.sm,clocks.max.sm", "--format=csv,noheader,nounits"],
                            capture_output=True, text=True, timeout=5).stdout
  except (OSError, subprocess.SubprocessError): return None
  rows = [[v.strip() for v in line.split(",")] for line in out.splitlines() if line.count(",") == 2]
  return [{"gpu": int(i), "sm_mhz": int(c), "max_sm_mhz": int(m)} for i, c, m in rows if i.isdigit() and c.isdigit() and m.isdigit()] or None
