// Job pane: polls the job's status and turns into the result when it is done.
(function () {
  const el = document.getElementById("job");
  if (!el) return;
  const stateEl = document.getElementById("job-state"), msgEl = document.getElementById("job-message");
  async function poll() {
    let job;
    try {
      const r = await fetch(el.dataset.statusUrl, { headers: { Accept: "application/json" } });
      job = await r.json();
      if (!r.ok) throw new Error(job.error || r.statusText);
    } catch (e) {
      msgEl.textContent = "cannot reach the server (" + e.message + "); retrying";
      return setTimeout(poll, 2000);
    }
    stateEl.textContent = job.state;
    msgEl.textContent = job.message || "";
    for (const [mode, phase] of Object.entries(job.progress.modes || {})) {
      const cell = el.querySelector(`tr[data-mode="${mode}"] .phase`);
      if (cell) { cell.textContent = phase; cell.className = "phase phase-" + phase; }
    }
    if (job.state === "done") { window.location.assign(el.dataset.resultUrl); return; }
    if (job.state === "failed") { stateEl.classList.add("err"); return; }
    setTimeout(poll, 500);
  }
  poll();
})();
