// Sweep form: the custom-layers box is read only when the model is "custom", so it is enabled only then.
(function () {
  const model = document.getElementById("f-model"), layers = document.getElementById("f-layers");
  if (!model || !layers) return;
  const follow = () => { layers.disabled = model.value !== "custom"; };
  model.addEventListener("change", follow);
  follow();
})();
