// History pane: "compare these two" puts two comparisons side by side, so it is enabled at exactly two ticked (the
// server still says so to a link with another number of ids).
(function () {
  const form = document.getElementById("compare-two"), go = document.getElementById("compare-two-go");
  if (!form || !go) return;
  const boxes = () => [...form.querySelectorAll('input[name="id"]')];
  const follow = () => {
    const n = boxes().filter((b) => b.checked).length;
    go.disabled = n !== 2;
    go.title = n === 2 ? "" : `tick exactly two comparisons (${n} ticked)`;
  };
  form.addEventListener("change", follow);
  window.addEventListener("pageshow", follow);  // Back restores ticks from the cache without change events
  follow();
})();
