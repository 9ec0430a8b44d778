// Charts of a video/audio answer: timelines of expressions and distributions beside the averages.
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
  function timeline(canvasId, labels, series, classes) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) return;
    new Chart(canvas, {
      type: "line",
      data: {labels: labels, datasets: classes.map(function (c, k) {
        return {label: c, data: series.map(function (p) { return p ? 100 * p[k] : null; }),
                borderColor: colourOf(c, k), backgroundColor: colourOf(c, k),
                pointRadius: 0, borderWidth: 2, spanGaps: false, tension: 0.2};
      })},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
        interaction: {mode: "index", intersect: false},
        scales: {x: {title: {display: true, text: "seconds"}}, y: {min: 0, max: 100, title: {display: true, text: "probability (%)"}}}}
    });
  }
  function distribution(canvasId, d) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || !d) return;
    new Chart(canvas, {
      type: "bar",
      data: {labels: d.labels, datasets: [
        {label: "You", data: d.you, backgroundColor: "#2f6fdb"},
        {label: "Others, this question", data: d.question, backgroundColor: "#9bb7e8"},
        {label: "Others, all questions", data: d.overall, backgroundColor: "#c9c9c9"}]},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
        scales: {y: {min: 0, max: 100, title: {display: true, text: "% of time"}}}}
    });
  }
  var face = data("face-data");
  if (face) timeline("face-timeline", face.t.map(function (t) { return t.toFixed(1); }), face.probs, face.classes);
  distribution("face-distribution", data("face-dist-data"));
  var voice = data("voice-data");
  if (voice) {
    var labels = voice.windows.map(function (w) { return ((w.start + w.end) / 2).toFixed(1); });
    var series = voice.windows.map(function (w) {
      return w.silent || !w.probs ? null : voice.classes.map(function (c) { return w.probs[c]; });
    });
    timeline("voice-timeline", labels, series, voice.classes);
  }
  distribution("voice-distribution", data("voice-dist-data"));
})();
