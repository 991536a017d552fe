"""What the hardware runs, per kernel: its assembly (CPU: the object file disassembled; CUDA: the PTX and the SASS), its
resources (CUDA: registers, spills, shared/local memory, occupancy) and a short instruction mix, as plain JSON.

Read from tinygrad's compiled PROGRAM (its BINARY) and the device's compiler object. The tools are the ones tinygrad's
own `Compiler.disassemble(lib)` calls (objdump; ptxas + nvdisasm), called here so their output is captured rather than
printed, uncoloured. A missing tool is said per level ("needs nvdisasm …"); nothing here fails a run."""
from __future__ import annotations
import collections, os, re, shutil, subprocess, tempfile

from wino_core.capture import MAX_SOURCE_CHARS

TOOL_TIMEOUT_S = 60

def capped(text:str, what:str) -> tuple[str, int|None]:
  """The text cut at MAX_SOURCE_CHARS with a note (as kernel sources are), and its full length when cut."""
  if len(text) <= MAX_SOURCE_CHARS: return text, None
  return text[:MAX_SOURCE_CHARS] + f"\n// wino-dash: {what} cut at {MAX_SOURCE_CHARS:,} of {len(text):,} characters\n", len(text)

def _tool(*names:str) -> str|None: return next((p for n in names if (p:=shutil.which(n))), None)

def _run(args:list[str]) -> subprocess.CompletedProcess:
  return subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, env={**os.environ, "NO_COLOR": "1"})

# *** CPU: the ELF object clang made, disassembled by objdump ***

ELF_X86_64 = 62

def objdump(lib:bytes) -> str:
  """objdump -d of an ELF object, without the raw bytes and the temp file's header (Intel syntax on x86-64)."""
  tool = _tool("objdump", "llvm-objdump")
  if tool is None: raise FileNotFoundError("needs objdump (binutils) or llvm-objdump: neither is on PATH")
  x86 = len(lib) > 20 and int.from_bytes(lib[18:20], "little") == ELF_X86_64
  with tempfile.NamedTemporaryFile(suffix=".o") as f:
    f.write(lib)
    f.flush()
    p = _run([tool, "-d", "--no-show-raw-insn", *(["-M", "intel"] if x86 else []), f.name])
  if p.returncode != 0: raise RuntimeError(f"{os.path.basename(tool)} failed: {p.stderr.strip()[:200]}")
  lines = p.stdout.splitlines()
  # from the first symbol on: the lines before name the temp file
  start = next((i for i, l in enumerate(lines) if re.match(r"^[0-9a-f]+ <.*>:$", l)), 0)
  return "\n".join(lines[start:]).strip() + "\n"

_X86_INS = re.compile(r"^\s*[0-9a-f]+:\s+([a-z][\w.]*)\s*(.*)$")
_PTR_BITS = {"BYTE": 8, "WORD": 16, "DWORD": 32, "QWORD": 64, "XMMWORD": 128, "YMMWORD": 256, "ZMMWORD": 512}
_PREFIXES = {"data16", "cs", "ds", "es", "ss", "fs", "gs", "lock", "rep", "repz", "repnz", "notrack", "bnd"}
_NO_WRITE = ("cmp", "test", "vcomis", "vucomis", "comis", "ucomis", "prefetch")

def x86_mix(asm:str) -> dict[str, int]:
  """Counts a reviewer asks about on x86: FMAs (vector by width, scalar), other float arithmetic (vector / scalar),
  loads and stores by width, branches."""
  n: collections.Counter = collections.Counter()
  for line in asm.splitlines():
    if not (m:=_X86_INS.match(line)): continue
    op, args = m.group(1), m.group(2)
    while op in _PREFIXES and args: op, _, args = args.partition(" ")  # data16 cs nop …: the instruction after its prefixes
    n["instructions"] += 1
    width = "zmm" if "zmm" in args else "ymm" if "ymm" in args else "xmm" if "xmm" in args else None
    if re.match(r"v?f(n)?m(add|sub)", op): n[f"FMA {width if op.endswith(('ps', 'pd', 'ph')) and width else 'scalar'}"] += 1
    elif re.match(r"v?(add|sub|mul|div|max|min)(ps|pd|ph)$", op): n[f"float op {width or 'xmm'}"] += 1
    elif re.match(r"v?(add|sub|mul|div|max|min)(ss|sd|sh)$", op): n["float op scalar"] += 1
    if op.startswith("j"): n["branches"] += 1
    if op.startswith("nop"): continue  # padding, not a memory access
    args = args.strip()
    if (mem:=re.search(r"\b([A-Z]+) PTR \[", args)):
      bits = _PTR_BITS.get(mem.group(1))
      store = args.index(mem.group(0)) < args.find(",") if "," in args else False
      if op.startswith(_NO_WRITE): store = False
      n[f"{'store' if store else 'load'} {bits}-bit" if bits else ("store" if store else "load")] += 1
  return dict(sorted(n.items(), key=lambda kv: _mix_order(kv[0])))

# *** CUDA: PTX (what tinygrad's CUDA device hands the driver), SASS and resources from ptxas/nvdisasm ***

def ptxas(ptx:bytes, arch:str) -> tuple[bytes, dict]:
  """Assemble PTX for `arch` the way cuda_disassemble does (ptxas -arch=…), with -v: the cubin and what -v reports."""
  tool = _tool("ptxas")
  if tool is None: raise FileNotFoundError("needs ptxas (CUDA toolkit): not on PATH")
  with tempfile.TemporaryDirectory() as d:
    src, out = os.path.join(d, "k.ptx"), os.path.join(d, "k.cubin")
    with open(src, "wb") as f: f.write(ptx.rstrip(b"\x00"))
    p = _run([tool, "-v", f"-arch={arch}", "-o", out, src])
    if p.returncode != 0: raise RuntimeError(f"ptxas failed: {p.stderr.strip()[:300]}")
    with open(out, "rb") as f: return f.read(), ptxas_resources(p.stderr + p.stdout)

def ptxas_resources(text:str) -> dict:
  """Registers, spills, stack, shared and constant memory from `ptxas -v` (its last function's figures)."""
  r: dict = {}
  def num(pattern:str) -> int|None:
    found = re.findall(pattern, text)
    return int(found[-1]) if found else None
  for key, pattern in (("registers", r"Used (\d+) registers"), ("stack_bytes", r"(\d+) bytes stack frame"),
                       ("spill_store_bytes", r"(\d+) bytes spill stores"), ("spill_load_bytes", r"(\d+) bytes spill loads"),
                       ("shared_bytes", r"(\d+) bytes smem"), ("barriers", r"used (\d+) barriers")):
    if (v:=num(pattern)) is not None: r[key] = v
  return r

def nvdisasm(cubin:bytes) -> str:
  """The SASS of a cubin: nvdisasm (as tinygrad's cuda_disassemble), else cuobjdump -sass; code sections only."""
  with tempfile.TemporaryDirectory() as d:
    fn = os.path.join(d, "k.cubin")
    with open(fn, "wb") as f: f.write(cubin)
    if (tool:=_tool("nvdisasm")): p = _run([tool, "-c", fn])
    elif (tool:=_tool("cuobjdump")): p = _run([tool, "-sass", fn])
    else: raise FileNotFoundError("needs nvdisasm or cuobjdump (CUDA toolkit): neither is on PATH")
  if p.returncode != 0: raise RuntimeError(f"{os.path.basename(tool)} failed: {p.stderr.strip()[:300]}")
  return sass_code(p.stdout)

def sass_code(text:str) -> str:
  """The SASS from its first instruction on: the ELF header lines before it (.section, .global, .size …) all name the
  kernel, so in a diff of two kernels every one of them reads as changed."""
  lines = text.splitlines()
  start = next((i for i, l in enumerate(lines) if re.match(r"\s*/\*0+\*/", l)), 0)
  return "\n".join(lines[start:]).rstrip() + "\n"

_SASS_INS = re.compile(r"^\s*/\*[0-9a-f]+\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)", re.M)
_MEM_OPS = {"LDG", "STG", "LDS", "STS", "LDL", "STL", "LD", "ST", "LDSM", "LDGSTS", "ATOMG", "RED"}
_MATH_OPS = ("HMMA", "IMMA", "DMMA", "HGMMA", "FFMA", "FMUL", "FADD", "HFMA2", "HMUL2", "HADD2", "MUFU", "BAR")

def sass_mix(sass:str) -> dict[str, int]:
  """Counts on NVIDIA SASS: tensor-core MMAs (HMMA…), FFMA/FMUL/FADD and their half2 forms, loads and stores by
  memory space and width (LDG.128 …; LDL/STL are local memory: spills or stack arrays)."""
  n: collections.Counter = collections.Counter()
  for op in _SASS_INS.findall(sass):
    base, *mods = op.split(".")
    n["instructions"] += 1
    if base in _MATH_OPS: n[base] += 1
    elif base in _MEM_OPS:
      bits = 128 if "128" in mods else 64 if "64" in mods else 16 if {"U16", "S16"} & set(mods) else 8 if {"U8", "S8"} & set(mods) else 32
      n[f"{base}.{bits}"] += 1
    elif base.startswith("BRA"): n["branches"] += 1
  return dict(sorted(n.items(), key=lambda kv: _mix_order(kv[0])))

_PTX_MEM = re.compile(r"^\s*(?:@%?!?\w+\s+)?(ld|st)\.(global|shared|local|param)(?:\.\w+)*?(?:\.v(\d))?\.([a-z]+)(\d+)\b", re.M)
def ptx_mix(ptx:str) -> dict[str, int]:
  """Counts on PTX (where no SASS could be made): mma/fma and loads/stores by space and width."""
  n: collections.Counter = collections.Counter()
  for line in ptx.splitlines():
    s = line.strip()
    if not s or s.startswith(("//", ".", "{", "}", "$")) or s.endswith(":"): continue
    n["instructions"] += 1
    op = s.split()[0] if not s.startswith("@") else s.split()[1]
    if op.startswith(("mma", "wmma")): n["mma"] += 1
    elif op.startswith("fma"): n[f"fma.{op.split('.')[-1]}"] += 1
  for kind, space, vec, _, bits in _PTX_MEM.findall(ptx):
    if space != "param": n[f"{kind}.{space}.{int(bits) * int(vec or 1)}"] += 1
  return dict(sorted(n.items(), key=lambda kv: _mix_order(kv[0])))

def _mix_order(key:str) -> tuple:
  # instructions first, then math, then memory, then the rest, each alphabetical
  group = 0 if key == "instructions" else 1 if key.startswith(("FMA", "float", *_MATH_OPS, "mma", "fma")) else \
          2 if key.split(".")[0].split(" ")[0] in {"load", "store", *_MEM_OPS, "ld", "st"} else 3
  bits = re.search(r"(\d+)(?:-bit)?$", key)
  return (group, re.sub(r"\d+(-bit)?$", "", key), int(bits.group(1)) if bits else 0)

# *** CUDA: what the driver says of the loaded function: registers, memory, and the occupancy they allow ***

def cuda_occupancy(runtime, local_size:list[int]|None, cu_device) -> dict:
  """From tinygrad's loaded CUDAProgram (its CUfunction): the driver's function attributes and
  cuOccupancyMaxActiveBlocksPerMultiprocessor for the kernel's block size."""
  import ctypes
  from tinygrad.runtime.autogen import cuda
  def attr(a) -> int:
    v = ctypes.c_int()
    if cuda.cuFuncGetAttribute(ctypes.byref(v), a, runtime.prg) != 0: raise RuntimeError("cuFuncGetAttribute failed")
    return v.value
  def dev_attr(a) -> int:
    v = ctypes.c_int()
    if cuda.cuDeviceGetAttribute(ctypes.byref(v), a, cu_device) != 0: raise RuntimeError("cuDeviceGetAttribute failed")
    return v.value
  threads = 1
  for s in local_size or [1]: threads *= int(s)
  blocks = ctypes.c_int()
  if cuda.cuOccupancyMaxActiveBlocksPerMultiprocessor(ctypes.byref(blocks), runtime.prg, threads, getattr(runtime, "smem", 0)) != 0:
    raise RuntimeError("cuOccupancyMaxActiveBlocksPerMultiprocessor failed")
  max_threads = dev_attr(cuda.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR)
  warps = blocks.value * -(-threads // 32)
  return {"registers": attr(cuda.CU_FUNC_ATTRIBUTE_NUM_REGS), "shared_bytes": attr(cuda.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES),
          "local_bytes": attr(cuda.CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES), "threads_per_block": threads,
          "blocks_per_sm": blocks.value, "warps_per_sm": warps, "occupancy": warps / (max_threads // 32) if max_threads else None}

# *** per kernel ***

def _level(out:dict, level:str, make) -> str|None:
  """Runs make() for one level: its text into out["levels"], or why not into out["missing"]."""
  try: text = make()
  except (FileNotFoundError, RuntimeError, subprocess.SubprocessError, OSError, UnicodeDecodeError) as e:
    out["missing"][level] = str(e)
    return None
  out["levels"][level], cut = capped(text, level)
  if cut: out.setdefault("truncated", {})[level] = cut
  return text

def is_cuda_compiler(compiler) -> bool: return type(compiler).__module__.endswith("compiler_cuda")

def kernel_assembly(prg, compiler) -> dict:
  """{"levels": {level: text}, "missing": {level: why}, "mix": {"of": level, "counts": {...}}, "resources": {...}} for
  one compiled PROGRAM. Levels: "asm" (CPU), "ptx" and "sass" (CUDA)."""
  from tinygrad.uop.ops import Ops
  lib = prg.src[-1].arg if prg.src[-1].op is Ops.BINARY else b""
  out: dict = {"levels": {}, "missing": {}, "mix": None, "resources": {}}
  if is_cuda_compiler(compiler):
    arch = getattr(compiler, "arch", None)
    is_ptx = not lib.startswith(b"\x7fELF")
    ptx = _level(out, "ptx", lambda: lib.rstrip(b"\x00").decode()) if is_ptx else None
    if not is_ptx: out["missing"]["ptx"] = "this device compiles CUDA C straight to a cubin (no PTX)"
    cubin: list[bytes] = []
    def sass() -> str:
      if is_ptx:
        if arch is None: raise RuntimeError("the compiler names no GPU architecture for ptxas")
        cb, res = ptxas(lib, arch)
        out["resources"].update(res)
        cubin.append(cb)
        return nvdisasm(cb)
      return nvdisasm(lib)
    text = _level(out, "sass", sass)
    if text is not None: out["mix"] = {"of": "sass", "counts": sass_mix(text)}
    elif ptx is not None: out["mix"] = {"of": "ptx", "counts": ptx_mix(ptx)}
  elif lib.startswith(b"\x7fELF"):
    if (text:=_level(out, "asm", lambda: objdump(lib))) is not None: out["mix"] = {"of": "asm", "counts": x86_mix(text)}
  else: out["missing"]["asm"] = f"no disassembler is wired for this device's compiler ({type(compiler).__name__})"
  return out

def attach_assembly(kernels:list[dict], calls:list, device) -> None:
  """Adds "assembly" (levels, missing, mix, resources) to each described kernel, from its compiled CALL. On CUDA the
  driver's figures for the loaded function (registers, memory, occupancy) join ptxas's (spills)."""
  dev_name = getattr(device, "device", "")
  for k, call in zip(kernels, calls):
    prg = call.src[0]
    try: asm = kernel_assembly(prg, device.compiler)
    except Exception as e:  # a tinygrad whose PROGRAM reads otherwise (a column on another tinygrad): the run still counts
      k["assembly"] = {"levels": {}, "missing": {"asm": f"no assembly: {type(e).__name__}: {e}"[:300]}, "mix": None, "resources": {}}
      continue
    if hasattr(device, "cu_device"):  # tinygrad's CUDADevice: the program is loaded, ask the driver
      try:
        from tinygrad.engine.realize import get_runtime
        asm["resources"].update(cuda_occupancy(get_runtime(dev_name, prg), k.get("local_size"), device.cu_device))
      except Exception as e: asm["missing"]["occupancy"] = f"the driver gave no occupancy: {type(e).__name__}: {e}"[:300]
    res = asm["resources"]
    if res: res["spills"] = bool(res.get("spill_store_bytes") or res.get("spill_load_bytes"))
    k["assembly"] = asm
