"""Assembly, instruction mix and resources per kernel (wino_core.assembly), and the source line -> UOp map
(wino_core.linemap), on kernels tinygrad really compiles here on the CPU; CUDA's parsers on real ptxas output where the
CUDA toolkit is installed."""
import re, shutil
import numpy as np
import pytest
from tinygrad import Device, Tensor
from tinygrad.engine.realize import compile_linear
from tinygrad.uop.ops import Ops
from wino_core.assembly import kernel_assembly, ptx_mix, ptxas, sass_code, sass_mix, x86_mix
from wino_core.capture import LinearCapture, program_calls
from wino_core.linemap import ast_lines, rendered_lines

@pytest.fixture(scope="module")
def conv_program():
  """A small padded conv compiled for the CPU: (its compiled PROGRAM, its scheduled AST)."""
  rng = np.random.default_rng(0)
  x, w = (Tensor(rng.standard_normal(s, dtype=np.float32)).realize() for s in ((1, 4, 8, 8), (4, 4, 3, 3)))
  with LinearCapture().installed() as cap: x.conv2d(w, padding=1).realize()
  linear = cap.linear()[0]
  call = program_calls(compile_linear(linear))[0]
  return call.src[0], next(c.src[0] for c in linear.src if c.op is Ops.CALL)

def test_cpu_kernel_has_its_disassembly_and_mix(conv_program):
  prg, _ = conv_program
  asm = kernel_assembly(prg, Device["CPU"].compiler)
  assert asm["missing"] == {} and list(asm["levels"]) == ["asm"]
  text = asm["levels"]["asm"]
  assert text.startswith("0000000000000000 <") and "/tmp" not in text  # from the kernel's symbol on, no temp file name
  assert re.search(r"^\s+[0-9a-f]+:\s+ret\b", text, re.M)
  counts = asm["mix"]["counts"]
  assert asm["mix"]["of"] == "asm" and counts == x86_mix(text)
  assert counts["instructions"] == len(re.findall(r"^\s+[0-9a-f]+:\s", text, re.M))
  assert any(k.startswith(("FMA", "float op")) for k in counts), counts  # a conv multiplies floats
  assert any(k.startswith("load") for k in counts) and any(k.startswith("store") for k in counts)

def test_a_missing_disassembler_is_said_not_raised(conv_program, monkeypatch):
  monkeypatch.setenv("PATH", "/nonexistent")
  asm = kernel_assembly(conv_program[0], Device["CPU"].compiler)
  assert asm["levels"] == {} and asm["mix"] is None
  assert "needs objdump" in asm["missing"]["asm"]

X86 = """0000000000000000 <r_4>:
   0:\tvmovups ymm0,YMMWORD PTR [rsi]
   4:\tvfmadd231ps ymm0,ymm1,YMMWORD PTR [rdx+0x20]
   a:\tvfmadd231ss xmm2,xmm3,DWORD PTR [rdx]
   f:\tvmulps xmm4,xmm4,xmm5
  13:\tvmovups YMMWORD PTR [rdi],ymm0
  17:\tcmp    DWORD PTR [rdi],0x1
  1b:\tdata16 cs nop WORD PTR [rax+rax*1+0x0]
  25:\tjne    0 <r_4>
"""

def test_x86_mix_reads_widths_loads_and_stores():
  assert x86_mix(X86) == {"instructions": 8, "FMA scalar": 1, "FMA ymm": 1, "float op xmm": 1, "load 32-bit": 2, "load 256-bit": 2,
                          "store 256-bit": 1, "branches": 1}

# nvdisasm -c's layout (CUDA 12): an address comment, an optional predicate, the opcode with its modifiers
SASS = """\t.text.r_64_16:
        /*0000*/                   LDC R1, c[0x0][0x28] ;
        /*0010*/                   S2R R0, SR_TID.X ;
        /*0020*/                   LDG.E.128.CONSTANT R4, desc[UR4][R2.64] ;
        /*0030*/               @!P0 LDG.E R8, desc[UR4][R2.64+0x10] ;
        /*0040*/                   HMMA.16816.F32 R12, R4, R8, R12 ;
        /*0050*/                   FFMA R5, R6, R7, R5 ;
        /*0060*/                   STS.128 [R0], R4 ;
        /*0070*/                   LDS.U16 R9, [R0+0x2] ;
        /*0080*/                   STL [R1], R5 ;
        /*0090*/                   STG.E.64 desc[UR4][R2.64], R12 ;
        /*00a0*/               @P1 BRA `(.L_x_0) ;
        /*00b0*/                   EXIT ;
"""

def test_sass_starts_at_its_first_instruction():
  header = "\t.headerflags\t@\"EF_CUDA_SM90\"\n\t.elftype\t@\"ET_EXEC\"\n\t.section\t.text.r_64_16,\"ax\",@progbits\n\t.global\tr_64_16\n"
  code = sass_code(header + SASS)
  assert code.startswith("        /*0000*/") and ".global" not in code and "r_64_16" not in code
  assert sass_mix(code) == sass_mix(SASS)

def test_sass_mix_counts_mma_ffma_and_memory_widths():
  assert sass_mix(SASS) == {"instructions": 12, "FFMA": 1, "HMMA": 1, "LDG.32": 1, "LDG.128": 1, "LDS.16": 1, "STG.64": 1,
                            "STL.32": 1, "STS.128": 1, "branches": 1}

PTX = """.version 7.8
.target sm_90
.address_size 64
.visible .entry E_4(.param .u64 data0, .param .u64 data1)
{
  .reg .f32 %f<4>;
  .reg .b64 %rd<5>;
  .reg .b32 %r<3>;
  ld.param.u64 %rd1, [data0];
  ld.param.u64 %rd2, [data1];
  cvta.to.global.u64 %rd3, %rd1;
  cvta.to.global.u64 %rd4, %rd2;
  mov.u32 %r1, %tid.x;
  mul.wide.u32 %rd1, %r1, 16;
  add.s64 %rd3, %rd3, %rd1;
  add.s64 %rd4, %rd4, %rd1;
  ld.global.v4.f32 {%f0, %f1, %f2, %f3}, [%rd4];
  fma.rn.f32 %f0, %f0, %f1, %f2;
  st.global.v4.f32 [%rd3], {%f0, %f1, %f2, %f3};
  ret;
}
"""

def test_ptx_mix():
  assert ptx_mix(PTX) == {"instructions": 12, "fma.f32": 1, "ld.global.128": 1, "st.global.128": 1}

@pytest.mark.skipif(shutil.which("ptxas") is None, reason="needs ptxas (CUDA toolkit)")
def test_ptxas_resources_from_a_real_ptxas():
  cubin, res = ptxas(PTX.encode(), "sm_90")
  assert cubin.startswith(b"\x7fELF")
  assert res["registers"] > 0 and res["spill_store_bytes"] == 0 and res["spill_load_bytes"] == 0 and res["stack_bytes"] == 0

# *** line -> UOp ***

def test_rendering_again_gives_the_source_and_leaves_the_renderer_as_it_was(conv_program):
  prg, _ = conv_program
  ren = Device["CPU"].renderer
  lines = rendered_lines(prg, ren)
  assert lines and "string_rewrite" not in vars(ren) and "render_kernel" not in vars(ren)
  source = next(s.arg for s in prg.src if s.op is Ops.SOURCE).splitlines()
  # every RANGE wrote its own `for` line, and every line of the body came from some UOp
  assert all(source[ls[0]].lstrip().startswith("for (") for u, ls in lines.items() if u.op is Ops.RANGE)
  body = {i for i, l in enumerate(source) if l.startswith("  ")}
  assert body <= {i for ls in lines.values() for i in ls}

def test_each_load_line_maps_to_the_ast_index_of_its_buffer(conv_program):
  prg, ast = conv_program
  source = next(s.arg for s in prg.src if s.op is Ops.SOURCE).splitlines()
  nodes = ast_lines(prg, ast, Device["CPU"].renderer)
  def lines_of(op:Ops, slot:int) -> set[int]:
    return {l for n, ls in nodes.items() if n.op is op and (n.src[0] if op is Ops.INDEX else n.src[0].src[0]).arg.slot == slot for l in ls}
  loads = {s: {i + 1 for i, l in enumerate(source) if re.search(rf"= \(?.*\*\(data{s}_\d+\+", l) and "data0" not in l} for s in (1, 2)}
  assert loads[1] and loads[2]
  assert loads[1] <= lines_of(Ops.INDEX, 1) and loads[2] <= lines_of(Ops.INDEX, 2)
  assert not loads[2] & lines_of(Ops.INDEX, 1)  # a weight load is not the input's
  store = {i + 1 for i, l in enumerate(source) if l.lstrip().startswith("*(data0_")}
  assert store and store <= lines_of(Ops.STORE, 0)
  ranges = {n.arg[0]: ls for n, ls in nodes.items() if n.op is Ops.RANGE}
  assert ranges and all(source[ls[0] - 1].lstrip().startswith("for (") for ls in ranges.values())
  mul = [ls for n, ls in nodes.items() if n.op is Ops.MUL and n.dtype.name == "float"]
  assert mul and all("*" in source[l - 1] and "buf0" in source[l - 1] for l in mul[0])  # the product, accumulated

def test_every_kernel_of_a_run_has_assembly_mix_and_line_map(small_runs):
  _, runs = small_runs
  for mode, r in runs.items():
    assert r.ok and r.kernels
    for k, g in zip(r.kernels, r.graphs["kernel_asts"]):
      a = k["assembly"]
      assert a["levels"]["asm"].strip() and a["mix"]["counts"]["instructions"] > 0, (mode, k["name"])
      lines = {l for n in g["nodes"] for l in n.get("lines", [])}
      assert lines and max(lines) <= k["source"].count("\n") + 1, (mode, k["name"])
      assert any(n["op"] == "STORE" and n.get("lines") for n in g["nodes"])

def test_new_kernels_and_their_asts_say_which_stage_made_them():
  """cin == cout: XHAT and MHAT hold as many elements, so a stage is told by what the rule made, not by size alone."""
  from wino_core.run import run_mode
  from wino_core.spec import ConvSpec
  r = run_mode(ConvSpec(batch=1, cin=4, cout=4, h=8, w=8, padding=(1, 1, 1, 1)), "new", "CPU", repeat=1, warmup=0, force_new=True)
  assert r.ok and r.winograd["fired"], r.message
  stages = [k.get("stage") for k in r.kernels]
  assert sorted(stages) == ["GHAT", "MHAT", "XHAT", "output"], stages
  by_stage = {k["stage"]: k for k in r.kernels}
  assert (by_stage["XHAT"]["role"], by_stage["GHAT"]["role"], by_stage["MHAT"]["role"]) == ("input transform", "weight transform", "batched product")
  assert [g.get("stage") for g in r.graphs["kernel_asts"]] == stages
  assert {n.get("stage") for n in r.graphs["kernel_graph"]["nodes"] if n["kind"] == "kernel"} == set(stages)
