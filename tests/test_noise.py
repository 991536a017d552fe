"""The speed verdict on a loaded machine: the same kernel timed in two columns (an A/A pair) while CPU-bound processes
come and go beside the runs must read "within noise". A test of the verdict's method on real processes, not of times."""
import os, subprocess, sys
from wino_core.compare import compare, parse_request
from wino_core.run import RunSettings
from wino_core import verdict as V

HOG = "while True: pass"

class Load:
  """Two CPU-bound processes that can be started and stopped between the comparison's processes. The test pins itself,
  so the runs and the load, to one core: there the load takes about two thirds of the runs' time whatever else the
  machine is doing (a shared CI machine), so a process timed beside it is clearly slower than one timed without."""
  def __init__(self): self.procs = []
  def on(self):
    if not self.procs: self.procs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2)]
  def off(self):
    for p in self.procs: p.kill()
    for p in self.procs: p.wait()
    self.procs = []

def test_an_identical_kernel_reads_within_noise_while_load_comes_and_goes():
  # baseline and baseline+DEBUG=0 compile the same kernel: an A/A pair inside one comparison, timed as every comparison is
  req = parse_request({"spec": {"batch": 1, "cin": 16, "cout": 16, "h": 96, "w": 96, "padding": 1}, "modes": ["baseline", "baseline+DEBUG=0"],
                       "device": "CPU", "repeat": 20})
  a, b = req.modes
  load, processes = Load(), 4
  loaded = {(a, 0), (b, 1), (a, 2), (b, 3)}  # each column busy in half its processes; round 0 like two runs at different moments
  def on_progress(column, phase):  # "timing": a first process starts timing (after its compile); "timing k/n": a timing-only process starts
    if phase == "timing" or phase.startswith("timing "):
      rnd = int(phase.split()[1].split("/")[0]) - 1 if phase != "timing" else 0
      load.on() if (column, rnd) in loaded else load.off()
    else: load.off()
  cpus = os.sched_getaffinity(0)
  os.sched_setaffinity(0, {min(cpus)})  # the children and the load inherit it
  try: c = compare(req, RunSettings(processes=processes), on_progress=on_progress)
  finally:
    load.off()
    os.sched_setaffinity(0, cpus)
  ra, rb = c["runs"][a], c["runs"][b]
  assert ra["status"] == rb["status"] == "ok" and len(ra["kernel_time_s"]["processes"]) == len(rb["kernel_time_s"]["processes"]) == processes
  s = V.speed_pair(rb, ra)
  assert s["method"] == "processes" and s["paired"] and s["verdict"] == "within noise", s
  v = V.verdict(c)
  assert [(x["a"], x["b"], x["verdict"]) for x in v["speedups"]] == [(b, a, "same kernels")] and not v["fastest_is_clear"]
  assert v["machine"]["noisy"] and v["machine"]["other_cpu"] > V.NOISY_SHARE * v["machine"]["cpus"]  # the load was seen
