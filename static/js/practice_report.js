// Mock interview report: polls the session's analyses; prints. When an analysis finishes, the page reloads to show
// it only while the reader has not started on it (at its top, nothing focused); otherwise a button offers the new
// results, so that a reader is not sent back to the top of the page in the middle of a section. After a reload
// focus goes to the report's heading (form_errors.js).
(function () {
  var btn = document.getElementById("print-report");
  if (btn) btn.addEventListener("click", function () { window.print(); });
  var heading = document.querySelector("main h1");
  var box = document.getElementById("session-status");
  if (!box || box.dataset.ready === "yes") return;
  var pending = Number(box.dataset.pending);
  var bar = document.getElementById("session-progress");
  var msg = document.getElementById("session-message");
  var show = document.getElementById("session-refresh");
  if (!pending) return;
  var reload = window.reloadToHeading;  // form_errors.js
  if (show) show.addEventListener("click", reload);
  function reading() {  // scrolled down, or focus moved on by the reader (not the heading or a message put there)
    var a = document.activeElement;
    var ours = !a || a === document.body || a === heading || (a.classList && a.classList.contains("flash"));
    return window.scrollY > 80 || !ours;
  }
  function say(text) { if (msg && msg.textContent !== text) msg.textContent = text; }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        if (bar) bar.value = s.answered - s.pending;
        var wait = document.getElementById("session-wait");  // answers waiting before, recent times (jobs.wait_note)
        if (wait && typeof s.wait === "string" && wait.textContent !== s.wait) {
          wait.textContent = s.wait;
          wait.hidden = !s.wait;
        }
        var done = (s.answered - s.pending) + " of " + s.answered + " answers analysed.";
        if (s.pending < pending) {
          if (!show || !reading()) { reload(); return; }
          show.parentNode.hidden = false;
          say(done + " New results are ready: use the button “Show the new results” to see them.");
        } else {
          // no job worker runs just now: said once (the page says it already when it was so as it loaded)
          var said = document.getElementById("session-pending");
          said = said ? said.textContent.replace(/\s+/g, " ") : "";
          say(s.paused && said.indexOf(s.paused) < 0 ? done + " " + s.paused : done);
        }
        if (s.pending > 0) setTimeout(poll, 1500);
      })
      .catch(function (code) {
        if (code === 401 || code === 404) { window.pollStopped(msg, code, box, "mock interview"); return; }  // form_errors.js
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 1000);
})();
