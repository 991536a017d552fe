// Kernels pane: the mode pickers and diff options apply as soon as they change (the URL keeps the exact view).
(function () {
  for (const form of document.querySelectorAll("form.autosubmit, #pick-modes")) {
    for (const input of form.querySelectorAll("select, input[type=checkbox], input[type=radio]")) {
      input.addEventListener("change", () => form.requestSubmit ? form.requestSubmit() : form.submit());
    }
  }
  const toggle = document.getElementById("toggle-sources");
  if (toggle) toggle.addEventListener("click", () => {
    const all = document.querySelectorAll("#kernels details");
    const open = ![...all].every((d) => d.open);
    all.forEach((d) => { d.open = open; });
  });
})();
