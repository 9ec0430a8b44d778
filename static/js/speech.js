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
    // Each stretch is drawn as a flat step from its start to the next one's (the last to the last word's
    // end), on the same time axis as the face and voice timelines: seconds from 0 to the recording's end.
    var points = [];
    d.t.forEach(function (t, k) {
      // (a result stored before 'end' was kept: the stretch runs to the end of the axis)
      var end = k + 1 < d.t.length ? d.t[k + 1] : (d.end != null ? d.end : Math.max(d.duration || 0, t + 10));
      points.push({x: t, y: d.wpm[k]}, {x: end, y: d.wpm[k]});
    });
    var last = points.length ? points[points.length - 1].x : 0;
    new Chart(canvas, {
      type: "line",
      data: {datasets: [{label: "Words per minute", data: points, borderColor: "#2f6fdb", backgroundColor: "#2f6fdb",
                         pointRadius: 0, pointHitRadius: 6, borderWidth: 3, tension: 0}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false, parsing: false,
        plugins: {legend: {display: false}},
        scales: {x: {type: "linear", min: 0, max: Math.ceil(Math.max(d.duration || 0, last)), ticks: {precision: 0},
                     title: {display: true, text: "seconds (each flat step: one 10-second stretch)"}},
                 y: {min: 0, title: {display: true, text: "words per minute"}}}}
    });
  }
})();
