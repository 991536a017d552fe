// Graph layout off the main thread: ELK's layered algorithm (vendored elkjs) on {nodes, edges}; positions and edge routes go back.
// On the page the layout library comes by importScripts (?lib= names it); in the standalone export it is inlined ahead of this file.
if (typeof ELK === "undefined") importScripts(new URL(self.location.href).searchParams.get("lib"));
const elk = new ELK(); // no workerUrl: ELK runs right here, in this worker's thread

// Measured on real kernel ASTs (282 and 809 nodes): orthogonal routing with edges of one source merged is the most compact;
// NETWORK_SIMPLEX node placement was 3-10x slower. Big graphs sweep less for crossings (thoroughness 3 of 7: about 2x faster).
const OPTIONS = {
  "elk.algorithm": "layered", "elk.direction": "DOWN", "elk.layered.mergeEdges": "true",
  "elk.spacing.nodeNode": "12", "elk.layered.spacing.nodeNodeBetweenLayers": "24",
};

// request: {id, nodes: [{id, width, height}], edges: [[src, dst], ...]}
// reply: {id, ms, width, height, pos: {id: [x, y]}, routes: [[x0, y0, x1, y1, ...] per edge]} or {id, error}
// (the bundle claimed onmessage for itself when it loaded in a worker: this takes it back)
self.onmessage = async (e) => {
  const { id, nodes, edges } = e.data;
  const t0 = performance.now();
  try {
    const graph = {
      id: "root", layoutOptions: { ...OPTIONS, "elk.layered.thoroughness": nodes.length > 500 ? "3" : "7" },
      children: nodes.map((n) => ({ id: "n" + n.id, width: n.width, height: n.height })),
      edges: edges.map(([s, d], i) => ({ id: "e" + i, sources: ["n" + s], targets: ["n" + d] })),
    };
    const out = await elk.layout(graph);
    const pos = {};
    for (const c of out.children) pos[c.id.slice(1)] = [c.x, c.y];
    const routes = out.edges.map((edge) => {
      const pts = [];
      for (const s of edge.sections || []) for (const p of [s.startPoint, ...(s.bendPoints || []), s.endPoint]) pts.push(p.x, p.y);
      return pts;
    });
    self.postMessage({ id, ms: performance.now() - t0, width: out.width, height: out.height, pos, routes });
  } catch (err) {
    self.postMessage({ id, error: String((err && err.message) || err) });
  }
};
