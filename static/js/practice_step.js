// Mock interview: the preparation countdown before a question; opens the answer page at zero.
// The deadline is kept in sessionStorage per interview and question, so reloading the page (or coming
// back to it) does not start the preparation time again; a page opened after its deadline says so and
// stays, rather than sending the candidate forward again (the back button keeps working).
(function () {
  var box = document.getElementById("prep");
  if (!box) return;
  var seconds = Number(box.dataset.seconds) || 0;
  var left = document.getElementById("prep-left");
  var status = document.getElementById("prep-status");
  if (seconds <= 0 || !left) return;
  var key = "prep-deadline:" + (box.dataset.key || box.dataset.href);
  var end = null;
  try { end = Number(sessionStorage.getItem(key)) || null; } catch (e) { /* storage blocked: no memory */ }
  if (end === null || end - Date.now() > seconds * 1000) {  // unknown, or from a longer setting
    end = Date.now() + seconds * 1000;
    try { sessionStorage.setItem(key, String(end)); } catch (e) { /* counts from this load only */ }
  }
  if (end <= Date.now()) {  // the clock and its promise give way to one sentence saying so
    var over = document.getElementById("prep-over");
    if (over) {
      over.hidden = false;
      left.parentNode.hidden = true;
      var label = document.getElementById("prep-label");
      if (label) label.hidden = true;
    }
    left.textContent = "0";
    var start = document.getElementById("start-answer");
    if (start) start.textContent = "Answer this question";
    return;
  }
  function tick() {
    var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    left.textContent = s;
    // announce rarely, so a screen reader is not interrupted every second
    if (status && (s === 10 || s === 3)) status.textContent = s + " seconds left to prepare.";
    if (s <= 0) {
      clearInterval(timer);
      if (status) status.textContent = "Time is up: opening the answer page.";
      window.location.href = box.dataset.href;
    }
  }
  var timer = setInterval(tick, 250);
  tick();
})();
