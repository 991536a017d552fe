"""Rewriting part of a graph with PatternMatcher rules as UOp.substitute does: every rule is matched on the graph as it
is, then all the rewrites are substituted at once (one rule's rewrite never hides another's match), and the walk stops
at `gate` (by default at other kernels' STAGEs)."""
from __future__ import annotations
from typing import Callable
from tinygrad.uop.ops import Ops, PatternMatcher, UOp

def not_staged(u:UOp) -> bool: return u.op is not Ops.STAGE

def rewrite_matches(x:UOp, pm:PatternMatcher, ctx=None, gate:Callable[[UOp], bool]|None=not_staged) -> UOp:
  subs = {u: r for u in x.toposort(gate=gate) if (r:=pm.rewrite(u, ctx)) is not None}
  return x.substitute(subs) if subs else x
