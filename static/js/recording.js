// Charts of a video/audio answer: timelines of expressions and distributions beside the averages.
(function () {
  if (typeof Chart === "undefined") return;
  var COLORS = ["#d62728", "#8c564b", "#9467bd", "#2ca02c", "#1f77b4", "#ff7f0e", "#7f7f7f", "#17becf"];
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function timeline(canvasId, labels, series, classes) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) return;
    new Chart(canvas, {
      type: "line",
      data: {labels: labels, datasets: classes.map(function (c, k) {
        return {label: c, data: series.map(function (p) { return p ? 100 * p[k] : null; }),
                borderColor: COLORS[k % COLORS.length], backgroundColor: COLORS[k % COLORS.length],
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
