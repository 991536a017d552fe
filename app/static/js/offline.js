// Standalone export only: the mode pickers and diff options, with no server. The file carries every mode's kernel cards
// (<template class="mode-cards">) and, from the server's own diff (wino_core.diff), every kernel pair's rows under each
// matching (#offline-data); this script only lays them out: the pairs of the chosen modes, split or unified, word marks,
// context lines. It runs before sources.js, so a line link (#a-k2-L14) finds its line.
(function () {
  const dataNode = document.getElementById("offline-data");
  if (!dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const q = new URLSearchParams(location.search);
  const view = { ...data.view };
  for (const k of Object.keys(view)) if (q.has(k)) view[k] = q.get(k);
  const flag = (v) => v === true || v === "1";
  const state = { a: view.a, b: view.b, pair: +view.pair || 0, view: view.view === "unified" ? "unified" : "split",
                  ws: flag(view.ws), norm: flag(view.norm), words: view.words === undefined || flag(view.words),
                  ctx: view.ctx === null || view.ctx === undefined || view.ctx === "" ? null : Math.max(0, +view.ctx || 0) };
  if (!data.modes.includes(state.a) || !data.modes.includes(state.b)) return;

  const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const templates = Object.fromEntries([...document.querySelectorAll("template.mode-cards")].map((t) => [t.dataset.mode, t]));
  const pairsOf = () => data.pairs[`${state.a}|${state.b}`] || [];

  // a kernel's card, its line ids renamed from the template's (t1-k2-L14) to the side's (a-k2-L14)
  function card(mode, index, side) {
    const t = templates[mode], el = t.content.children[index].cloneNode(true), from = `${t.dataset.anchor}-k`;
    el.dataset.side = side;
    for (const n of el.querySelectorAll("[id], [name], [href]")) {
      for (const attr of ["id", "name", "href"]) {
        const v = n.getAttribute(attr);
        if (v && v.replace(/^#/, "").startsWith(from)) n.setAttribute(attr, v.replace(from, `${side}-k`));
      }
    }
    return el;
  }

  function renderKernels() {
    document.getElementById("side-label-a").textContent = data.labels[state.a];
    document.getElementById("side-label-b").textContent = data.labels[state.b];
    const body = document.getElementById("side-body");
    body.replaceChildren();
    pairsOf().forEach((p, n) => {
      const tr = document.createElement("tr");
      tr.className = "pair";
      tr.dataset.role = p.role;
      for (const [side, mode, idx] of [["a", state.a, p.a], ["b", state.b, p.b]]) {
        const td = document.createElement("td");
        td.className = "kernel-cell";
        if (idx === null) td.innerHTML = `<div class="kernel none">no ${esc(p.role)} kernel</div>`;
        else {
          const c = card(mode, idx, side);
          c.querySelector("details").open = n === 0 || (p.a !== null && p.b !== null);
          td.append(c);
        }
        tr.append(td);
      }
      body.append(tr);
    });
  }

  // a line, with its changed words marked: spans [first is a change, len, len, ...] alternate equal and changed text
  function text(t, spans, tag) {
    if (!spans || !state.words) return esc(t);
    let at = 0, changed = spans[0] === 1;
    return spans.slice(1).map((n) => {
      const s = esc(t.slice(at, at + n)), mark = changed;
      at += n;
      changed = !changed;
      return mark ? `<${tag} class="w">${s}</${tag}>` : s;
    }).join("");
  }

  // rows [kind, a_no, b_no, a_spans, b_spans] -> blocks of equal rows and of changed rows (one block per
  // change, as the server's opcodes), then the equal blocks trimmed to `ctx` lines next to a change, as wino_core.diff does
  function blocks(rows) {
    const out = [];
    for (const r of rows) {
      const equal = r[0] === "equal";
      if (!out.length || out[out.length - 1].equal !== equal) out.push({ equal, rows: [] });
      out[out.length - 1].rows.push(r);
    }
    if (state.ctx === null) return out;
    return out.flatMap((b, n) => {
      if (!b.equal) return [b];
      const head = n > 0 ? state.ctx : 0, tail = n < out.length - 1 ? state.ctx : 0;
      if (b.rows.length - head - tail <= 1) return [b];
      const hidden = b.rows.slice(head, b.rows.length - tail);
      return [{ equal: true, rows: b.rows.slice(0, head) }, { skip: hidden.length, at: hidden[0] },
              { equal: true, rows: b.rows.slice(b.rows.length - tail) }];
    });
  }

  function renderDiff() {
    const pairs = pairsOf(), select = document.getElementById("diff-pair");
    const k = data.kernels, name = (m, i) => (i === null ? "—" : k[m][i].name);
    select.replaceChildren(...pairs.map((p, i) => new Option(`${p.role}: ${name(state.a, p.a)} ↔ ${name(state.b, p.b)}`, i, false, i === state.pair)));
    const p = pairs[state.pair];
    const d = data.rows[data.diffs[`${state.a}|${state.b}|${state.pair}|${+state.ws}${+state.norm}`]];
    document.getElementById("diff-label-a").textContent = `${data.labels[state.a]} — ${p.a === null ? "none" : k[state.a][p.a].name}`;
    document.getElementById("diff-label-b").textContent = `${data.labels[state.b]} — ${p.b === null ? "none" : k[state.b][p.b].name}`;
    const s = d.summary;
    document.getElementById("diff-summary").textContent = s.identical ? `identical${state.norm || state.ws ? " (as matched)" : ""}`
      : `${s.changed} changed, ${s.added} added, ${s.removed} removed lines`;
    const lines = (m, i) => (i === null ? [] : k[m][i].source.split("\n"));
    const aLines = lines(state.a, p.a), bLines = lines(state.b, p.b);
    const html = [];
    for (const b of blocks(d.rows)) {
      if (b.skip) { html.push(`<tr class="skip"><td colspan="4">… ${b.skip} unchanged lines …</td></tr>`); continue; }
      for (const [kind, an, bn, as, bs] of (state.view === "split" || b.equal ? b.rows : [])) {
        const at = an === null ? "" : text(aLines[an - 1], as, "del"), bt = bn === null ? "" : text(bLines[bn - 1], bs, "ins");
        html.push(state.view === "split"
          ? `<tr class="d-${kind}"><td class="no">${an ?? ""}</td><td class="${kind === "delete" || kind === "replace" ? "d-delete" : ""}">${at}</td>` +
            `<td class="no">${bn ?? ""}</td><td class="${kind === "insert" || kind === "replace" ? "d-insert" : ""}">${bt}</td></tr>`
          : `<tr class="d-equal"><td class="no">${an}</td><td class="no">${bn}</td><td class="sign"> </td><td>${bt}</td></tr>`);
      }
      if (state.view === "unified" && !b.equal) {  // a change's old lines, then its new ones
        for (const [, an, , as] of b.rows) if (an !== null) html.push(`<tr class="d-delete"><td class="no">${an}</td><td class="no"></td><td class="sign">-</td><td>${text(aLines[an - 1], as, "del")}</td></tr>`);
        for (const [, , bn, , bs] of b.rows) if (bn !== null) html.push(`<tr class="d-insert"><td class="no"></td><td class="no">${bn}</td><td class="sign">+</td><td>${text(bLines[bn - 1], bs, "ins")}</td></tr>`);
      }
    }
    const table = document.getElementById("diff-table");
    table.className = `diff diff-${state.view}`;
    table.innerHTML = html.join("");
  }

  // the controls show the state; a change updates it and the address (where a file: URL lets it), and redraws
  function showControls() {
    const pick = document.getElementById("pick-modes"), form = document.getElementById("diff-form");
    pick.elements.a.value = state.a;
    pick.elements.b.value = state.b;
    for (const r of form.querySelectorAll("input[name=view]")) r.checked = r.value === state.view;
    for (const key of ["ws", "norm", "words"]) form.querySelector(`input[type=checkbox][name=${key}]`).checked = state[key];
    form.elements.ctx.value = state.ctx === null ? "" : state.ctx;
  }
  function remember() {
    const q = new URLSearchParams({ a: state.a, b: state.b, pair: state.pair, view: state.view, ws: +state.ws, norm: +state.norm,
                                    words: +state.words, ctx: state.ctx === null ? "" : state.ctx });
    try { history.replaceState(null, "", "?" + q + location.hash); } catch (e) { /* some browsers refuse it on file: */ }
  }
  function firstBothPair() {
    const i = pairsOf().findIndex((p) => p.a !== null && p.b !== null);
    return i < 0 ? 0 : i;
  }
  function apply(input) {
    const v = input.type === "checkbox" ? input.checked : input.value;
    if (input.name === "a" || input.name === "b") { state[input.name] = v; state.pair = firstBothPair(); renderKernels(); }
    else if (input.name === "pair") state.pair = +v;
    else if (input.name === "view") state.view = v;
    else if (input.name === "ctx") state.ctx = v === "" ? null : Math.max(0, parseInt(v, 10) || 0);
    else state[input.name] = v;
    renderDiff();
    showControls();
    remember();
  }
  for (const form of [document.getElementById("pick-modes"), document.getElementById("diff-form")]) {
    form.setAttribute("autocomplete", "off");
    form.addEventListener("submit", (e) => { e.preventDefault(); [...form.elements].filter((x) => x.name && x.type !== "hidden").forEach((x) => { if (x.type !== "radio" || x.checked) apply(x); }); });
    form.addEventListener("change", (e) => { if (e.target.name && e.target.type !== "hidden") apply(e.target); });
  }
  if (state.pair >= pairsOf().length) state.pair = firstBothPair();
  renderKernels();
  renderDiff();
  showControls();
})();
