// Job pane: polls the job's status (queue position, elapsed time, each mode's phase) and turns into the result when done.
(function () {
  const el = document.getElementById("job");
  if (!el) return;
  const stateEl = document.getElementById("job-state"), msgEl = document.getElementById("job-message");
  const waitEl = document.getElementById("job-wait");
  let timer = null;
  const later = (ms) => { clearTimeout(timer); timer = setTimeout(poll, ms); };
  async function poll() {
    let job;
    try {
      const r = await fetch(el.dataset.statusUrl, { headers: { Accept: "application/json" } });
      job = await r.json();
      if (!r.ok) throw new Error(job.error || r.statusText);
    } catch (e) {
      msgEl.textContent = "cannot reach the server (" + e.message + "); retrying";
      return later(2000);
    }
    stateEl.textContent = job.state;
    msgEl.textContent = job.message || "";
    if (waitEl) {
      const ahead = job.state === "queued" && job.ahead ? `waiting behind ${job.ahead} job${job.ahead === 1 ? "" : "s"} on this device · ` : "";
      waitEl.textContent = job.elapsed_s == null ? "" : `${ahead}${job.elapsed_s.toFixed(0)} s since it was queued`;
    }
    for (const [mode, phase] of Object.entries(job.progress.modes || {})) {
      const cell = el.querySelector(`tr[data-mode="${mode}"] .phase`);
      if (cell) { cell.textContent = phase; cell.className = "phase phase-" + phase; }
    }
    // replace, not assign: the job page leaves the history, so Back from the result goes where the user came from
    if (job.state === "done") { window.location.replace(el.dataset.resultUrl); return; }
    if (job.state === "failed") { stateEl.classList.add("err"); return; }
    later(500);
  }
  // shown again from the back/forward cache: its timers were frozen mid-poll; ask the server afresh
  window.addEventListener("pageshow", (e) => { if (e.persisted) poll(); });
  poll();
})();
