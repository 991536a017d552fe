// Sweep pane: the per-layer chart, and while the sweep runs, its progress (polled) and a reload when a layer finishes.
(function () {
  const dataEl = document.getElementById("sweep-chart-data");
  if (dataEl && typeof Plotly !== "undefined") {
    const data = JSON.parse(dataEl.textContent);
    const traces = data.share ? [...data.bars, data.share] : data.bars;
    winoPlot("chart-sweep", traces, {
      title: { text: "Each distinct conv's time in the network (median × multiplicity), largest first" }, barmode: "group", height: 470,
      margin: { t: 80, r: 60, b: 130, l: 60 }, legend: { orientation: "h", x: 0, y: 1.14 }, yaxis: { title: { text: "ms" } },
      yaxis2: { title: { text: "cumulative %" }, overlaying: "y", side: "right", range: [0, 105], dtick: 20 }, xaxis: { tickangle: -40 },
    });
  }
  const el = document.getElementById("sweep-progress");
  if (!el || !["queued", "running"].includes(el.dataset.state)) return;
  async function poll() {
    try {
      const r = await fetch(el.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const s = await r.json();
      if (s.state !== el.dataset.state || String(s.progress.done) !== el.dataset.done) { location.reload(); return; }
      const p = s.progress, job = p.job && p.job.progress;
      document.getElementById("sweep-current").textContent = p.current === null ? "" :
        `· layer ${p.current + 1} (${s.rows[p.current].names[0]}): ` + (job && job.current ? `${job.current} ${job.modes[job.current]}` : (p.job ? p.job.state : "queued"));
    } catch (e) { /* the server is busy or restarting: try again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
