// Sources pane: copy and download each kernel's source, scroll a pair's two sources together, and open the kernel a
// line link (#a-k2-L14) points at.
(function () {
  const section = document.getElementById("kernels");
  if (!section) return;
  // the source as written: the highlighted text without the line numbers
  function sourceOf(kernel) {
    const code = kernel.querySelector(".hl code").cloneNode(true);
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

  // scroll events do not bubble: one capturing listener serves every pair, also those the standalone file lays out later
  const sync = document.getElementById("sync-scroll");
  let busy = false;
  section.addEventListener("scroll", (e) => {
    const pre = e.target, row = pre.closest && pre.closest("tr.pair");
    if (!row || !pre.matches(".hl pre") || !sync || !sync.checked || busy) return;
    const pres = [...row.querySelectorAll(".hl pre")];
    if (pres.length !== 2) return;
    const other = pres[1 - pres.indexOf(pre)];
    busy = true;
    other.scrollTop = pre.scrollTop;
    other.scrollLeft = pre.scrollLeft;
    requestAnimationFrame(() => { busy = false; });
  }, true);

  const toggle = document.getElementById("toggle-sources");
  if (toggle) toggle.addEventListener("click", () => {
    const all = section.querySelectorAll("tr.pair details");
    const open = ![...all].every((d) => d.open);
    all.forEach((d) => { d.open = open; });
  });

  function showLine() {
    if (!/^#[ab]-k\d+-L\d+$/.test(location.hash)) return;
    const line = document.getElementById(location.hash.slice(1));
    if (!line) return;
    const details = line.closest("details");
    if (details) details.open = true;
    section.querySelectorAll(".line-target").forEach((n) => n.classList.remove("line-target"));
    line.classList.add("line-target");
    line.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", showLine);
  showLine();
})();
