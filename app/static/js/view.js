// The result page's view state. Every key of the view lives in the URL query (?a=old&b=new&pair=2&view=unified&gb=new:ast:1),
// so a link opens the exact view. A pane registers a renderer for the keys it shows (winoView.on); a control sets only
// its own key (winoView.set): the address changes with history.pushState (Back undoes it) and the renderers of the
// changed keys redraw in the page, with no reload. A key the URL does not give takes the page's default (#view-data
// "view": the view a standalone export was taken in, so the file opened from disk shows that view).
// Also here: scripts a pane alone needs (plotly) are loaded only when the pane comes near the screen.
(function () {
  const dataNode = document.getElementById("view-data");
  const defaults = dataNode ? JSON.parse(dataNode.textContent).view : {};
  const renderers = [];  // [keys, render(state, changed keys)]

  // the last value of a repeated key wins (a form sends a checkbox as 0, then 1 when it is checked)
  const stateOf = (query) => { const s = { ...defaults }; for (const [k, v] of query) s[k] = v; return s; };
  let query = new URLSearchParams(location.search), state = stateOf(query);

  function show(next) {
    const changed = new Set([...Object.keys(state), ...Object.keys(next)].filter((k) => state[k] !== next[k]));
    state = next;
    if (changed.size) for (const [keys, render] of renderers) if (keys.some((k) => changed.has(k))) render(state, changed);
  }
  // change: {key: value, or null to drop the key and go back to its default}
  function set(change) {
    const q = new URLSearchParams(query);
    for (const [k, v] of Object.entries(change)) { if (v === null) q.delete(k); else q.set(k, String(v)); }
    if (q.toString() === query.toString()) return;
    query = q;
    try { history.pushState(null, "", "?" + q.toString() + location.hash); } catch (e) { /* a file: page may refuse it */ }
    show(stateOf(q));
  }
  const reread = () => { query = new URLSearchParams(location.search); show(stateOf(query)); };
  window.addEventListener("popstate", reread);
  // the back/forward cache shows the page as it was left: the view comes from the URL again
  window.addEventListener("pageshow", (e) => { if (e.persisted) reread(); });

  // run `fn` once, when `el` comes within a screen's height of the viewport
  function whenShown(el, fn) {
    if (!("IntersectionObserver" in window)) return fn();
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { io.disconnect(); fn(); }
    }, { rootMargin: "100% 0px" });
    io.observe(el);
  }
  // <section data-scripts="/a.js /b.js">: its scripts, in that order, once the section is near and the page has loaded
  // (so the load event never waits for them)
  const afterLoad = (fn) => (document.readyState === "complete" ? fn() : window.addEventListener("load", fn, { once: true }));
  for (const el of document.querySelectorAll("[data-scripts]")) {
    whenShown(el, () => afterLoad(() => {
      for (const src of el.dataset.scripts.split(" ")) {
        const s = document.createElement("script");
        s.src = src;
        s.async = false;  // injected scripts run in the order they were added
        document.body.append(s);
      }
    }));
  }

  window.winoView = {
    get: (k) => state[k], set, whenShown,
    // render(state, changed) runs now, then whenever one of `keys` changes
    on(keys, render) { renderers.push([keys, render]); render(state, new Set(keys)); },
  };
})();
