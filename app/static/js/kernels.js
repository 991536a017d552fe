// Kernels and diff panes: the mode pickers, the two modes' kernels side by side (cards cloned from <template
// class="mode-cards">), and the diff of one kernel pair laid out from the server's own rows (wino_core.diff: every kernel
// pair under each matching; the page carries its pair of modes' and fetches another's, the standalone export carries
// them all). Each control sets only its own key of the view (view.js) and both panes redraw in the page, no reload.
(function () {
  const dataNode = document.getElementById("view-data");
  if (!dataNode || !window.winoView) return;
  const data = JSON.parse(dataNode.textContent), view = window.winoView;
  const pick = document.getElementById("pick-modes"), form = document.getElementById("diff-form");
  const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  // *** the view, from the URL's keys ***
  const pairsOf = (s) => data.pairs[`${s.a}|${s.b}`] || [];
  function current() {
    const get = view.get, flag = (k) => get(k) === "1";
    const valid = data.modes.includes(get("a")) && data.modes.includes(get("b"));
    const s = { a: valid ? get("a") : data.a, b: valid ? get("b") : data.b, view: get("view") === "unified" ? "unified" : "split",
                ws: flag("ws"), norm: flag("norm"), words: get("words") !== "0",
                ctx: /^\s*\d+\s*$/.test(get("ctx") || "") ? Math.min(1000, +get("ctx")) : null,
                lvl: (data.levels || []).includes(get("lvl")) ? get("lvl") : "source" };
    const pairs = pairsOf(s), both = pairs.findIndex((p) => p.a !== null && p.b !== null);
    s.pair = /^\d+$/.test(get("pair") || "") ? Math.min(+get("pair"), Math.max(pairs.length - 1, 0)) : Math.max(both, 0);
    return s;
  }

  // *** kernels side by side ***
  const templates = Object.fromEntries([...document.querySelectorAll("template.mode-cards")].map((t) => [t.dataset.mode, t]));
  // a kernel's card, its line ids renamed from the template's (t1-k2-L14) to the side's (a-k2-L14)
  function card(mode, index, side) {
    const t = templates[mode], el = t.content.children[index].cloneNode(true), from = `${t.dataset.anchor}-k`;
    Object.assign(el.dataset, { side, mode, index });
    const levels = data.kernels[mode][index].levels || {};
    for (const code of el.querySelectorAll("code.level-text")) code.textContent = levels[code.closest(".klevel").dataset.level] || "";
    for (const n of el.querySelectorAll("[id], [name], [href]")) {
      for (const attr of ["id", "name", "href"]) {
        const v = n.getAttribute(attr);
        if (v && v.replace(/^#/, "").startsWith(from)) n.setAttribute(attr, v.replace(from, `${side}-k`));
      }
    }
    return el;
  }
  function renderKernels(s) {
    document.getElementById("side-label-a").textContent = data.labels[s.a];
    document.getElementById("side-label-b").textContent = data.labels[s.b];
    document.getElementById("side-body").replaceChildren(...pairsOf(s).map((p, n) => {
      const tr = document.createElement("tr");
      tr.className = "pair";
      tr.dataset.role = p.role;
      for (const [side, mode, idx] of [["a", s.a, p.a], ["b", s.b, p.b]]) {
        const td = tr.insertCell();
        td.className = "kernel-cell";
        if (idx === null) td.innerHTML = `<div class="kernel none">no ${esc(p.role)} kernel</div>`;
        else {
          const c = card(mode, idx, side);
          for (const d of c.querySelectorAll("details")) d.open = n === 0 || (p.a !== null && p.b !== null);
          td.append(c);
        }
      }
      mixDeltas(tr);
      return tr;
    }));
  }

  // each count of the right kernel's instruction mix with its difference from the left kernel's (a count only the left
  // has shows as 0 on the right)
  function mixDeltas(tr) {
    const [a, b] = [...tr.querySelectorAll(".kmix")];
    if (!a || !b || a.dataset.of !== b.dataset.of) return;
    const ma = JSON.parse(a.dataset.mix), mb = JSON.parse(b.dataset.mix);
    for (const key of Object.keys(ma)) if (!(key in mb)) b.insertAdjacentHTML("beforeend", `<span class="mix-item" data-key="${esc(key)}">${esc(key)} <b>0</b></span>`);
    for (const item of b.querySelectorAll(".mix-item")) {
      const d = (mb[item.dataset.key] || 0) - (ma[item.dataset.key] || 0);
      if (d) item.insertAdjacentHTML("beforeend", `<span class="delta ${d > 0 ? "up" : "down"}" title="right minus left">${d > 0 ? "+" : "−"}${Math.abs(d)}</span>`);
    }
  }

  // *** the diff ***
  // a line, its changed words marked: spans [first is a change, len, len, ...] alternate equal and changed text
  function text(t, spans, tag, words) {
    if (!spans || !words) return esc(t);
    let at = 0, changed = spans[0] === 1;
    return spans.slice(1).map((n) => {
      const part = esc(t.slice(at, at + n)), mark = changed;
      at += n;
      changed = !changed;
      return mark ? `<${tag} class="w">${part}</${tag}>` : part;
    }).join("");
  }
  // rows [kind, a_no, b_no, a_spans, b_spans] -> blocks of equal rows and of changed rows (one block per change, as the
  // server's opcodes), the equal blocks trimmed to `ctx` lines next to a change, as wino_core.diff does
  function blocks(rows, ctx) {
    const out = [];
    for (const r of rows) {
      const equal = r[0] === "equal";
      if (!out.length || out[out.length - 1].equal !== equal) out.push({ equal, rows: [] });
      out[out.length - 1].rows.push(r);
    }
    if (ctx === null) return out;
    return out.flatMap((b, n) => {
      if (!b.equal) return [b];
      const head = n > 0 ? ctx : 0, tail = n < out.length - 1 ? ctx : 0;
      if (b.rows.length - head - tail <= 1) return [b];
      const hidden = b.rows.slice(head, b.rows.length - tail);
      return [{ equal: true, rows: b.rows.slice(0, head) }, { skip: hidden.length },
              { equal: true, rows: b.rows.slice(b.rows.length - tail) }];
    });
  }
  // split: a column per side, each scrolling sideways on its own, rows one line high so the two stay level;
  // unified: one column
  function diffHtml(s, d, aLines, bLines) {
    const sides = { a: [], b: [] }, uni = [], row = (cls, cells) => `<tr class="${cls}">${cells}</tr>`;
    const skip = (n) => `<tr class="skip"><td class="no"></td><td>… ${n} unchanged lines …</td></tr>`;
    for (const b of blocks(d.rows, s.ctx)) {
      if (b.skip) {
        sides.a.push(skip(b.skip)); sides.b.push(skip(b.skip));
        uni.push(`<tr class="skip"><td class="no"></td><td class="no"></td><td class="sign"></td><td>… ${b.skip} unchanged lines …</td></tr>`);
        continue;
      }
      for (const [kind, an, bn, as, bs] of b.rows) {
        const del = kind === "delete" || kind === "replace", ins = kind === "insert" || kind === "replace";
        sides.a.push(row(`d-${kind}`, `<td class="no">${an ?? ""}</td><td class="${del ? "d-delete" : ""}">${an === null ? "" : text(aLines[an - 1], as, "del", s.words)}</td>`));
        sides.b.push(row(`d-${kind}`, `<td class="no">${bn ?? ""}</td><td class="${ins ? "d-insert" : ""}">${bn === null ? "" : text(bLines[bn - 1], bs, "ins", s.words)}</td>`));
        if (b.equal) uni.push(row("d-equal", `<td class="no">${an}</td><td class="no">${bn}</td><td class="sign"> </td><td>${esc(bLines[bn - 1])}</td>`));
      }
      if (!b.equal) {  // a change's old lines, then its new ones
        for (const [, an, , as] of b.rows) if (an !== null) uni.push(row("d-delete", `<td class="no">${an}</td><td class="no"></td><td class="sign">-</td><td>${text(aLines[an - 1], as, "del", s.words)}</td>`));
        for (const [, , bn, , bs] of b.rows) if (bn !== null) uni.push(row("d-insert", `<td class="no"></td><td class="no">${bn}</td><td class="sign">+</td><td>${text(bLines[bn - 1], bs, "ins", s.words)}</td>`));
      }
    }
    const column = (side, rows) => `<div class="diff-side"${side ? ` data-side="${side}"` : ""}><table>${rows.join("")}</table></div>`;
    return s.view === "split" ? column("a", sides.a) + column("b", sides.b) : column("", uni);
  }

  // the rows of a pair of modes at a level: carried by the page, or fetched once (the live page carries the source diffs of
  // the pair it opened on, and those of the level its URL asked for)
  const loading = new Map();
  function rowsFor(s) {
    const key = `${s.a}|${s.b}|${s.pair}|${+s.ws}${+s.norm}` + (s.lvl === "source" ? "" : `|${s.lvl}`);
    if (key in data.diffs || !pairsOf(s).length) return Promise.resolve(data.rows[data.diffs[key]]);
    const both = `${s.a}|${s.b}|${s.lvl}`;
    if (!loading.has(both)) {
      const url = new URL(data.diffs_url, location.href);
      url.searchParams.set("a", s.a);
      url.searchParams.set("b", s.b);
      url.searchParams.set("lvl", s.lvl);
      loading.set(both, fetch(url).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status} ${r.statusText}`)))).then((got) => {
        const base = data.rows.length;
        data.rows.push(...got.rows);
        for (const [k, i] of Object.entries(got.diffs)) data.diffs[k] = base + i;
      }).finally(() => loading.delete(both)));
    }
    return loading.get(both).then(() => data.rows[data.diffs[key]]);
  }

  let drawn = 0;
  async function renderDiff(s) {
    const pairs = pairsOf(s), k = data.kernels, name = (m, i) => (i === null ? "—" : k[m][i].name);
    const select = document.getElementById("diff-pair"), table = document.getElementById("diff-table");
    const summary = document.getElementById("diff-summary"), token = ++drawn;
    select.replaceChildren(...pairs.map((p, i) => new Option(`${p.role}: ${name(s.a, p.a)} ↔ ${name(s.b, p.b)}`, i, i === s.pair, i === s.pair)));
    const p = pairs[s.pair];
    document.getElementById("diff-label-a").textContent = `${data.labels[s.a]} — ${p && p.a !== null ? k[s.a][p.a].name : "none"}`;
    document.getElementById("diff-label-b").textContent = `${data.labels[s.b]} — ${p && p.b !== null ? k[s.b][p.b].name : "none"}`;
    table.className = `diff diff-${s.view}`;
    if (!p) { summary.textContent = "No kernels to compare (a run did not finish)."; table.replaceChildren(); return; }
    table.setAttribute("aria-busy", "true");
    let d;
    try { d = await rowsFor(s); }
    catch (err) { if (token === drawn) { summary.textContent = `could not load this diff: ${err.message}`; table.removeAttribute("aria-busy"); } return; }
    if (token !== drawn) return;  // another view was asked for meanwhile
    const sum = d.summary;
    summary.textContent = (s.lvl === "source" ? "" : `${levelPicks[0].selectedOptions[0]?.text || s.lvl}: `) +
      (sum.identical ? `identical${s.norm || s.ws ? " (as matched)" : ""}` : `${sum.changed} changed, ${sum.added} added, ${sum.removed} removed lines`);
    const levelText = (kernel) => (s.lvl === "source" ? kernel.source : kernel.levels[s.lvl] || "");
    const lines = (m, i) => (i === null ? [] : levelText(k[m][i]).split("\n"));
    table.innerHTML = diffHtml(s, d, lines(s.a, p.a), lines(s.b, p.b));
    table.removeAttribute("aria-busy");
  }

  // *** the controls: they show the view; each sets only its own key ***
  const controls = () => [...pick.elements, ...(form ? form.elements : [])].filter((e) => e.name && e.type !== "hidden" && e.type !== "submit");
  const valueOf = (input) => (input.type === "checkbox" ? (input.checked ? "1" : "0") : input.value);
  function showControls(s) {
    pick.elements.a.value = s.a;
    pick.elements.b.value = s.b;
    if (!form) return;
    for (const r of form.querySelectorAll("input[name=view]")) r.checked = r.value === s.view;
    for (const key of ["ws", "norm", "words"]) form.querySelector(`input[type=checkbox][name=${key}]`).checked = s[key];
    form.elements.ctx.value = s.ctx === null ? "" : s.ctx;
  }
  const levelPicks = [...document.querySelectorAll("select.pick-level")];
  const showLevel = (s) => { for (const sel of levelPicks) sel.value = s.lvl; document.getElementById("kernels").dataset.lvl = s.lvl; };
  const shownValue = (input) => { const s = current(); return input.type === "checkbox" ? (s[input.name] ? "1" : "0") : String(s[input.name] ?? ""); };
  function apply(inputs) {
    const change = {};
    for (const input of inputs) if (valueOf(input) !== shownValue(input)) change[input.name] = valueOf(input);
    // another pair of modes has other kernel pairs: the first pair both have
    if ("a" in change || "b" in change) change.pair = null;
    if (Object.keys(change).length) view.set(change);
  }
  for (const f of [pick, form]) {
    if (!f) continue;
    f.setAttribute("autocomplete", "off");  // the browser must not restore typed state over the URL's
    f.addEventListener("submit", (e) => { e.preventDefault(); apply(controls().filter((x) => f.contains(x) && (x.type !== "radio" || x.checked))); });
  }
  for (const input of controls()) {
    if (input.tagName === "SELECT") {
      // arrows move the choice without applying it; Enter (or a pick with the mouse) applies it
      let byKeyboard = false;
      input.addEventListener("pointerdown", () => { byKeyboard = false; });
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); apply([input]); } else byKeyboard = true;
      });
      input.addEventListener("change", () => { if (!byKeyboard) apply([input]); });
    } else if (input.type === "text" || input.type === "search" || !input.type) {
      // Enter applies this field alone (not the whole form); so does leaving it
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); apply([input]); } });
      input.addEventListener("change", () => apply([input]));
    } else input.addEventListener("change", () => apply([input]));
  }

  view.on(["a", "b", "pair", "view", "ws", "norm", "words", "ctx", "lvl"], (_, changed) => {
    const s = current();
    if (changed.has("a") || changed.has("b")) renderKernels(s);
    renderDiff(s);
    showControls(s);
    showLevel(s);
  });

  // the standalone export opens in the view shown now
  const exportLink = document.getElementById("export-html");
  if (exportLink) exportLink.addEventListener("click", () => { exportLink.search = location.search; });
})();
