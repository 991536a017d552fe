"""Diffs of generated kernel code as plain JSON rows for the web UI, and which kernels of two modes to put side by side."""
from __future__ import annotations
import difflib, re

from tinygrad.uop.ops import axis_letters

# the numbered names tinygrad's C-style renderers (Clang, CUDA, HIP, Metal, OpenCL) give: parameters data{slot}_{shape},
# temporaries {alu,val,cast,buf,bidx,wmma}{n} (CStyleLanguage._render), loops {axis letter}idx{range id} (Lidx2_0, Ridx0),
# and the GPU's gidx0/lidx1/idx0 (gpudims). Each match is one whole word, so renaming never moves a word boundary.
_TEMPORARY = re.compile(r"\b(data|alu|val|cast|buf|bidx|wmma|[%s]?idx)(m?\d+(?:_m?\d+)*)\b" % "".join(sorted(set(axis_letters.values()))))

def normalize_temporaries(src:str) -> str:
  """Renumber tinygrad's numbered names in order of first appearance, per prefix (data1_256 -> data1, Lidx3 -> Lidx0),
  so two kernels that only differ in how their names are numbered read the same."""
  seen: dict[str, dict[str, int]] = {}
  def canonical(m:re.Match) -> str:
    ids = seen.setdefault(m.group(1), {})
    return f"{m.group(1)}{ids.setdefault(m.group(2), len(ids))}"
  return _TEMPORARY.sub(canonical, src)

# assembly: code addresses (objdump's offsets and jump targets, SASS's /*0070*/) and registers, numbered by the
# assembler/allocator: addresses read as 0 and registers are renumbered per class in order of first appearance (x86's
# xmm3/ymm3/zmm3 are one register; r8d is r8; SASS R, UR, P, UP; PTX %r, %rd, %f, %p, ...). Whole words only, as above.
_LINE_ADDRESS = re.compile(r"^(\s*)[0-9a-f]+(?=:\s)", re.M)
_ADDRESS = re.compile(r"(?<=/\*)[0-9a-f]{4,}(?=\*/)|\b[0-9a-f]+(?= <[^>]*>)|(?<=\+0x)[0-9a-f]+(?=>)")
_REGISTER = re.compile(r"(?<=%)([a-z]+)(\d+)\b|\b([xyz]mm|UR|R|UP|P|r)(\d+)([dwb]?)\b")

def normalize_registers(asm:str) -> str:
  """Assembly as it reads with its addresses at 0 and its registers renumbered in order of first appearance, so two
  kernels that only differ in where their code sits and which registers it got read the same."""
  asm = _LINE_ADDRESS.sub(r"\g<1>0", asm)
  asm = _ADDRESS.sub("0", asm)
  seen: dict[str, dict[str, int]] = {}
  def canonical(m:re.Match) -> str:
    ptx = m.group(1) is not None
    prefix, num, suffix = (m.group(1), m.group(2), "") if ptx else (m.group(3), m.group(4), m.group(5))
    ids = seen.setdefault("vec" if prefix in ("xmm", "ymm", "zmm") else ("%" if ptx else "") + prefix, {})
    return f"{prefix}{ids.setdefault(num, len(ids))}{suffix}"
  return _REGISTER.sub(canonical, asm)

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

def _merge(segments:list[list[str]], kind:str, text:str):
  if not text: return
  if segments and segments[-1][0] == kind: segments[-1][1] += text
  else: segments.append([kind, text])

def _word_segments(a:str, b:str, a_key:str, b_key:str, ignore_whitespace:bool) -> tuple[list, list]:
  """The changed words of a line pair: ([[kind, text], ...] for a, the same for b). Words are matched on the keys
  (the lines as matched: normalized or not) and shown as in a and b; a normalized name is one word in both."""
  ta, tb, ka, kb = (_TOKEN.findall(s) for s in (a, b, a_key, b_key))
  assert len(ta) == len(ka) and len(tb) == len(kb), "normalizing renames whole words"
  if ignore_whitespace: ka, kb = ([("" if t.isspace() else t) for t in k] for k in (ka, kb))
  sa, sb = [], []
  for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
    da, db = "".join(ta[i1:i2]), "".join(tb[j1:j2])
    # whitespace that the matching ignores is never shown as a change
    _merge(sa, "equal" if tag == "equal" or (ignore_whitespace and da.isspace()) else "delete", da)
    _merge(sb, "equal" if tag == "equal" or (ignore_whitespace and db.isspace()) else "insert", db)
  return sa, sb

def _trimmed(opcodes:list[tuple], context:int|None) -> list[tuple]:
  """Keep `context` equal lines next to each change; the equal lines between become one ("skip", ...) block.
  A gap of a single line is shown rather than hidden: its separator would take as much room."""
  if context is None: return opcodes
  out = []
  for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
    head = context if tag == "equal" and n > 0 else 0
    tail = context if tag == "equal" and n < len(opcodes) - 1 else 0
    if tag != "equal" or (i2 - i1) - head - tail <= 1: out.append((tag, i1, i2, j1, j2))
    else: out += [("equal", i1, i1+head, j1, j1+head), ("skip", i1+head, i2-tail, j1+head, j2-tail), ("equal", i2-tail, i2, j2-tail, j2)]
  return out

def diff_kernels(a:str, b:str, *, ignore_whitespace:bool=False, normalize:bool=False, context:int|None=None, asm:bool=False) -> dict:
  """A line diff of two kernel sources, in two layouts of rows for the UI:
    split:   {"kind", "a_no", "a_text", "a_segments", "b_no", "b_text", "b_segments"}, one row per pair of lines;
    unified: {"kind", "a_no", "b_no", "text", "segments"}, one row per line: b's lines, with a's side of each change
             before it (an equal row shows b's text).
  kind is equal, insert, delete or replace (split only: a changed line next to its new version), or skip:
  {"kind": "skip", "hidden": n, "a_no", "b_no"} stands for n equal lines from a_no/b_no on, left out by `context`.
  Line numbers count from 1 and the text is always the original sources', whatever the matching ignored. segments
  ([[equal|delete|insert, text], ...]) mark the changed words of a changed line that has a counterpart, else None.
  summary: {"added", "removed", "changed", "identical"}, in lines, as matched. `asm`: the texts are assembly (PTX, SASS,
  objdump), whose normalizing renumbers registers and addresses rather than tinygrad's temporaries.
  Symmetric: diff_kernels(b, a) is diff_kernels(a, b) mirrored (see `mirror`). difflib alone breaks ties between equally
  long matches by the first sequence's order, so a pair would read differently with its sides swapped; the diff is
  always made with the smaller source first and mirrored otherwise, and a caller may mirror a diff it has."""
  if a > b: return mirror(diff_kernels(b, a, ignore_whitespace=ignore_whitespace, normalize=normalize, context=context, asm=asm))
  a_lines, b_lines = a.splitlines(), b.splitlines()
  renumber = normalize_registers if asm else normalize_temporaries
  a_keys, b_keys = (renumber(s).splitlines() if normalize else lines for s, lines in ((a, a_lines), (b, b_lines)))
  def matched(line:str) -> str: return "".join(line.split()) if ignore_whitespace else line
  opcodes = difflib.SequenceMatcher(None, [matched(l) for l in a_keys], [matched(l) for l in b_keys], autojunk=False).get_opcodes()

  split, summary = [], {"added": 0, "removed": 0, "changed": 0}
  def line(kind, i, j, segments=(None, None)) -> dict:
    return {"kind": kind, "a_no": None if i is None else i+1, "a_text": None if i is None else a_lines[i], "a_segments": segments[0],
            "b_no": None if j is None else j+1, "b_text": None if j is None else b_lines[j], "b_segments": segments[1]}
  for tag, i1, i2, j1, j2 in _trimmed(opcodes, context):
    if tag == "skip": split.append({"kind": "skip", "hidden": i2 - i1, "a_no": i1+1, "b_no": j1+1})
    elif tag == "equal": split += [line("equal", i, j) for i, j in zip(range(i1, i2), range(j1, j2))]
    else:
      pairs = min(i2 - i1, j2 - j1)
      summary["changed"] += pairs
      summary["removed"] += (i2 - i1) - pairs
      summary["added"] += (j2 - j1) - pairs
      for k in range(max(i2 - i1, j2 - j1)):
        i, j = (i1+k if k < i2-i1 else None), (j1+k if k < j2-j1 else None)
        if i is not None and j is not None:
          split.append(line("replace", i, j, _word_segments(a_lines[i], b_lines[j], a_keys[i], b_keys[j], ignore_whitespace)))
        else: split.append(line("delete" if j is None else "insert", i, j))
  return {"split": split, "unified": _unified(split), "summary": {**summary, "identical": all(op[0] == "equal" for op in opcodes)}}

def _unified(split:list[dict]) -> list[dict]:
  """The unified rows from the split ones: equal rows as b's line; each change (a run of changed rows: difflib never
  puts two changes next to each other) as a's lines removed, then b's lines added."""
  out, change = [], []
  def flush():
    out.extend({"kind": "delete", "a_no": r["a_no"], "b_no": None, "text": r["a_text"], "segments": r["a_segments"]} for r in change if r["a_no"] is not None)
    out.extend({"kind": "insert", "a_no": None, "b_no": r["b_no"], "text": r["b_text"], "segments": r["b_segments"]} for r in change if r["b_no"] is not None)
    change.clear()
  for r in split:
    if r["kind"] not in ("equal", "skip"): change.append(r); continue
    flush()
    out.append(dict(r) if r["kind"] == "skip" else {"kind": "equal", "a_no": r["a_no"], "b_no": r["b_no"], "text": r["b_text"], "segments": None})
  flush()
  return out

SWAPPED = {"insert": "delete", "delete": "insert"}
def mirror(diff:dict) -> dict:
  """The diff of b against a, from the diff of a against b: each row's sides swapped, deleted lines and words read as
  inserted ones and the other way round."""
  def segments(s): return None if s is None else [[SWAPPED.get(k, k), t] for k, t in s]
  def row(r:dict) -> dict:
    if r["kind"] == "skip": return {**r, "a_no": r["b_no"], "b_no": r["a_no"]}
    return {"kind": SWAPPED.get(r["kind"], r["kind"]), "a_no": r["b_no"], "a_text": r["b_text"], "a_segments": segments(r["b_segments"]),
            "b_no": r["a_no"], "b_text": r["a_text"], "b_segments": segments(r["a_segments"])}
  split, s = [row(r) for r in diff["split"]], diff["summary"]
  return {"split": split, "unified": _unified(split), "summary": {**s, "added": s["removed"], "removed": s["added"]}}

def pair_kernels(a:list[dict], b:list[dict]) -> list[dict]:
  """Which kernels of two modes (each a list in launch order, with a "role") to show side by side:
  [{"role", "a": index or None, "b": index or None}, ...]. Kernels of the same role pair up in launch order; a mode's
  'conv' pairs with the other's 'batched product' (the kernel that does the reduction) when the other has no 'conv'.
  Order: b's launch order; a kernel of a with no partner comes right after the pair of a's kernel before it, so a's
  own order holds too (baseline vs OLD reads: weight transform, input transform, conv / batched product, output)."""
  def key(role:str, other:list[dict]) -> str:
    return "batched product" if role == "conv" and all(k["role"] != "conv" for k in other) else role
  a_keys, b_keys = [key(k["role"], b) for k in a], [key(k["role"], a) for k in b]
  partner: dict[int, int] = {}  # a index -> b index
  for role in dict.fromkeys(a_keys):
    partner.update(zip((i for i, r in enumerate(a_keys) if r == role), (j for j, r in enumerate(b_keys) if r == role)))
  def label(i:int|None, j:int|None) -> str:
    roles = dict.fromkeys(k[n]["role"] for k, n in ((a, i), (b, j)) if n is not None)
    return " / ".join(roles)
  # sort keys: (b index, a index); a kernel of a alone takes the b index of a's last paired kernel before it
  pairs, after = [], -1
  for i in range(len(a)):
    after = partner.get(i, after)
    pairs.append(((after, i), i, partner.get(i)))
  paired_b = set(partner.values())
  pairs += [((j, -1), None, j) for j in range(len(b)) if j not in paired_b]
  return [{"role": label(i, j), "a": i, "b": j} for _, i, j in sorted(pairs)]
