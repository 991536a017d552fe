"""Kernel text as HTML: sources highlighted by pygments (each line anchored, so a link opens at it), and tinygrad's
kernel names coloured by axis kind."""
from __future__ import annotations
import functools, re

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

LEXERS = {"c": "c", "cuda": "cuda", "metal": "cpp", "opencl": "c", "hip": "cpp", "ptx": "ptx", "llvm": "llvm", "wgsl": "wgsl"}
SOURCE_EXT = {"c": "c", "cuda": "cu", "metal": "metal", "opencl": "cl", "hip": "hip", "ptx": "ptx", "llvm": "ll", "wgsl": "wgsl"}
FORMATTER = HtmlFormatter(cssclass="hl", linenos="inline", wrapcode=True)

@functools.lru_cache(maxsize=128)
def highlight_source(source:str, language:str, anchor:str|None=None) -> Markup:
  """The source, highlighted; with `anchor` (e.g. "a-k2") every line gets an id "a-k2-L14" and its number links to it."""
  try: lexer = get_lexer_by_name(LEXERS.get(language, language))
  except ClassNotFound: lexer = get_lexer_by_name("text")
  if anchor is None: return Markup(highlight(source, lexer, FORMATTER))
  html = highlight(source, lexer, HtmlFormatter(cssclass="hl", linenos="inline", wrapcode=True, lineanchors=anchor, anchorlinenos=True))
  # pygments writes "a-k2-14"; "a-k2-L14" reads as a line
  return Markup(re.sub(rf'(id="|name="|href="#){re.escape(anchor)}-(\d+)"', rf'\1{anchor}-L\2"', html))

def pygments_css() -> str: return FORMATTER.get_style_defs(".hl")

def kernel_name_html(kernel:dict) -> Markup:
  """tinygrad's kernel name with each number coloured by its axis kind, as tinygrad's DEBUG output does (plain where the
  axes were not captured: a 0.11-era tinygrad)."""
  if not kernel.get("axes"): return Markup('<span class="kname">{}</span>').format(kernel["name"])
  prefix = escape(kernel["name"].split("_")[0])
  parts = [Markup('<span class="ax ax-{k}" title="{k} axis of size {n}">{n}</span>').format(k=kind, n=n) for n, kind in kernel.get("axes", [])]
  return Markup('<span class="kname">{}{}</span>').format(prefix, Markup("").join(Markup("_") + p for p in parts))
