"""The kernels pane's diffs: every kernel pair of some pairs of modes, whole files under each matching, as compact rows
the page's script (static/js/kernels.js) lays out. The live page carries one pair and fetches others; the export
carries them all."""
from __future__ import annotations
import json

from wino_core.diff import diff_kernels, mirror, pair_kernels

# a kernel's levels: its source, and the assembly wino_core.assembly captured (asm on CPUs, PTX and SASS on CUDA)
ASM_LEVELS = ("asm", "ptx", "sass")

def kernel_text(k:dict, lvl:str) -> str:
  """A kernel's text at a level: its source, or one of its assembly levels ("" where it has none)."""
  return k["source"] if lvl == "source" else ((k.get("assembly") or {}).get("levels") or {}).get(lvl, "")

def levels_of(runs:dict) -> list[str]:
  """The levels some kernel of the comparison has, source first."""
  have = {lvl for r in runs.values() for k in r.get("kernels") or [] for lvl in ((k.get("assembly") or {}).get("levels") or {})}
  return ["source", *(lvl for lvl in ASM_LEVELS if lvl in have)]

def _spans(segments:list|None) -> list[int]|None:
  """Segments as lengths: [first is a change (0/1), len, len, ...], equal and changed spans alternating (the line's
  text is known, and merged segments always alternate)."""
  return None if segments is None else [int(segments[0][0] != "equal"), *(len(t) for _, t in segments)] if segments else []

def _row(r:dict) -> list:
  """A split diff row, compact: [kind, a_no, b_no, a_spans, b_spans]; the lines' text is the sources' (the export
  carries each kernel's source once)."""
  return [r["kind"], r["a_no"], r["b_no"], _spans(r["a_segments"]), _spans(r["b_segments"])]

def mode_diffs(runs:dict, which:list[tuple[str, str]], levels:list[str]|None=None) -> dict:
  """The diff of every kernel pair of the ordered pairs of modes `which`, whole files (every row), under the four
  matchings (whitespace, normalized names), by the same wino_core.diff as everywhere; the page's script only lays the
  rows out (split or unified, word marks on or off, context lines). Each unordered pair of sources is diffed once: b
  against a is a against b mirrored, exactly as diff_kernels makes it. Equal diffs are kept once: "diffs" maps a key
  a|b|pair|ws norm to an index in "rows", and a|b|pair|ws norm|lvl for each assembly level (normalizing renumbers its
  registers and addresses), of `levels` (default: every level there is; an assembly diff takes several times a source's)."""
  kernels = {m: r.get("kernels") or [] for m, r in runs.items()}
  made: dict[tuple, dict] = {}
  def diff(left:str, right:str, ws:int, norm:int, asm:bool) -> dict:
    if (key:=(right, left, ws, norm, asm)) in made: return mirror(made[key])
    return made.setdefault((left, right, ws, norm, asm), diff_kernels(left, right, ignore_whitespace=bool(ws), normalize=bool(norm), asm=asm))
  diffs, unique = {}, {}
  for a, b in which:
    for i, p in enumerate(pair_kernels(kernels[a], kernels[b])):
      for lvl in levels_of(runs) if levels is None else levels:
        left = kernel_text(kernels[a][p["a"]], lvl) if p["a"] is not None else ""
        right = kernel_text(kernels[b][p["b"]], lvl) if p["b"] is not None else ""
        for ws in (0, 1):
          for norm in (0, 1):
            d = diff(left, right, ws, norm, lvl != "source")
            text = json.dumps({"rows": [_row(r) for r in d["split"]], "summary": d["summary"]})
            diffs[f"{a}|{b}|{i}|{ws}{norm}" + ("" if lvl == "source" else f"|{lvl}")] = unique.setdefault(text, len(unique))
  return {"diffs": diffs, "rows": [json.loads(t) for t in unique]}

def offline_diffs(runs:dict) -> str:
  """The export's diffs, of every ordered pair of modes, as JSON: the same for every view of a comparison, so the
  caller can keep it by id."""
  return json.dumps(mode_diffs(runs, [(a, b) for a in runs for b in runs]))
