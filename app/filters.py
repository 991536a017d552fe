"""Jinja filters for numbers as people read them, and JSON a page embeds in a <script>."""
from __future__ import annotations
import json
from markupsafe import Markup

def ms(s) -> str:
  if s is None: return "—"
  v = s * 1e3
  return f"{v:.4f} ms" if v < 1 else f"{v:.3f} ms" if v < 100 else f"{v:.1f} ms"

def sec(s) -> str: return "—" if s is None else f"{s*1e3:.0f} ms" if s < 1 else f"{s:.2f} s"
def sci(x) -> str: return "—" if x is None else f"{x:.2e}"
def dims(d) -> str: return "—" if not d else "×".join(str(x) for x in d)

def big(n) -> str:
  if n is None: return "—"
  for unit, k in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
    if n >= k: return f"{n/k:.1f} {unit}"
  return str(n)


def datetime(ts) -> str:
  import datetime as dt
  return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")

def search_label(request:dict|None) -> str:
  """A stored request's search setting as the page names it: heuristics, BEAM=N, NOOPT."""
  from wino_core.search import parse_search
  try: return parse_search((request or {}).get("search")).label
  except Exception: return "?"

def script_json(obj) -> Markup:
  """JSON to embed in <script type="application/json">: no '<' at all, so no text in it can close the tag."""
  return Markup(json.dumps(obj).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

def register(app):
  for f in (ms, sec, sci, dims, big, datetime): app.add_template_filter(f)
  app.add_template_global(search_label)
