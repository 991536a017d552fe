// Charts pane: kernel time per mode (stacked by kernel, one colour per role, whiskers on the total) with a log/linear
// toggle, compile vs run per mode, and each kernel on the device's roofline, drawn with plotly.js.
(function () {
  const dataEl = document.getElementById("chart-data");
  if (!dataEl || typeof Plotly === "undefined") return;
  const data = JSON.parse(dataEl.textContent);
  const layout = (title, extra) => Object.assign({ title: { text: title }, margin: { t: 40, r: 10, b: 40, l: 60 },
    legend: { orientation: "h", y: -0.25, font: { size: 10 } }, height: 420 }, extra);
  const cfg = { displaylogo: false, responsive: true };
  const scaleBtn = document.getElementById("chart-scale");
  let scale = data.kernel_scale;
  const axis = () => ({ title: { text: scale === "log" ? "ms (log)" : "ms" }, type: scale });
  Plotly.newPlot("chart-kernels", data.kernels, layout("Kernel time per mode (median per kernel; total: min–max of runs)",
    { barmode: "stack", yaxis: axis() }), cfg);
  if (scaleBtn) {
    const label = () => { scaleBtn.textContent = scale === "log" ? "linear scale" : "log scale"; scaleBtn.setAttribute("aria-pressed", scale === "log"); };
    label();
    scaleBtn.addEventListener("click", () => { scale = scale === "log" ? "linear" : "log"; label(); Plotly.relayout("chart-kernels", { yaxis: axis() }); });
  }
  Plotly.newPlot("chart-phases", data.phases, layout("Cold compile vs run",
    { barmode: "group", yaxis: { title: { text: "ms (log)" }, type: "log" } }), cfg);
  if (data.roofline && data.roofline.traces.length && document.getElementById("chart-roofline")) {
    Plotly.newPlot("chart-roofline", data.roofline.traces, layout(data.roofline.title, {
      xaxis: { title: { text: "FLOP per byte (log)" }, type: "log" }, yaxis: { title: { text: "FLOP/s (log)" }, type: "log" } }), cfg);
  }
})();
