// Live word count under the answer box.
(function () {
  var area = document.querySelector("textarea[name=answer]");
  var out = document.getElementById("word-count");
  if (!area || !out) return;
  function update() {
    var n = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
    out.textContent = n;
    out.classList.toggle("low", n < Number(out.dataset.min));
  }
  area.addEventListener("input", update);
  update();
})();
