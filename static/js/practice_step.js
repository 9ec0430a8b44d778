// Mock interview: the preparation countdown before a question; opens the answer page at zero.
// The deadline is kept in sessionStorage per interview and question, so reloading the page (or coming
// back to it) does not start the preparation time again; a page opened after its deadline says so and
// stays, rather than sending the candidate forward again (the back button keeps working).
// "Pause the clock" stops the countdown until "Resume" (a time limit the candidate can stop: WCAG 2.2.1, from an
// accessibility review); while paused, the time left is kept instead of the deadline ("p" + milliseconds).
(function () {
  var box = document.getElementById("prep");
  if (!box) return;
  var seconds = Number(box.dataset.seconds) || 0;
  var left = document.getElementById("prep-left");
  var status = document.getElementById("prep-status");
  var pause = document.getElementById("prep-pause");
  if (seconds <= 0 || !left) return;
  var key = "prep-deadline:" + (box.dataset.key || box.dataset.href);
  var end = null, paused = null, timer = null;
  function load() { try { return sessionStorage.getItem(key); } catch (e) { return null; } }
  function save(v) { try { sessionStorage.setItem(key, v); } catch (e) { /* counts from this load only */ } }
  var raw = load();
  if (raw && raw.charAt(0) === "p") {
    paused = Math.min(Number(raw.slice(1)) || 0, seconds * 1000);
  } else {
    end = Number(raw) || null;
    if (end === null || end - Date.now() > seconds * 1000) {  // unknown, or from a longer setting
      end = Date.now() + seconds * 1000;
      save(String(end));
    }
  }
  if (paused === null && end <= Date.now()) {  // the clock and its promise give way to one sentence saying so
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
  var pausedTag = document.getElementById("prep-paused");
  function run() {
    paused = null;
    if (pause) pause.textContent = "Pause the clock";
    if (pausedTag) pausedTag.hidden = true;
    timer = setInterval(tick, 250);
    tick();
  }
  function stop(say) {
    left.textContent = Math.max(0, Math.ceil(paused / 1000));
    if (pause) pause.textContent = "Resume the clock";
    if (pausedTag) pausedTag.hidden = false;
    if (say && status) status.textContent = "Clock paused with " + left.textContent + " seconds left.";
  }
  if (pause) {
    pause.hidden = false;
    pause.addEventListener("click", function () {
      if (paused === null) {
        clearInterval(timer);
        paused = Math.max(0, end - Date.now());
        save("p" + paused);
        stop(true);
      } else {
        end = Date.now() + paused;
        save(String(end));
        if (status) status.textContent = "Clock running again.";
        run();
      }
    });
  }
  if (paused !== null) stop(false); else run();
})();
