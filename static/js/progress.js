// Polls the analysis status and reloads the page when the result (or a failure) is ready. The status line is
// rewritten only when it changes (a screen reader reads each rewrite), and after the reload focus goes to the
// page's heading (form_errors.js), so that the result is announced instead of the page starting again unsaid.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.status === "failed" || box.dataset.status === "done") return;
  var bar = document.getElementById("job-progress");
  var msg = document.getElementById("job-message");
  var cell = document.getElementById("attempt-status");
  var wait = document.getElementById("job-wait");  // answers waiting before it, recent analysis times (jobs.wait_note)
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (bar) bar.value = s.progress;
        if (msg && s.message && msg.textContent !== s.message) msg.textContent = s.message;
        if (wait && typeof s.wait === "string" && wait.textContent !== s.wait) {
          wait.textContent = s.wait;
          wait.hidden = !s.wait;
        }
        // the attempts table's Status of this answer, which said "Waiting" below "Transcribing" (a review)
        if (cell && s.status_name && cell.textContent !== s.status_name) cell.textContent = s.status_name;
        if (s.status === "done" || s.status === "failed") {
          window.reloadToHeading();  // form_errors.js
          return;
        }
        setTimeout(poll, 1500);
      })
      .catch(function (code) {
        // signed out, or the answer deleted (another tab, an administrator): said once, with where to go, instead of
        // "Analysing…" and a silent retry every 5 s for ever (a review)
        if (code === 401 || code === 404) {
          window.pollStopped(msg, code, box, "answer");  // form_errors.js: hides the wait line too
          return;
        }
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 1000);
})();
