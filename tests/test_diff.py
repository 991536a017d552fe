"""Kernel diffs and kernel pairing, on sources tinygrad really generates (compiled here on the CPU, small shapes)."""
import re
import numpy as np
import pytest
from tinygrad import Tensor
from tinygrad.engine.realize import compile_linear
from tinygrad.helpers import Target
from tinygrad.uop.ops import Ops, PatternMatcher, UOp, graph_rewrite
from wino_core.capture import LinearCapture, program_calls
from wino_core.diff import diff_kernels, normalize_temporaries, pair_kernels

def source(prg:UOp) -> str: return next(s.arg for s in prg.src if s.op is Ops.SOURCE)

def cpu_sources(t:Tensor) -> list[str]:
  with LinearCapture().installed() as cap: t.realize()
  return [source(c.src[0]) for c in program_calls(compile_linear(cap.linear()[0]))]

def opencl_sources(t:Tensor) -> list[str]:
  """Rendered for OpenCL without a device (render, no compile): GPU-style code with gidx/lidx."""
  from tinygrad.codegen import ProgramInfo, full_rewrite_to_sink, pm_to_program
  from tinygrad.renderer.cstyle import OpenCLRenderer
  ren, render_only = OpenCLRenderer(Target("CL", "CL")), PatternMatcher(pm_to_program.patterns[:4])  # the rules before compile
  with LinearCapture().installed() as cap: t.realize()
  sinks = [full_rewrite_to_sink(c.src[0], ren) for c in cap.linear()[0].src if c.src[0].op is Ops.SINK]
  return [source(graph_rewrite(UOp(Ops.PROGRAM, src=(s,), arg=ProgramInfo.from_sink(s, ren.target)), render_only, ctx=ren)) for s in sinks]

@pytest.fixture(scope="module")
def convs() -> dict[str, str]:
  rng = np.random.default_rng(0)
  x, x2, w, b = (Tensor(rng.standard_normal(s, dtype=np.float32)).realize() for s in ((1, 4, 8, 8), (2, 4, 8, 8), (4, 4, 3, 3), (4,)))
  (conv,), (bias,), (sliced,) = cpu_sources(x.conv2d(w, padding=1)), cpu_sources(x.conv2d(w, b, padding=1)), cpu_sources(x2[0:1].conv2d(w, padding=1))
  return {"conv": conv, "bias": bias, "sliced": sliced, "opencl": opencl_sources(x.conv2d(w, padding=1))[0]}

def words(s:str) -> list[str]: return re.findall(r"\w+", s)

# ***** normalize_temporaries *****

def test_normalize_renames_only_numbered_names_consistently(convs, small_runs):
  _, runs = small_runs
  sources = [convs["opencl"]] + [k["source"] for r in runs.values() for k in r.kernels]
  seen_prefixes = set()
  for src in sources:
    norm = normalize_temporaries(src)
    assert len(norm.splitlines()) == len(src.splitlines()) and len(words(norm)) == len(words(src))
    assert re.sub(r"\w+", "", norm) == re.sub(r"\w+", "", src), "only words change"
    renames = {(o, n) for o, n in zip(words(src), words(norm)) if o != n}
    assert len({o for o, _ in renames}) == len(renames) == len({n for _, n in renames}), "a consistent one-to-one renaming"
    by_prefix: dict[str, set[int]] = {}
    for w in set(words(norm)):
      if (m:=re.fullmatch(r"(data|alu|val|cast|buf|[A-Za-z]?idx)(\d+)", w)): by_prefix.setdefault(m.group(1), set()).add(int(m.group(2)))
    for prefix, ids in by_prefix.items(): assert ids == set(range(len(ids))), f"{prefix} numbered 0.. in order of appearance"
    assert not re.search(r"\b(data\d+_\d+|\w+idx\d+_\d+)\b", norm), "parameter shapes and range suffixes are gone"
    seen_prefixes |= set(by_prefix)
  # the names these real kernels use: parameters, temporaries, loops, reduce ranges, GPU ids, vector constants
  assert {"data", "alu", "val", "buf", "cast", "Lidx", "Ridx", "gidx", "lidx"} <= seen_prefixes

@pytest.mark.parametrize("src,want", [
  ("float* data1_16384, float* data0_256", "float* data0, float* data1"),   # parameters: slot and shape
  ("alu12 val3 cast2 buf1 wmma4 bidx7", "alu0 val0 cast0 buf0 wmma0 bidx0"),  # temporaries, each prefix on its own
  ("Lidx3 Ridx0_1 Lidx2_m1 Lidx3 ridx5 uidx9", "Lidx0 Ridx0 Lidx1 Lidx0 ridx0 uidx0"),  # loop and reduce ranges
  ("int gidx1 = get_group_id(1); lidx2 idx0", "int gidx0 = get_group_id(1); lidx0 idx0"),  # GPU ids
  ("float4 half2 r_4_8_8 E_72_2 alu0x xalu0 1e10f", "float4 half2 r_4_8_8 E_72_2 alu0x xalu0 1e10f"),  # not temporaries
])
def test_normalize_names(src, want): assert normalize_temporaries(src) == want

def test_normalize_keeps_kernel_names_and_vector_types(small_runs):
  _, runs = small_runs
  for k in runs["old"].kernels:
    norm = normalize_temporaries(k["source"])
    assert k["name"] in norm and norm.count("float4") == k["source"].count("float4")

def test_same_kernel_on_a_bigger_buffer_is_equal_once_normalized(convs):
  # the same conv reading its input from the first half of a batch-2 buffer: only the parameter's name differs
  a, b = convs["conv"], convs["sliced"]
  assert a != b and "data1_512" in b
  raw, norm = diff_kernels(a, b), diff_kernels(a, b, normalize=True)
  assert not raw["summary"]["identical"] and raw["summary"]["changed"] == sum("data1_512" in l for l in b.splitlines()) > 1
  assert norm["summary"] == {"added": 0, "removed": 0, "changed": 0, "identical": True}
  assert all(r["kind"] == "equal" for r in norm["split"] + norm["unified"])
  assert [r["b_text"] for r in norm["split"]] == [r["text"] for r in norm["unified"]] == b.splitlines(), "the text shown is the original"

# ***** diff_kernels *****

def test_identical_sources(convs):
  d = diff_kernels(convs["conv"], convs["conv"])
  n = len(convs["conv"].splitlines())
  assert d["summary"] == {"added": 0, "removed": 0, "changed": 0, "identical": True}
  assert [r["a_no"] for r in d["split"]] == [r["b_no"] for r in d["split"]] == list(range(1, n+1))
  assert diff_kernels(convs["conv"], convs["conv"], context=3)["split"] == [{"kind": "skip", "hidden": n, "a_no": 1, "b_no": 1}]

def test_whitespace_only_change_is_identical_when_ignored(convs):
  a = convs["conv"]
  b = re.sub(r"^( +)", lambda m: m.group(1) * 2, a, flags=re.M).replace(" = ", "=")  # re-indented, tighter assignments
  assert not diff_kernels(a, b)["summary"]["identical"]
  d = diff_kernels(a, b, ignore_whitespace=True)
  assert d["summary"]["identical"] and all(r["kind"] == "equal" for r in d["split"])
  assert [r["b_text"] for r in d["split"]] == b.splitlines(), "b's lines as they are, not as matched"
  # a real change still shows, and its whitespace-only words are not marked
  c = b.replace("(*(buf0+0))+(val0*val17)", "(*(buf0+0))+(val0*val16)")
  rows = [r for r in diff_kernels(a, c, ignore_whitespace=True)["split"] if r["kind"] != "equal"]
  assert len(rows) == 1 and rows[0]["kind"] == "replace"
  assert [t for k, t in rows[0]["a_segments"] if k == "delete"] == ["val17"]
  assert [t for k, t in rows[0]["b_segments"] if k == "insert"] == ["val16"]

def test_word_segments_mark_the_changed_words(convs):
  # adding a bias: the store reads the bias, and one more load shifts the val numbers
  d = diff_kernels(convs["conv"], convs["bias"])
  store = next(r for r in d["split"] if r["kind"] == "replace" and r["a_text"].lstrip().startswith("*(data0_256"))
  assert "".join(t for _, t in store["a_segments"]) == store["a_text"] and "".join(t for _, t in store["b_segments"]) == store["b_text"]
  assert {k for k, _ in store["a_segments"]} <= {"equal", "delete"} and {k for k, _ in store["b_segments"]} <= {"equal", "insert"}
  assert "val0" in "".join(t for k, t in store["b_segments"] if k == "insert")
  assert all(a[0] != b[0] for a, b in zip(store["b_segments"], store["b_segments"][1:])), "neighbouring segments are merged"
  inserted = [r for r in d["split"] if r["kind"] == "insert"]
  assert inserted and all(r["b_segments"] is None and r["a_no"] is None for r in inserted)
  s = d["summary"]
  assert not s["identical"] and s["added"] == len(inserted) and s["changed"] == sum(r["kind"] == "replace" for r in d["split"])

def test_unified_has_every_line_of_each_side_once(convs):
  a, b = convs["conv"], convs["bias"]
  d = diff_kernels(a, b)
  u = d["unified"]
  assert [r["a_no"] for r in u if r["a_no"] is not None] == list(range(1, len(a.splitlines()) + 1))
  assert [r["b_no"] for r in u if r["b_no"] is not None] == list(range(1, len(b.splitlines()) + 1))
  assert [r["text"] for r in u if r["b_no"] is not None] == b.splitlines()
  assert sum(r["kind"] == "delete" for r in u) == d["summary"]["changed"] + d["summary"]["removed"]
  assert sum(r["kind"] == "insert" for r in u) == d["summary"]["changed"] + d["summary"]["added"]

def matched_lines(d:dict) -> set[tuple[int, int]]: return {(r["a_no"], r["b_no"]) for r in d["split"] if r["kind"] == "equal"}

def test_a_diff_reads_the_same_with_its_sides_swapped(convs):
  """difflib breaks ties by its first sequence, so on its own "x,y" vs "y,x" keeps x one way round and y the other;
  the diff of b against a must be the diff of a against b, mirrored (the export mirrors one direction for the other)"""
  for a, b in (("x\ny", "y\nx"), (convs["conv"], convs["bias"]), (convs["conv"], convs["opencl"])):
    for ws, norm in ((False, False), (True, True)):
      ab, ba = (diff_kernels(x, y, ignore_whitespace=ws, normalize=norm) for x, y in ((a, b), (b, a)))
      assert matched_lines(ba) == {(j, i) for i, j in matched_lines(ab)}
      assert ba["summary"] == {**ab["summary"], "added": ab["summary"]["removed"], "removed": ab["summary"]["added"]}
      assert [(r["kind"], r["text"]) for r in ba["unified"] if r["kind"] == "insert"] == \
             [("insert", r["text"]) for r in ab["unified"] if r["kind"] == "delete"], "a's removed lines are b's added ones"

@pytest.mark.parametrize("context", [0, 1, 3])
def test_context_keeps_changes_with_n_lines_around(convs, context):
  a, b = convs["conv"], convs["bias"]
  full, d = diff_kernels(a, b), diff_kernels(a, b, context=context)
  assert d["summary"] == full["summary"]
  for rows, side in ((d["split"], "a"), (d["unified"], "a"), (d["split"], "b"), (d["unified"], "b")):
    # every line is either shown or counted in a skip row, in order
    numbers = []
    for r in rows:
      numbers += list(range(r[f"{side}_no"], r[f"{side}_no"] + r["hidden"])) if r["kind"] == "skip" else [r[f"{side}_no"]] if r[f"{side}_no"] else []
    assert numbers == list(range(1, len((a if side == "a" else b).splitlines()) + 1))
  rows = d["split"]
  assert any(r["kind"] == "skip" for r in rows)
  changed = [r["kind"] not in ("equal", "skip") for r in rows]
  for n, r in enumerate(rows):
    if r["kind"] == "skip":  # exactly `context` equal lines between a skip and the change next to it
      assert r["hidden"] >= 2
      for side in (rows[:n][::-1], rows[n+1:]):
        if side: assert [x["kind"] for x in side[:context]] == ["equal"] * context and side[context]["kind"] not in ("equal", "skip")
    if r["kind"] == "equal":  # within `context` rows of a change, or one more where a single hidden line would be shown instead
      assert any(changed[max(0, n-context-1):n+context+2])

def test_context_is_trimmed_at_the_edges_too():
  a = "\n".join(f"line {i}" for i in range(20))
  b = a.replace("line 10", "line ten")
  rows = diff_kernels(a, b, context=2)["split"]
  assert [(r["kind"], r["a_no"]) for r in rows] == [("skip", 1), ("equal", 9), ("equal", 10), ("replace", 11), ("equal", 12), ("equal", 13), ("skip", 14)]
  assert rows[0]["hidden"] == 8 and rows[-1]["hidden"] == 7

# ***** pair_kernels *****

def test_pairing_baseline_with_old(small_runs):
  _, runs = small_runs
  base, old = runs["baseline"].kernels, runs["old"].kernels
  assert [k["role"] for k in base] == ["conv"]
  product = next(i for i, k in enumerate(old) if k["role"] == "batched product")
  pairs = pair_kernels(base, old)
  assert pairs == [{"role": k["role"], "a": None, "b": j} if j != product else {"role": "conv / batched product", "a": 0, "b": j}
                   for j, k in enumerate(old)]
  back = pair_kernels(old, base)
  assert back == [{"role": k["role"], "a": i, "b": None} if i != product else {"role": "batched product / conv", "a": i, "b": 0}
                  for i, k in enumerate(old)], "a's launch order kept around its one pair"
  assert pair_kernels(old, old) == [{"role": k["role"], "a": i, "b": i} for i, k in enumerate(old)]

def test_pairing_repeated_roles_in_launch_order():
  a = [{"role": r} for r in ("other", "conv", "other")]
  b = [{"role": r} for r in ("other", "input transform", "conv")]
  assert pair_kernels(a, b) == [{"role": "other", "a": 0, "b": 0}, {"role": "input transform", "a": None, "b": 1},
                                {"role": "conv", "a": 1, "b": 2}, {"role": "other", "a": 2, "b": None}]
  # both have a conv: it is not paired with the batched product
  assert pair_kernels([{"role": "conv"}], [{"role": "batched product"}, {"role": "conv"}]) == \
    [{"role": "batched product", "a": None, "b": 0}, {"role": "conv", "a": 0, "b": 1}]

OBJDUMP_A = """0000000000000000 <r_4>:
   0:\tvmovups ymm0,YMMWORD PTR [rsi+r8*1]
   6:\tvfmadd231ps ymm0,ymm1,YMMWORD PTR [rdx]
   b:\tjne    6 <r_4+0x6>
"""
# the same code two bytes further on, with other registers
OBJDUMP_B = """0000000000000000 <r_4>:
   2:\tvmovups ymm3,YMMWORD PTR [rsi+r9*1]
   8:\tvfmadd231ps ymm3,ymm5,YMMWORD PTR [rdx]
   d:\tjne    8 <r_4+0x8>
"""

def test_normalized_assembly_ignores_addresses_and_register_numbers():
  assert not diff_kernels(OBJDUMP_A, OBJDUMP_B, asm=True)["summary"]["identical"]
  assert diff_kernels(OBJDUMP_A, OBJDUMP_B, asm=True, normalize=True)["summary"]["identical"]
  # another instruction is still a change, and the rows show the real text
  other = OBJDUMP_B.replace("vfmadd231ps", "vmulps")
  d = diff_kernels(OBJDUMP_A, other, asm=True, normalize=True)
  assert d["summary"]["changed"] == 1 and any(r["b_text"] and "ymm5" in r["b_text"] for r in d["split"])

def test_normalized_sass_and_ptx_registers():
  sass = lambda r: f"        /*00{r}0*/                   FFMA R{r}, R{r+1}, R2, R{r} ;\n        /*00{r+1}0*/               @!P{r} EXIT ;\n"
  assert diff_kernels(sass(4), sass(6), asm=True, normalize=True)["summary"]["identical"]
  assert not diff_kernels(sass(4), sass(6), asm=True)["summary"]["identical"]
  ptx = lambda a, b: f"  fma.rn.f32 %f{a}, %f{b}, %f{a}, %f{b};\n  ld.global.v4.f32 {{%f{a}, %f{b}}}, [%rd{a}];\n"
  assert diff_kernels(ptx(3, 7), ptx(10, 2), asm=True, normalize=True)["summary"]["identical"]
  assert not diff_kernels(ptx(3, 7), ptx(3, 3), asm=True, normalize=True)["summary"]["identical"]
