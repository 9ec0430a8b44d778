// The transcript of a recorded answer: a word seeks the replay player to the word's start (and plays);
// while the recording plays, the word being said is marked. A small line chart of the pace.
(function () {
  var player = document.querySelector(".replay");
  var box = document.getElementById("transcript");
  if (player && box) {
    var buttons = Array.prototype.slice.call(box.querySelectorAll("button.tw"));
    var starts = buttons.map(function (b) { return parseFloat(b.getAttribute("data-start")) || 0; });
    box.addEventListener("click", function (ev) {
      var btn = ev.target.closest ? ev.target.closest("button.tw") : null;
      if (!btn) return;
      var t = parseFloat(btn.getAttribute("data-start")) || 0;
      try { player.currentTime = t; } catch (e) { return; }
      var p = player.play();
      if (p && p.catch) p.catch(function () {});  // autoplay refused: the player stays at the word
    });
    var current = null;
    function mark() {
      var t = player.currentTime, lo = 0, hi = starts.length - 1, k = -1;
      while (lo <= hi) {  // the last word starting at or before t
        var mid = (lo + hi) >> 1;
        if (starts[mid] <= t + 0.05) { k = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      var btn = k >= 0 && !player.paused ? buttons[k] : null;
      if (btn === current) return;
      if (current) { current.classList.remove("now"); current.removeAttribute("aria-current"); }
      current = btn;
      if (current) { current.classList.add("now"); current.setAttribute("aria-current", "true"); }
    }
    player.addEventListener("timeupdate", mark);
    player.addEventListener("pause", mark);
  }
  var el = document.getElementById("pace-data");
  var canvas = document.getElementById("pace-chart");
  if (el && canvas && typeof Chart !== "undefined") {
    var d = JSON.parse(el.textContent);
    new Chart(canvas, {
      type: "line",
      data: {labels: d.t.map(function (t) { return t.toFixed(0); }),
             datasets: [{label: "Words per minute", data: d.wpm, borderColor: "#2f6fdb", backgroundColor: "#2f6fdb",
                         pointRadius: 3, borderWidth: 2, tension: 0.2}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
        plugins: {legend: {display: false}},
        scales: {x: {title: {display: true, text: "seconds (start of each 10-second stretch)"}},
                 y: {min: 0, title: {display: true, text: "words per minute"}}}}
    });
  }
})();
