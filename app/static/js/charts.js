// Charts pane: kernel time per mode (stacked by kernel, one colour per role, whiskers on the total; on a log scale the
// kernels side by side) with a log/linear toggle, compile vs run per mode, and each kernel on the device's roofline
// (a marker per kernel role), drawn with plotly.js. winoPlot is also the sweep page's.
window.winoPlot = function (id, traces, layout) {
  // no cloud "share" button; the toolbar is for the mouse: out of the tab order (ten stops per chart otherwise)
  const cfg = { displaylogo: false, responsive: true, showSendToCloud: false };
  const untab = (gd) => gd.querySelectorAll(".modebar-btn").forEach((b) => b.setAttribute("tabindex", "-1"));
  return Plotly.react(id, traces, layout, cfg).then((gd) => {
    untab(gd);
    if (!gd.winoUntab) { gd.winoUntab = true; gd.on("plotly_afterplot", () => untab(gd)); }  // plotly redraws its toolbar
    return gd;
  });
};
// a log axis over a decade or two gets a label at every digit (2 3 4 … 9, abbreviated): label 1-2-5 there, in full,
// and decades only past three
window.winoLogTicks = function (values, format) {
  const v = values.filter((x) => x > 0);
  if (!v.length) return {};
  const lo = Math.min(...v), hi = Math.max(...v);
  if (hi / lo > 1000) return { dtick: 1 };
  const ticks = (digits) => {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++)
      for (const d of digits) { const t = +(d * 10 ** e).toPrecision(1); if (t >= lo / 1.3 && t <= hi * 1.3) out.push(t); }
    return out;
  };
  const vals = [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]].map(ticks).find((t) => t.length >= 2);
  return vals ? { tickmode: "array", tickvals: vals, tickformat: format || "~g" } : {};
};
(function () {
  const dataEl = document.getElementById("chart-data");
  if (!dataEl || typeof Plotly === "undefined") return;
  const data = JSON.parse(dataEl.textContent);
  const layout = (title, extra) => Object.assign({ title: { text: title }, margin: { t: 40, r: 10, b: 40, l: 60 },
    legend: { orientation: "h", y: -0.25, font: { size: 10 } }, height: 420 }, extra);
  const ys = (traces) => traces.flatMap((t) => (t.y || []).map((y, i) => [y, t.error_y ? y + t.error_y.array[i] : y, t.error_y ? y - t.error_y.arrayminus[i] : y]).flat());
  const scaleBtn = document.getElementById("chart-scale");
  let scale = data.kernel_scale;
  // stacked heights on a log axis misstate each kernel's share (the bottom one looks like most of the bar): there each
  // kernel of a mode stands beside the others, at its index (`meta`) in the mode
  const kernels = () => {
    const log = scale === "log";
    return winoPlot("chart-kernels", data.kernels.map((t) => t.type === "bar" && log ? Object.assign({}, t, { offsetgroup: String(t.meta) }) : t),
      layout(log ? "Kernel time per mode (median per kernel, side by side; total: min–max of runs)" : "Kernel time per mode (median per kernel, stacked; total: min–max of runs)",
        { barmode: log ? "group" : "stack", yaxis: Object.assign({ title: { text: log ? "ms (log)" : "ms" }, type: scale }, log ? winoLogTicks(ys(data.kernels)) : {}) }));
  };
  kernels();
  if (scaleBtn) {
    const label = () => { scaleBtn.textContent = scale === "log" ? "linear scale" : "log scale"; scaleBtn.setAttribute("aria-pressed", scale === "log"); };
    label();
    scaleBtn.addEventListener("click", () => { scale = scale === "log" ? "linear" : "log"; label(); kernels(); });
  }
  winoPlot("chart-phases", data.phases, layout("Cold compile vs run",
    { barmode: "group", yaxis: Object.assign({ title: { text: "ms (log)" }, type: "log" }, winoLogTicks(ys(data.phases))) }));
  if (data.roofline && data.roofline.traces.length && document.getElementById("chart-roofline")) {
    const rt = data.roofline.traces;
    winoPlot("chart-roofline", rt, layout(data.roofline.title, {
      legend: { orientation: "h", y: -0.25, font: { size: 10 }, traceorder: "normal" },
      xaxis: Object.assign({ title: { text: "FLOP per byte (log)" }, type: "log" }, winoLogTicks(rt.flatMap((t) => t.x))),
      yaxis: Object.assign({ title: { text: "FLOP/s (log)" }, type: "log" }, winoLogTicks(ys(rt), "~s")) }));
  }
})();
