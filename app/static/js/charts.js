// Charts pane: per-kernel time per mode (stacked, min–max bars) and compile vs run per mode, drawn with plotly.js.
(function () {
  const dataEl = document.getElementById("chart-data");
  if (!dataEl || typeof Plotly === "undefined") return;
  const data = JSON.parse(dataEl.textContent);
  const layout = (title, extra) => Object.assign({ title: { text: title }, margin: { t: 40, r: 10, b: 40, l: 60 },
    legend: { orientation: "h", y: -0.25, font: { size: 10 } }, height: 420 }, extra);
  const cfg = { displaylogo: false, responsive: true };
  Plotly.newPlot("chart-kernels", data.kernels, layout("Kernel time per mode (median, min–max)",
    { barmode: "stack", yaxis: { title: { text: "ms" } }, showlegend: data.kernels.length <= 12 }), cfg);
  Plotly.newPlot("chart-phases", data.phases, layout("Cold compile vs run",
    { barmode: "group", yaxis: { title: { text: "ms (log)" }, type: "log" } }), cfg);
})();
