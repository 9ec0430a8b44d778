// Mock interview report: polls the session's analyses and reloads when one finishes; prints.
(function () {
  var btn = document.getElementById("print-report");
  if (btn) btn.addEventListener("click", function () { window.print(); });
  var box = document.getElementById("session-status");
  if (!box || box.dataset.ready === "yes") return;
  var pending = Number(box.dataset.pending);
  var bar = document.getElementById("session-progress");
  var msg = document.getElementById("session-message");
  if (!pending) return;
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (bar) bar.value = s.answered - s.pending;
        if (s.pending < pending) { window.location.reload(); return; }
        if (msg) msg.textContent = (s.answered - s.pending) + " of " + s.answered + " answers analysed.";
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
