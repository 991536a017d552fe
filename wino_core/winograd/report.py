"""What the rule did: a Rewrite per conv it replaced, a GraphReport per scheduled graph (with why it did not fire), and
the WinogradReport that new_winograd() yields."""
from __future__ import annotations
from dataclasses import dataclass, field
from tinygrad.uop.ops import UOp

@dataclass
class Rewrite:
  description: str           # the REDUCE that was rewritten: dtype, reduce ranges, what it reduces
  tiles: dict[str, int]      # batch, groups, cin, cout, tiles_y, tiles_x, out_h, out_w
  before: UOp                # the matched REDUCE (with its sources)
  after: UOp                 # what replaced it
  stages: dict[str, UOp] = field(default_factory=dict)  # XHAT, GHAT, MHAT: the STAGEs it materialized, by name
  def to_json(self) -> dict: return {"description": self.description, "tiles": dict(self.tiles)}

@dataclass
class GraphReport:
  rewrites: list[Rewrite] = field(default_factory=list)
  reasons: list[tuple[int, str]] = field(default_factory=list)  # (how conv-like the REDUCE was, why it did not fire)
  @property
  def fired(self) -> bool: return len(self.rewrites) > 0
  @property
  def reason(self) -> str|None:
    if self.fired: return None
    return max(self.reasons, key=lambda r: r[0])[1] if self.reasons else "NEW does not apply: no REDUCE of a product in the graph"
  def to_json(self) -> dict: return {"fired": self.fired, "reason": self.reason, "rewrites": [r.to_json() for r in self.rewrites]}

@dataclass
class WinogradReport:
  graphs: list[GraphReport] = field(default_factory=list)
  @property
  def fired(self) -> bool: return any(g.fired for g in self.graphs)
  @property
  def rewrites(self) -> list[Rewrite]: return [r for g in self.graphs for r in g.rewrites]
  @property
  def reason(self) -> str|None:
    """One sentence saying why NEW did not fire (None if it fired): the most conv-like REDUCE's reason."""
    if self.fired: return None
    reasons = [r for g in self.graphs for r in g.reasons]
    return max(reasons, key=lambda r: r[0])[1] if reasons else "NEW does not apply: no REDUCE of a product was scheduled"
  def to_json(self) -> dict:
    return {"fired": self.fired, "reason": self.reason, "rewrites": [r.to_json() for r in self.rewrites],
            "graphs": [g.to_json() for g in self.graphs]}
