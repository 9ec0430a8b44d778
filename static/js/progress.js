// Polls the analysis status and reloads the page when the result (or a failure) is ready.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.status === "failed" || box.dataset.status === "done") return;
  var bar = document.getElementById("job-progress");
  var msg = document.getElementById("job-message");
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (bar) bar.value = s.progress;
        if (msg && s.message) msg.textContent = s.message;
        if (s.status === "done" || s.status === "failed") { window.location.reload(); return; }
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
