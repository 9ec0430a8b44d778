// Mock interview: the preparation countdown before a question; opens the answer page at zero.
(function () {
  var box = document.getElementById("prep");
  if (!box) return;
  var seconds = Number(box.dataset.seconds) || 0;
  var left = document.getElementById("prep-left");
  var status = document.getElementById("prep-status");
  if (seconds <= 0 || !left) return;
  var end = Date.now() + seconds * 1000;
  var timer = setInterval(function () {
    var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    left.textContent = s;
    // announce rarely, so a screen reader is not interrupted every second
    if (status && (s === 10 || s === 3)) status.textContent = s + " seconds left to prepare.";
    if (s <= 0) {
      clearInterval(timer);
      if (status) status.textContent = "Time is up: opening the answer page.";
      window.location.href = box.dataset.href;
    }
  }, 250);
})();
