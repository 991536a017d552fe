"""The scripts and styles the pages load that are not plain files under static/ (plotly.js from its package, pygments'
CSS), and everything the standalone export inlines so that it opens from disk with no server."""
from __future__ import annotations
import os

from app.highlight import pygments_css

LAYOUT_LIB = "vendor/elkjs-0.12.1/elk.bundled.js"  # under static/: the graph layout, loaded by js/graph-worker.js
STANDALONE_JS = ("view.js", "charts.js", "kernels.js", "sources.js", "graphs.js")

def inline_assets(js_files:tuple[str, ...]) -> dict:
  """Everything the standalone export needs, as text to inline: it must open from disk with no server."""
  static = os.path.join(os.path.dirname(__file__), "static")
  def read(*p): return open(os.path.join(*p), encoding="utf-8").read()
  def safe(js:str) -> str: return js.replace("</script", "<\\/script")  # an inline script ends at the first </script
  return {"css": read(static, "css", "wino.css") + pygments_css(), "plotly": safe(read(plotly_js_path())),
          "js": safe("\n".join(read(static, "js", f) for f in js_files)),
          # the layout worker's source, ELK first: the page builds a blob: worker from it (a file:// page cannot load one by URL)
          "graph_worker": safe(read(static, LAYOUT_LIB) + "\n" + read(static, "js", "graph-worker.js"))}

def plotly_js_path() -> str:
  """plotly.js as the plotly package ships it: served by the app (/assets/plotly.min.js), never from a CDN."""
  import plotly
  return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
