// UOp graphs pane: two modes side by side, each showing its kernel graph, one kernel's AST or NEW's rewrite (before / after).
// ELK lays the graph out in a Web Worker (graph-worker.js), so a big graph never freezes the page; the main thread only
// draws SVG. Drag to pan, wheel to zoom, click a node for its details, search by op, double-click (or the details' button)
// to collapse / expand a node's exclusive inputs. A dashed red outline marks a node with no match in the other pane.
// Each pane shows the mode of its side of the kernels pane (?a=, ?b=) unless its own key pins it (?ga=mode:graph,
// ?gb=...: a pick in the pane sets it); nothing is laid out before the pane comes near the screen.
(function () {
  "use strict";
  const section = document.getElementById("graphs");
  const dataEl = document.getElementById("graph-data");
  if (!section || !dataEl) return;
  const runs = JSON.parse(dataEl.textContent); // {mode: RunResult.graphs or null}

  // *** layout, in the worker ***
  let worker = null, nextId = 0;
  const waiting = new Map();
  function startWorker() {
    // the standalone export has no server to load the worker from: it inlines the worker's source (ELK first) for a blob:
    const inline = document.getElementById("graph-worker-src");
    const url = inline ? URL.createObjectURL(new Blob([inline.textContent], { type: "text/javascript" }))
      : section.dataset.worker + "?lib=" + encodeURIComponent(section.dataset.layoutLib);
    const w = new Worker(url);
    w.onmessage = (e) => {
      const p = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      if (p) e.data.error ? p.reject(new Error(e.data.error)) : p.resolve(e.data);
    };
    w.onerror = (e) => {
      for (const p of waiting.values()) p.reject(new Error(e.message || "the layout worker failed to start"));
      waiting.clear();
    };
    return w;
  }
  function layout(nodes, edges) {
    worker = worker || startWorker();
    const id = ++nextId;
    return new Promise((resolve, reject) => { waiting.set(id, { resolve, reject }); worker.postMessage({ id, nodes, edges }); });
  }

  // *** a graph's JSON, indexed ***
  function indexed(g) {
    const byId = new Map(), pos = new Map(), srcs = new Map(), cons = new Map();
    g.nodes.forEach((n, i) => { byId.set(n.id, n); pos.set(n.id, i); srcs.set(n.id, []); cons.set(n.id, []); });
    for (const [s, d] of g.edges) { srcs.get(d).push(s); cons.get(s).push(d); }
    return { g, byId, pos, srcs, cons };
  }
  // the inputs only `root` uses: walking back from it in reverse topological order (the JSON's node order), a node is
  // one when every consumer is root or one of them. Other collapsed nodes (`groups`) are groups of their own: the walk
  // stops at them, so they stay drawn, folded, inside this one.
  function exclusiveInputs(ix, root, groups = new Set()) {
    const inside = new Set([root]), out = [];
    for (let i = ix.pos.get(root) - 1; i >= 0; i--) {
      const id = ix.g.nodes[i].id, cs = ix.cons.get(id);
      if (!groups.has(id) && cs.length && cs.every((c) => inside.has(c))) { inside.add(id); out.push(id); }
    }
    return out;
  }
  // what matches across panes: a kernel or buffer by its role (XHAT, out, conv, ...), a UOp by op, dtype and arg
  // (buffer ids differ between modes and are left out)
  const keyOf = (n) => n.kind ? n.kind + ":" + n.role : [n.op, n.dtype, n.arg.replace(/buf \d+ /, "buf ")].join("|");

  // *** drawing ***
  const COLORS = { STORE: "#87CEEB", REDUCE: "#FF5B5B", RANGE: "#c8a0e0", INDEX: "#CEF9B7", PARAM: "#14686F", STAGE: "#AC640D",
    END: "#524C46", SINK: "#e0e0e0", LOAD: "#ffc0c0", BUFFER: "#B0BDFF", KERNEL: "#7fd3dc", CALL: "#00B7C8", SPECIAL: "#c0c0ff" };
  const DARK = new Set(["PARAM", "STAGE", "END"]);
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const cut = (s, n) => (s.length > n ? s.slice(0, n - 1) + "…" : s);
  function fmtTime(s) { return s == null ? "—" : s < 1e-3 ? (s * 1e6).toFixed(1) + " µs" : (s * 1e3).toFixed(3) + " ms"; }
  function fmtBytes(b) { return b >= 1 << 20 ? (b / (1 << 20)).toFixed(1) + " MiB" : b >= 1024 ? (b / 1024).toFixed(1) + " KiB" : b + " B"; }
  function labelLines(n) {
    if (n.kind === "kernel") return [n.name, n.role, fmtTime(n.time_s)];
    if (n.kind === "buffer") return [n.arg, `${n.dtype} · ${n.size} el · ${fmtBytes(n.nbytes)}`];
    const lines = [n.op + (n.name ? " " + n.name : "") + (n.dtype && n.dtype !== "void" ? " " + n.dtype : "")];
    if (n.arg) lines.push(n.arg);
    if (n.consts) lines.push(n.consts.map((c) => c.replace(/ \w+$/, "")).join(", "));
    if (n.expr) lines.push(n.expr);
    return lines.map((l) => cut(l, 40));
  }
  const CHAR_W = 6.7, LINE_H = 14;
  function nodeBox(n, extra) {
    const lines = labelLines(n);
    if (extra) lines.push(extra);
    const w = Math.min(300, Math.max(56, Math.ceil(Math.max(...lines.map((l) => l.length)) * CHAR_W) + 14));
    return { lines, width: w, height: lines.length * LINE_H + 8 };
  }

  class Pane {
    constructor(el) {
      this.el = el;
      this.side = el.dataset.side;
      this.modeSel = el.querySelector(".g-mode");
      this.whichSel = el.querySelector(".g-which");
      this.search = el.querySelector(".g-search");
      this.hits = el.querySelector(".g-hits");
      this.status = el.querySelector(".g-status");
      this.details = el.querySelector(".g-details");
      this.svg = el.querySelector("svg");
      this.layer = this.svg.querySelector(".g-layer");
      this.view = { x: 10, y: 10, k: 1 };
      this.collapsed = new Set();
      this.token = 0;
      this.custom = null; // a graph given by window.winoGraphs.show (tests, the console)
      this.modeSel.addEventListener("change", () => { this.fillWhich(); this.pin(); });
      this.whichSel.addEventListener("change", () => this.pin());
      this.search.addEventListener("input", () => { this.hit = -1; this.highlight(); this.step(1); });
      // Enter: the next hit, Shift+Enter: the previous one; each is selected and centred
      this.search.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); this.step(e.shiftKey ? -1 : 1); } });
      el.querySelector(".g-fit").addEventListener("click", () => this.fit(0));
      el.querySelector(".g-expand").addEventListener("click", () => { this.collapsed.clear(); this.draw(); });
      this.details.addEventListener("click", (e) => this.detailsClick(e));
      this.panZoom();
    }
    fillWhich(which) {
      const g = runs[this.modeSel.value];
      const opts = [];
      if (g) {
        opts.push(["kernel_graph", "kernel graph"]);
        const kernels = g.kernel_graph.nodes.filter((n) => n.kind === "kernel");
        g.kernel_asts.forEach((_, i) => {
          const k = kernels.find((n) => n.index === i);
          opts.push(["ast:" + i, `AST #${i}` + (k ? ` ${k.role}: ${k.name}` : "")]);
        });
        if (g.rewrite) opts.push(["rewrite:before", "NEW rewrite: before (matched REDUCE)"], ["rewrite:after", "NEW rewrite: after"]);
      }
      this.whichSel.innerHTML = opts.map(([v, t]) => `<option value="${v}">${esc(t)}</option>`).join("");
      if (which && opts.some(([v]) => v === which)) this.whichSel.value = which;
    }
    graph() {
      if (this.custom) return this.custom;
      const g = runs[this.modeSel.value], w = this.whichSel.value;
      if (!g || !w) return null;
      if (w === "kernel_graph") return g.kernel_graph;
      if (w.startsWith("ast:")) return g.kernel_asts[+w.slice(4)];
      return g.rewrite && g.rewrite[w.slice(8)];
    }
    get shown() { return this.modeSel.value + ":" + this.whichSel.value; }
    pin() { window.winoView.set({ ["g" + this.side]: this.shown }); }
    // show "mode:graph" (a graph the mode lacks: its kernel graph)
    showView(v) {
      const [mode, ...which] = v.split(":");
      if (mode in runs) this.modeSel.value = mode;
      this.fillWhich(which.join(":") || "kernel_graph");
      if (this.drawnView !== this.shown) this.pick();
    }
    // the kernel index when the pane shows a kernel's AST, else null
    get astKernel() { return !this.custom && this.whichSel.value.startsWith("ast:") ? +this.whichSel.value.slice(4) : null; }
    pick() { this.ready = this.drawPicked(); return this.ready; }
    drawPicked() {
      this.drawnView = this.shown;
      this.custom = null;
      this.collapsed.clear();
      // NEW's rewrite materializes XHAT, GHAT and MHAT (STAGEs): start with their computations folded away, to read the top first
      const g = this.graph();
      // (always for the "after" graph: it opens as XHAT, GHAT, MHAT and the output's indexing, each expandable)
      if (g && (g.nodes.length > 200 || this.whichSel.value === "rewrite:after")) for (const n of g.nodes) if (n.op === "STAGE") this.collapsed.add(n.id);
      // and the output (the graph's last node: Aᵀ·M·A indexed back from the tiles) folded too, a group of its own
      if (g && this.whichSel.value === "rewrite:after" && g.nodes.length) this.collapsed.add(g.nodes[g.nodes.length - 1].id);
      return this.draw();
    }
    async draw() {
      const token = ++this.token, g = this.graph();
      this.selected = null;
      this.ix = g ? indexed(g) : null;
      this.details.innerHTML = '<p class="muted">Click a node for its details; double-click to collapse or expand its inputs.</p>';
      if (!g) {
        this.layer.innerHTML = "";
        this.status.textContent = `no graphs for ${this.modeSel.value} (the run did not finish)`;
        this.el.dataset.state = "empty";
        markOnly();
        return null;
      }
      const hidden = new Map();  // hidden node -> the collapsed node whose group it is in
      for (const c of this.collapsed) for (const id of exclusiveInputs(this.ix, c, this.collapsed)) hidden.set(id, c);
      const nodes = g.nodes.filter((n) => !hidden.has(n.id));
      const edges = g.edges.filter(([s, d]) => !hidden.has(s) && !hidden.has(d));
      // a drawn node that feeds a folded group feeds it through hidden nodes: one dashed edge stands for them
      const via = new Set(g.edges.filter(([s, d]) => !hidden.has(s) && hidden.has(d)).map(([s, d]) => `${s}>${hidden.get(d)}`));
      for (const k of via) { const [s, d] = k.split(">").map(Number); edges.push([s, d, "via"]); }
      const boxes = new Map(nodes.map((n) => [n.id, nodeBox(n, this.collapsed.has(n.id) ? `▸ ${exclusiveInputs(this.ix, n.id, this.collapsed).length} inputs hidden` : "")]));
      this.el.dataset.state = "layout";
      this.status.textContent = `laying out ${nodes.length} nodes…`;
      let res;
      try { res = await layout(nodes.map((n) => ({ id: n.id, width: boxes.get(n.id).width, height: boxes.get(n.id).height })), edges); }
      catch (err) {
        if (token === this.token) { this.status.textContent = "layout failed: " + err.message; this.el.dataset.state = "error"; }
        return null;
      }
      if (token !== this.token) return null; // another graph was picked meanwhile
      const t0 = performance.now();
      this.render(nodes, edges, boxes, res);
      const renderMs = performance.now() - t0;
      this.size = [res.width, res.height];
      this.fit(0.3);
      this.highlight();
      markOnly();
      const cutNote = g.truncated ? ` · cut to the ${g.nodes.length} nodes nearest the root of ${g.total}` : "";
      const hiddenNote = hidden.size ? ` · ${hidden.size} hidden by collapsing` : "";
      this.status.textContent = `${nodes.length} nodes, ${edges.length} edges · layout ${res.ms.toFixed(0)} ms (worker), drawn in ${renderMs.toFixed(0)} ms${cutNote}${hiddenNote}`;
      const stats = { nodes: nodes.length, edges: edges.length, layoutMs: res.ms, renderMs };
      Object.assign(this.el.dataset, { state: "ready", layoutMs: res.ms.toFixed(1), renderMs: renderMs.toFixed(1) });
      return stats;
    }
    render(nodes, edges, boxes, res) {
      const parts = [];
      edges.forEach(([s, d], i) => {
        const p = res.routes[i];
        if (!p || p.length < 4) return;
        let path = `M${p[0]},${p[1]}`;
        for (let j = 2; j < p.length; j += 2) path += `L${p[j]},${p[j + 1]}`;
        parts.push(`<path class="ge${edges[i][2] ? " ge-via" : ""}" data-s="${s}" data-d="${d}" d="${path}" marker-end="url(#arrow-${this.side})"/>`);
      });
      for (const n of nodes) {
        const [x, y] = res.pos[n.id], b = boxes.get(n.id);
        const dark = DARK.has(n.op) ? " dark" : "", fill = COLORS[n.op] || "#ffffc0";
        const text = b.lines.map((l, i) => `<tspan x="7" y="${(i + 1) * LINE_H}"${i === 0 ? ' class="l0"' : ""}>${esc(l)}</tspan>`).join("");
        parts.push(`<g class="gn${dark}${this.collapsed.has(n.id) ? " collapsed" : ""}" data-id="${n.id}" transform="translate(${x},${y})" ` +
          `tabindex="0" role="button" aria-label="${esc(b.lines.join(" "))}">` +
          `<rect width="${b.width}" height="${b.height}" rx="4" fill="${fill}"/><text>${text}</text></g>`);
      }
      this.layer.innerHTML = parts.join("");
      this.nodeEls = new Map([...this.layer.querySelectorAll(".gn")].map((e) => [+e.dataset.id, e]));
      this.edgeEls = [...this.layer.querySelectorAll(".ge")];
    }
    // *** pan (drag) and zoom (wheel) ***
    apply() { this.layer.setAttribute("transform", `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`); }
    fit(minK = 0) { // the whole graph; a first view keeps labels readable (minK) and shows the top middle of a wide graph
      if (!this.size) return;
      const r = this.svg.getBoundingClientRect(), [w, h] = this.size;
      const k = Math.max(minK, Math.min(1.2, (r.width - 20) / Math.max(w, 1), (r.height - 20) / Math.max(h, 1)));
      this.view = { k, x: (r.width - w * k) / 2, y: 10 };
      this.apply();
    }
    centerOn(id) {
      const el = this.nodeEls && this.nodeEls.get(id);
      if (!el) return;
      const r = this.svg.getBoundingClientRect(), t = el.transform.baseVal.consolidate().matrix;
      this.view.k = Math.max(this.view.k, 0.8);
      this.view.x = r.width / 2 - (t.e + 40) * this.view.k;
      this.view.y = r.height / 2 - (t.f + 10) * this.view.k;
      this.apply();
    }
    panZoom() {
      const svg = this.svg;
      svg.addEventListener("wheel", (e) => {
        e.preventDefault();
        const r = svg.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
        const k = Math.min(4, Math.max(0.02, this.view.k * Math.exp(-e.deltaY * 0.0015)));
        this.view.x = px - (px - this.view.x) * (k / this.view.k);
        this.view.y = py - (py - this.view.y) * (k / this.view.k);
        this.view.k = k;
        this.apply();
      }, { passive: false });
      svg.addEventListener("pointerdown", (e) => {
        if (e.button !== 0) return;
        const start = { x: e.clientX, y: e.clientY, vx: this.view.x, vy: this.view.y };
        this.dragged = false;
        const move = (m) => {
          const dx = m.clientX - start.x, dy = m.clientY - start.y;
          if (Math.abs(dx) + Math.abs(dy) > 3) this.dragged = true;
          if (this.dragged) { this.view.x = start.vx + dx; this.view.y = start.vy + dy; this.apply(); }
        };
        const up = () => { window.removeEventListener("pointermove", move); window.removeEventListener("pointerup", up); };
        window.addEventListener("pointermove", move);
        window.addEventListener("pointerup", up);
      });
      svg.addEventListener("click", (e) => {
        const n = e.target.closest(".gn");
        if (n && !this.dragged) this.select(+n.dataset.id);
      });
      // keyboard: Tab reaches each node, Enter or Space shows its details, Shift+Enter collapses / expands its inputs
      svg.addEventListener("keydown", (e) => {
        const n = e.target.closest && e.target.closest(".gn");
        if (!n || (e.key !== "Enter" && e.key !== " ")) return;
        e.preventDefault();
        if (e.key === "Enter" && e.shiftKey) this.toggleCollapse(+n.dataset.id);
        else this.select(+n.dataset.id);
      });
      svg.addEventListener("dblclick", (e) => {
        const n = e.target.closest(".gn");
        if (n) this.toggleCollapse(+n.dataset.id);
      });
    }
    // *** details, search, collapse ***
    select(id) {
      if (this.selected != null && this.nodeEls.get(this.selected)) this.nodeEls.get(this.selected).classList.remove("sel");
      this.selected = id;
      const el = this.nodeEls.get(id);
      if (el) el.classList.add("sel");
      for (const e of this.edgeEls) e.classList.toggle("near", +e.dataset.s === id || +e.dataset.d === id);
      const n = this.ix.byId.get(id);
      const rows = [["op", n.op], ["dtype", n.dtype], ["arg", n.arg]];
      if (n.kind === "kernel") rows.push(["role", n.role], ["median time", fmtTime(n.time_s)]);
      if (n.kind === "buffer") rows.push(["shape", n.shape ? n.shape.join(" × ") : "— (size only)"], ["size", `${n.size} elements, ${fmtBytes(n.nbytes)}`]);
      if (n.consts) rows.push(["constants", n.consts.join("\n")]);
      if (n.expr) rows.push(["index", n.expr]);
      const stage = n.stage || this.ix.g.stage;  // NEW: the stage of its rewrite that made this kernel
      if (stage) rows.push(["stage", stage]);
      const title = (m) => (m.kind === "kernel" ? `${m.name} (${m.role})` : m.kind === "buffer" ? m.name : m.op);
      const link = (i) => `<button type="button" class="g-link" data-goto="${i}">#${i} ${esc(title(this.ix.byId.get(i)))}</button>`;
      const srcs = this.ix.srcs.get(id), cons = this.ix.cons.get(id), excl = exclusiveInputs(this.ix, id).length;
      let html = `<h3>#${id} ${esc(title(n))}</h3><table class="g-props">` +
        rows.map(([k, v]) => `<tr><th>${k}</th><td>${esc(v === "" ? "—" : v)}</td></tr>`).join("") +
        `<tr><th>sources</th><td>${srcs.map(link).join(" ") || "—"}</td></tr><tr><th>consumers</th><td>${cons.map(link).join(" ") || "—"}</td></tr></table>`;
      if (this.collapsed.has(id)) html += `<button type="button" class="g-collapse" data-node="${id}">expand its inputs</button>`;
      else if (excl) html += `<button type="button" class="g-collapse" data-node="${id}">collapse its ${excl} exclusive inputs</button>`;
      if (n.kind === "kernel" && !this.custom) html += ` <button type="button" class="g-ast" data-kernel="${n.index}">show this kernel's AST</button>`;
      const kernel = this.astKernel;
      if (kernel !== null) {
        html += `<p class="g-lines">source lines: ${(n.lines || []).map((l) => `<button type="button" class="g-link" data-line="${l}">L${l}</button>`).join(" ") || "none"}</p>`;
        // the kernel card of this side marks the node's lines (sources.js)
        document.dispatchEvent(new CustomEvent("wino:node", { detail: { side: this.side, mode: this.modeSel.value, kernel, lines: n.lines || [], reveal: false } }));
      }
      this.details.innerHTML = html;
    }
    detailsClick(e) {
      const b = e.target.closest("button");
      if (!b) return;
      if (b.dataset.goto != null) {
        const id = +b.dataset.goto;
        if (this.nodeEls.has(id)) { this.select(id); this.centerOn(id); }
      } else if (b.dataset.node != null) this.toggleCollapse(+b.dataset.node);
      else if (b.dataset.kernel != null) { this.whichSel.value = "ast:" + b.dataset.kernel; this.pin(); }
      else if (b.dataset.line != null) {
        const n = this.ix.byId.get(this.selected);
        document.dispatchEvent(new CustomEvent("wino:node", { detail: { side: this.side, mode: this.modeSel.value, kernel: this.astKernel,
                                                                           lines: n.lines || [], reveal: true } }));
        const line = document.querySelector(`#kernels .kernel[data-side="${this.side}"] .klevel-source [id$="-k${this.astKernel}-L${b.dataset.line}"]`);
        if (line) line.closest(".kernel").scrollIntoView({ block: "nearest" });
      }
    }
    toggleCollapse(id) {
      if (this.collapsed.has(id)) this.collapsed.delete(id);
      else if (exclusiveInputs(this.ix, id).length) this.collapsed.add(id);
      else return;
      this.draw().then(() => { if (this.nodeEls.has(id)) { this.select(id); this.nodeEls.get(id).focus({ preventScroll: true }); } });
    }
    highlight() {
      const q = this.search.value.trim().toLowerCase();
      let hits = 0;
      if (this.nodeEls) for (const [id, el] of this.nodeEls) {
        const hit = q !== "" && this.ix.byId.get(id).op.toLowerCase().includes(q);
        el.classList.toggle("hit", hit);
        hits += hit;
      }
      this.hitIds = q && this.nodeEls ? [...this.nodeEls.keys()].filter((id) => this.nodeEls.get(id).classList.contains("hit")) : [];
      this.hits.textContent = q ? `${hits} node${hits === 1 ? "" : "s"}` : "";
    }
    step(dir) {
      if (!this.hitIds || !this.hitIds.length) return;
      const n = this.hitIds.length;
      this.hit = ((this.hit == null || this.hit < 0 ? (dir > 0 ? -1 : 0) : this.hit) + dir + n) % n;
      const id = this.hitIds[this.hit];
      this.select(id);
      this.centerOn(id);
      this.hits.textContent = `${this.hit + 1} of ${n} nodes · Enter: next`;
    }
  }

  const panes = [...section.querySelectorAll(".graph-pane")].map((el) => new Pane(el));

  // nodes whose key (kernel graph: role; AST: op, dtype, arg) has fewer occurrences in the other pane
  function markOnly() {
    if (panes.length !== 2) return;
    const counts = panes.map((p) => {
      const c = new Map();
      if (p.ix && p.nodeEls) for (const n of p.ix.g.nodes) c.set(keyOf(n), (c.get(keyOf(n)) || 0) + 1);
      return c;
    });
    panes.forEach((p, i) => {
      if (!p.nodeEls) return;
      const other = counts[1 - i], seen = new Map(), ready = !!panes[1 - i].nodeEls;
      let only = 0;
      for (const n of p.ix.g.nodes) {
        const k = keyOf(n), rank = (seen.get(k) || 0) + 1;
        seen.set(k, rank);
        const el = p.nodeEls.get(n.id), mark = ready && rank > (other.get(k) || 0);
        if (el) el.classList.toggle("only", mark);
        only += mark;
      }
      p.el.dataset.only = only;
    });
  }

  // a pane pinned by its key shows that graph, else its side's mode's kernel graph; laid out once near the screen
  const view = window.winoView;
  let near = false;
  const follow = () => { if (near) for (const p of panes) p.showView(view.get("g" + p.side) || (view.get(p.side) || p.modeSel.value) + ":kernel_graph"); };
  view.on(["a", "b", "ga", "gb"], follow);
  view.whenShown(section, () => { near = true; follow(); });

  // a source line's UOps (sources.js): the pane of its side shows the kernel's AST (pinned in the URL) and selects the
  // nodes that made the line
  async function showLine(side, mode, kernel, line) {
    const p = panes.find((x) => x.side === side);
    if (!p) return [];
    const v = `${mode}:ast:${kernel}`;
    view.set({ ["g" + side]: v });
    p.showView(v);
    await p.ready;
    if (p.astKernel !== kernel || p.modeSel.value !== mode || !p.nodeEls) return [];
    const ids = p.ix.g.nodes.filter((n) => (n.lines || []).includes(line)).map((n) => n.id);
    for (const [id, el] of p.nodeEls) el.classList.toggle("line-hit", ids.includes(id));
    p.el.dataset.lineHits = ids.length;
    p.status.textContent = `line ${line}: ${ids.length ? `${ids.length} node${ids.length === 1 ? "" : "s"} made it` : "no node of this AST made it"}`;
    if (ids.length) { p.select(ids[0]); p.centerOn(ids[0]); }
    p.el.scrollIntoView({ block: "nearest" });
    return ids;
  }

  // for tests and the console: draw any {nodes, edges} graph in a pane; resolves with {nodes, edges, layoutMs, renderMs}
  window.winoGraphs = { panes, showLine, show: (side, graph) => { const p = panes.find((x) => x.side === side); p.custom = graph; p.collapsed.clear(); return p.draw(); } };
})();
