// Charts of a video/audio answer: timelines of expressions, vocal emotions and head turn (the shares beside
// the averages are drawn by beside_others.js).
(function () {
  if (typeof Chart === "undefined") return;
  // One colour per emotion, the same in the face and the voice charts (each at least 3:1 against white).
  // Vocal classes take the colour of the facial class they are compared with (ml.analysis.VOICE_TO_FACE),
  // except calm, which has its own (it is compared with neutral, but it is not the same reading).
  var EMOTION_COLORS = {angry: "#c62828", disgust: "#795548", fear: "#7b1fa2", happy: "#2e7d32", sad: "#1565c0",
                        surprise: "#b35c00", neutral: "#5f6368", calm: "#00838f"};
  var VOICE_TO_FACE = {fearful: "fear", surprised: "surprise"};
  var SPARE = ["#ad1457", "#283593", "#827717"];  // for a class without a colour of its own
  function colourOf(c, k) { return EMOTION_COLORS[VOICE_TO_FACE[c] || c] || SPARE[k % SPARE.length]; }
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  // The face and voice timelines share one time axis: seconds from 0 to the end of the recording
  // (points at their own times: a face frame's, a 2 s voice window's middle), so a moment lines up
  // in both charts.
  function timeline(canvasId, times, series, classes, duration, names) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) return;
    var end = Math.max(duration || 0, times.length ? times[times.length - 1] : 0);
    new Chart(canvas, {
      type: "line",
      data: {datasets: classes.map(function (c, k) {
        return {label: (names && names[c]) || c, data: series.map(function (p, i) { return {x: times[i], y: p ? 100 * p[k] : null}; }),
                borderColor: colourOf(c, k), backgroundColor: colourOf(c, k),
                pointRadius: 0, borderWidth: 2, spanGaps: false, tension: 0.2};
      })},
      options: {responsive: true, maintainAspectRatio: false, animation: false, parsing: false,
        interaction: {mode: "index", intersect: false},
        plugins: {tooltip: {callbacks: {title: function (items) {
          return items.length ? items[0].parsed.x.toFixed(1) + " s" : ""; }}}},
        scales: {x: {type: "linear", min: 0, max: Math.ceil(end), title: {display: true, text: "seconds"},
                     ticks: {precision: 0}},
                 y: {min: 0, max: 100, title: {display: true, text: "probability (%)"}}}}
    });
  }
  var face = data("face-data");
  if (face) timeline("face-timeline", face.t, face.probs, face.classes, face.duration, face.names);
  var voice = data("voice-data");
  if (voice) {
    var times = voice.windows.map(function (w) { return (w.start + w.end) / 2; });
    var series = voice.windows.map(function (w) {
      return w.silent || !w.probs ? null : voice.classes.map(function (c) { return w.probs[c]; });
    });
    timeline("voice-timeline", times, series, voice.classes, voice.duration, voice.names);
  }
  // Head turn over time (the gaze channel), on the same time axis: left-right and up-down in degrees,
  // the facing limits dashed, looking-away episodes as a grey bar near the top, blinks as dots at the
  // bottom. Every dataset has a point at each frame time (null where it has nothing), so the tooltip
  // reads one moment across them, as in the other timelines (the limit lines also reach 0 s and the axis end).
  var gaze = data("gaze-data");
  var gazeCanvas = document.getElementById("gaze-timeline");
  if (gaze && gazeCanvas) {
    var gEnd = Math.ceil(Math.max(gaze.duration || 0, gaze.t.length ? gaze.t[gaze.t.length - 1] : 0));
    var TOP = 60;
    var gt = gaze.t;
    function clip(v) { return v === null || v === undefined ? null : Math.max(-TOP, Math.min(TOP, v)); }
    function series(f) { return gt.map(function (t, i) { return {x: t, y: f(t, i)}; }); }
    function away(t) {
      return gaze.away.some(function (e) {  // starts and durations are stored to 0.01 s
        return t >= e.start - 0.006 && t <= e.start + e.duration + 0.006; }) ? TOP - 5 : null;
    }
    var blinkAt = {};  // a blink marks the frame time nearest to it
    gaze.blinks.forEach(function (b) {
      var best = 0;
      gt.forEach(function (t, i) { if (Math.abs(t - b) < Math.abs(gt[best] - b)) best = i; });
      blinkAt[best] = true;
    });
    var LIMIT = "Facing limits (±" + gaze.limit + "°)";
    // the limit lines span the whole axis: their first point moves to 0 s and one more point sits at
    // the axis end (after the last frame, so every frame keeps its index in every dataset)
    function limitLine(y) {
      var pts = series(function () { return y; });
      if (pts.length) pts[0] = {x: 0, y: y};
      if (!pts.length || pts[pts.length - 1].x < gEnd) pts.push({x: gEnd, y: y});
      return pts;
    }
    var sets = [
      {label: "Left-right (°)", data: series(function (t, i) { return clip(gaze.yaw[i]); }), borderColor: "#2f6fdb",
       backgroundColor: "#2f6fdb", pointRadius: 0, borderWidth: 2, spanGaps: false, tension: 0.2},
      {label: "Up-down (°)", data: series(function (t, i) { return clip(gaze.pitch[i]); }), borderColor: "#b35c00",
       backgroundColor: "#b35c00", pointRadius: 0, borderWidth: 2, spanGaps: false, tension: 0.2},
      {label: LIMIT, data: limitLine(gaze.limit), borderColor: "#5f6368",
       backgroundColor: "#5f6368", borderDash: [6, 4], pointRadius: 0, borderWidth: 1},
      {label: LIMIT, data: limitLine(-gaze.limit), borderColor: "#5f6368",
       backgroundColor: "#5f6368", borderDash: [6, 4], pointRadius: 0, borderWidth: 1, partner: true}];
    if (gaze.away.length) sets.push({label: "Turned away or not found (> 2 s)", data: series(away),
      borderColor: "#767676", backgroundColor: "#767676", pointRadius: 0, borderWidth: 8, spanGaps: false});
    if (gaze.blinks.length) sets.push({label: "Blinks", data: series(function (t, i) { return blinkAt[i] ? -TOP + 5 : null; }),
      showLine: false, borderColor: "#00838f", backgroundColor: "#00838f", pointRadius: 3});
    new Chart(gazeCanvas, {
      type: "line", data: {datasets: sets},
      options: {responsive: true, maintainAspectRatio: false, animation: false, parsing: false,
        interaction: {mode: "index", intersect: false},
        plugins: {
          legend: {
            labels: {filter: function (item, d) { return !d.datasets[item.datasetIndex].partner; }},
            onClick: function (e, item, legend) {  // the two limit lines show and hide together
              var chart = legend.chart;
              var show = !chart.isDatasetVisible(item.datasetIndex);
              chart.data.datasets.forEach(function (ds, k) {
                if (ds.label === item.text) chart.setDatasetVisibility(k, show);
              });
              chart.update();
            }},
          tooltip: {filter: function (item) {
                      return item.parsed.y !== null && item.dataset.label.indexOf("Facing limits") !== 0; },
                    callbacks: {
                      title: function (items) { return items.length ? items[0].parsed.x.toFixed(1) + " s" : ""; },
                      label: function (item) {
                        var ds = item.dataset.label;
                        if (ds === "Blinks" || ds.indexOf("Turned away") === 0) return ds;
                        var v = item.datasetIndex === 0 ? gaze.yaw[item.dataIndex] : gaze.pitch[item.dataIndex];
                        return ds + ": " + Math.round(v);
                      }}}},
        scales: {x: {type: "linear", min: 0, max: gEnd, title: {display: true, text: "seconds"}, ticks: {precision: 0}},
                 y: {min: -TOP, max: TOP, title: {display: true, text: "degrees"}}}}
    });
  }
})();
