// Progress over attempts: one Chart.js line chart per figure, first / latest / best marked.
// The marks are drawn as the page's legend shows them (filled ◆ first, ▲ latest, ★ best, in the legend's
// colours): Chart.js's own "star" is an unfilled asterisk stroked in the line's colour, which is not ★.
// One attempt with several marks gets the one listed last (best over latest over first), as the legend says.
// A Big Five trait's chart ("trait") is points alone, unmarked and not joined by a line: a line from one attempt to
// the next is the comparison a model right about 6 times in 10 cannot make (a review).
(function () {
  // On a phone the per-attempt tables start closed: the page grew by a card per attempt under every chart.
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) {
    document.querySelectorAll("details.per-attempt").forEach(function (d) { d.open = false; });
  }
  if (typeof Chart === "undefined") return;
  // an attempt's time (sent in UTC, ISO) in the reader's zone, as the tables show it (localtime.js, on every page)
  function localTime(iso) { return window.localTimeText(iso, "minute") || iso; }
  var LINE = "#2f6fdb";
  var MARKS = {first: {shape: "diamond", color: "#6b4fbb"}, latest: {shape: "triangle", color: "#c2410c"},
               best: {shape: "star", color: "#1a7f37"}};
  var SIZE = 20;  // CSS pixels of a mark
  // the reference lines of other candidates' averages, per answer type (stats.modality_group's groups)
  var OTHERS = {text: {color: "#8a5a00", dash: [6, 4]}, audio: {color: "#0f766e", dash: [2, 3]},
                video: {color: "#9d174d", dash: [10, 3, 2, 3]}};

  function marker(name) {  // a small canvas with the filled shape, used as the point's style
    var m = MARKS[name], c = document.createElement("canvas"), g = c.getContext("2d");
    var h = SIZE / 2, r = h - 1.5, pts = [], k;
    c.width = c.height = SIZE;
    if (m.shape === "diamond") pts = [[0, -r], [0.75 * r, 0], [0, r], [-0.75 * r, 0]];
    else if (m.shape === "triangle") pts = [[0, -r], [0.95 * r, 0.75 * r], [-0.95 * r, 0.75 * r]];
    else for (k = 0; k < 10; k++) {  // a five-pointed star
      var a = -Math.PI / 2 + k * Math.PI / 5, rr = k % 2 ? 0.45 * r : r;
      pts.push([rr * Math.cos(a), rr * Math.sin(a)]);
    }
    g.beginPath();
    pts.forEach(function (p, i) { g[i ? "lineTo" : "moveTo"](h + p[0], h + p[1]); });
    g.closePath();
    g.fillStyle = m.color;
    g.fill();
    g.lineWidth = 1;
    g.strokeStyle = "#ffffff";  // a thin white edge keeps the mark apart from the line under it
    g.stroke();
    c.dataset.mark = name;
    return c;
  }
  var IMAGES = {};
  Object.keys(MARKS).forEach(function (name) { IMAGES[name] = marker(name); });

  document.querySelectorAll("script.progress-data").forEach(function (el) {
    var d = JSON.parse(el.textContent);
    var canvas = document.getElementById(el.dataset.canvas);
    if (!canvas) return;
    function markOf(i) {
      return d.bests.indexOf(i) >= 0 ? "best" : i === d.latest ? "latest" : i === d.first ? "first" : null;
    }
    var styles = d.values.map(function (_, i) { var m = markOf(i); return m ? IMAGES[m] : "circle"; });
    var radii = d.values.map(function (_, i) { return markOf(i) ? SIZE / 2 : 3; });
    var colors = d.values.map(function (_, i) { var m = markOf(i); return m ? MARKS[m].color : LINE; });
    var datasets = [{label: d.name + (d.unit ? " (" + d.unit + ")" : ""), data: d.values, borderColor: LINE,
                     backgroundColor: colors, pointBorderColor: colors, pointStyle: styles,
                     pointRadius: radii, pointHoverRadius: radii, tension: 0, fill: false, showLine: !d.trait,
                     clip: false}];  // a mark at the top or bottom of the scale is drawn whole (the padding makes room)
    if (d.band) {
      [0, 1].forEach(function (k) {
        datasets.push({label: k ? "Comfortable pace, upper" : "Comfortable pace, lower",
                       data: d.values.map(function () { return d.band[k]; }), borderColor: "#76809a",
                       borderDash: [6, 4], pointRadius: 0, fill: false});
      });
    }
    // Other candidates' averages (d.others: those not held back), each a dashed horizontal line named in the legend
    // by its answer type: the averages are kept per type, so a chart of audio and video attempts has one line per
    // type (webapp.practice.service._chart_others), never one line mixing them. A colour and a dash per type.
    // With one attempt there is no segment to draw: the value is shown as a wide flat mark ("line" point) instead.
    var single = d.values.length === 1;
    (d.others || []).forEach(function (o) {
      var style = OTHERS[o.group] || OTHERS.video;
      datasets.push({label: o.label, data: d.values.map(function () { return o.value; }), borderColor: style.color,
                     backgroundColor: style.color, borderDash: style.dash, borderWidth: 2,
                     pointStyle: single ? "line" : "circle", pointRadius: single ? 60 : 0,
                     pointBorderWidth: 2, pointHoverRadius: single ? 60 : 0, fill: false});
    });
    new Chart(canvas, {
      type: "line",
      data: {labels: d.labels.map(function (n) { return "#" + n; }), datasets: datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        layout: {padding: {top: SIZE / 2, right: SIZE / 2}},  // room for a mark at the edge of the scale
        // one attempt: its category in the middle of the chart (not on the axis), with room for the flat mark of others
        scales: {x: {offset: single, title: {display: true, text: "attempt"}}, y: {title: {display: !!d.unit, text: d.unit},
                                                                          min: d.percent ? 0 : undefined,
                                                                          max: d.percent ? 100 : undefined,
                                                                          beginAtZero: true}},
        plugins: {
          legend: {display: !!d.band || !!(d.others && d.others.length)},
          tooltip: {callbacks: {
            title: function (items) { var i = items[0].dataIndex; return "Attempt " + d.labels[i] + ", " + localTime(d.dates[i]); },
            afterBody: function (items) {
              var i = items[0].dataIndex, m = [];
              if (i === d.first) m.push("first"); if (i === d.latest) m.push("latest"); if (d.bests.indexOf(i) >= 0) m.push(d.best_label || "best");
              return [d.questions[i]].concat(m.length ? ["(" + m.join(", ") + ")"] : []);
            }}}
        }
      }
    });
  });
})();
