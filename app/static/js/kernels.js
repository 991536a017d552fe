// Kernels pane: the mode pickers and the diff options. All view state lives in the URL: a control changes only its own
// key and keeps the rest (the other options, the graph panes' ga/gb), and the controls always show what the URL says,
// also when the page comes back from the back/forward cache.
(function () {
  const forms = [...document.querySelectorAll("#pick-modes, #diff-form")];
  const valueOf = (input) => (input.type === "checkbox" ? (input.checked ? "1" : "0") : input.value);
  const anchor = (form) => (form.id === "pick-modes" ? "#kernels" : "#diff");
  const focusKey = "wino-dash-focus";

  function navigate(form, inputs) {
    const q = new URLSearchParams(location.search);
    for (const input of inputs) q.set(input.name, valueOf(input));
    // another pair of modes has other kernel pairs: let the page pick the first pair both have
    if (inputs.some((i) => i.name === "a" || i.name === "b")) q.delete("pair");
    const active = document.activeElement;
    if (active && active.name) sessionStorage.setItem(focusKey, JSON.stringify([active.name, active.type === "radio" ? active.value : ""]));
    location.assign("?" + q.toString() + anchor(form));
  }
  const controls = (form) => [...form.elements].filter((e) => e.name && e.type !== "hidden" && e.type !== "submit" &&
                                                             (e.type !== "radio" || e.checked));

  for (const form of forms) {
    form.setAttribute("autocomplete", "off");  // the browser must not restore typed state over the URL's
    form.addEventListener("submit", (e) => { e.preventDefault(); navigate(form, controls(form)); });
    for (const input of form.querySelectorAll("select, input")) {
      if (input.type === "hidden") continue;
      if (input.tagName === "SELECT") {
        // arrows move the choice without leaving the page; Enter (or a pick with the mouse) applies it
        const rendered = [...input.options].findIndex((o) => o.defaultSelected);
        let byKeyboard = false;
        input.addEventListener("pointerdown", () => { byKeyboard = false; });
        input.addEventListener("keydown", (e) => {
          if (e.key === "Enter") {
            if (input.selectedIndex !== rendered) { e.preventDefault(); navigate(form, [input]); }
          } else byKeyboard = true;
        });
        input.addEventListener("change", () => { if (!byKeyboard) navigate(form, [input]); });
      } else if (input.type === "checkbox" || input.type === "radio") {
        input.addEventListener("change", () => navigate(form, [input]));
      } else {
        input.addEventListener("change", () => navigate(form, [input]));  // text: on Enter or when it loses focus
      }
    }
  }

  // back/forward cache: the page is shown as it was left, controls included; reset them to what was rendered from the URL
  window.addEventListener("pageshow", () => forms.forEach((f) => f.reset()));

  // after a change reloads the page, the control that made it gets the focus back (after the load: scrolling to the
  // URL's #fragment clears the focus)
  const saved = sessionStorage.getItem(focusKey);
  if (saved) {
    sessionStorage.removeItem(focusKey);
    const [name, value] = JSON.parse(saved);
    const el = document.querySelector(`[name="${CSS.escape(name)}"]${value ? `[value="${CSS.escape(value)}"]` : ""}:not([type=hidden])`);
    const refocus = () => setTimeout(() => el.focus({ preventScroll: true }), 0);
    if (el) { if (document.readyState === "complete") refocus(); else window.addEventListener("load", refocus); }
  }

  // the standalone export opens in the view shown now (graph panes included, which change the URL without a reload)
  const exportLink = document.getElementById("export-html");
  if (exportLink) exportLink.addEventListener("click", () => { exportLink.search = location.search; });

})();
