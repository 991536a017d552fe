// Sources pane: copy and download each kernel's source, scroll a pair's two sources (and the split diff's two sides)
// together, open the kernel a line link (#a-k2-L14) points at and mark its line, copy a link to the view, and link a
// source line to the UOps of its kernel's AST (wino_core.linemap): a click on a line selects them in the graph pane of
// its side; a node selected there marks its lines.
(function () {
  const section = document.getElementById("kernels");
  if (!section) return;
  // the text of the level shown (source, assembly …) as written: the highlighted text without the line numbers
  function sourceOf(kernel) {
    const code = (kernel.querySelector(`.klevel-${section.dataset.lvl || "source"} .hl code`) || kernel.querySelector(".hl code")).cloneNode(true);
    code.querySelectorAll(".linenos").forEach((n) => n.remove());
    return code.textContent;
  }
  section.addEventListener("click", async (e) => {
    const b = e.target.closest("button.k-copy, button.k-download");
    if (!b) return;
    const kernel = b.closest(".kernel"), text = sourceOf(kernel);
    if (b.classList.contains("k-copy")) {
      try { await navigator.clipboard.writeText(text); b.textContent = "copied"; }
      catch (err) { b.textContent = "copy failed"; }
      setTimeout(() => { b.textContent = "copy"; }, 1500);
    } else {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
      a.download = b.dataset.file;
      document.body.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    }
  });

  // scroll events do not bubble: one capturing listener serves every pair and the diff, whenever they are laid out
  const sync = document.getElementById("sync-scroll");
  let busy = false;
  document.addEventListener("scroll", (e) => {
    const el = e.target, pair = el.closest && (el.closest("tr.pair") || el.closest("#diff-table"));
    if (!pair || !el.matches(".hl pre, .diff-side") || !sync || !sync.checked || busy) return;
    const both = [...pair.querySelectorAll(el.matches("pre") ? ".hl pre" : ".diff-side")];
    if (both.length !== 2) return;
    const other = both[1 - both.indexOf(el)];
    busy = true;
    if (el.matches("pre")) other.scrollTop = el.scrollTop;
    other.scrollLeft = el.scrollLeft;
    requestAnimationFrame(() => { busy = false; });
  }, true);

  const toggle = document.getElementById("toggle-sources");
  if (toggle) toggle.addEventListener("click", () => {
    const all = section.querySelectorAll("tr.pair details");
    const open = ![...all].every((d) => d.open);
    all.forEach((d) => { d.open = open; });
  });

  // the linked line: its kernel opened, scrolled to the middle of the screen, and marked across the source's width
  function showLine() {
    section.querySelectorAll(".line-mark").forEach((n) => n.remove());
    section.querySelectorAll(".line-target").forEach((n) => n.classList.remove("line-target"));
    if (!/^#[ab]-k\d+-L\d+$/.test(location.hash)) return;
    const line = document.getElementById(location.hash.slice(1));
    if (!line) return;
    const details = line.closest("details");
    if (details) details.open = true;
    line.classList.add("line-target");
    const mark = document.createElement("span");
    mark.className = "line-mark";  // absolutely placed where it stands: at the top of its line
    line.after(mark);
    // to the middle of the screen, also after the load (the browser's own jump to the #fragment puts it at the very top)
    const go = () => mark.scrollIntoView({ block: "center" });
    go();
    if (document.readyState !== "complete") window.addEventListener("load", () => setTimeout(go, 0), { once: true });
  }
  window.addEventListener("hashchange", showLine);
  showLine();

  // line -> UOps: the line a click landed on is the nearest line anchor (a-k2-L14) before it in its <code>
  function lineAt(target) {
    const code = target.closest(".klevel-source .hl code");
    if (!code || target.closest(".linenos")) return null;  // the number itself is the line's link
    for (let n = target.closest("code > *") || target; n; n = n.previousSibling) {
      const m = n.id && /-k(\d+)-L(\d+)$/.exec(n.id);
      if (m) return { kernel: n.closest(".kernel"), line: +m[2] };
    }
    return null;
  }
  section.addEventListener("click", (e) => {
    const at = lineAt(e.target);
    if (!at || !window.winoGraphs || window.getSelection().toString()) return;  // selecting text is not a click on a line
    const k = at.kernel.dataset;
    window.winoGraphs.showLine(k.side, k.mode, +k.index, at.line);
  });
  // UOps -> lines: a node of a kernel's AST selected in a graph pane marks its lines in that kernel's card
  document.addEventListener("wino:node", (e) => {
    const { side, mode, kernel, lines } = e.detail;
    section.querySelectorAll(".line-uop").forEach((n) => n.classList.remove("line-uop"));
    section.querySelectorAll(".line-uop-mark").forEach((n) => n.remove());
    const card = section.querySelector(`.kernel[data-side="${side}"][data-mode="${CSS.escape(mode)}"][data-index="${kernel}"]`);
    if (!card || !lines) return;
    let first = null;
    for (const l of lines) {
      const anchor = card.querySelector(`.klevel-source [id$="-k${kernel}-L${l}"]`);
      if (!anchor) continue;
      anchor.classList.add("line-uop");
      const mark = document.createElement("span");
      mark.className = "line-uop-mark";  // absolutely placed where it stands: at the top of its line
      anchor.after(mark);
      first = first || mark;
    }
    if (first && e.detail.reveal) {
      first.closest("details").open = true;
      const pre = first.closest("pre");  // scroll the source, not the page
      pre.scrollTop = first.offsetTop - pre.clientHeight / 2;
    }
  });

  // a link to the view as shown: every key of it is in the address
  const copyLink = document.getElementById("copy-link");
  if (copyLink) copyLink.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(location.href); copyLink.textContent = "link copied"; }
    catch (err) { copyLink.textContent = "copy failed"; }
    setTimeout(() => { copyLink.textContent = "copy link"; }, 1500);
  });
})();
