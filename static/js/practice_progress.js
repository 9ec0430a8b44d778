// Progress over attempts: one Chart.js line chart per figure, first / latest / best marked.
(function () {
  if (typeof Chart === "undefined") return;
  var MARKS = {first: {style: "rectRot", color: "#6b4fbb"}, latest: {style: "triangle", color: "#c2410c"},
               best: {style: "star", color: "#1a7f37"}};
  document.querySelectorAll("script.progress-data").forEach(function (el) {
    var d = JSON.parse(el.textContent);
    var canvas = document.getElementById(el.dataset.canvas);
    if (!canvas) return;
    function markOf(i) {
      return i === d.best ? "best" : i === d.latest ? "latest" : i === d.first ? "first" : null;
    }
    var styles = d.values.map(function (_, i) { var m = markOf(i); return m ? MARKS[m].style : "circle"; });
    var radii = d.values.map(function (_, i) { return markOf(i) ? 8 : 3; });
    var colors = d.values.map(function (_, i) { var m = markOf(i); return m ? MARKS[m].color : "#2f6fdb"; });
    var datasets = [{label: d.name + (d.unit ? " (" + d.unit + ")" : ""), data: d.values, borderColor: "#2f6fdb",
                     backgroundColor: colors, pointStyle: styles, pointRadius: radii, pointHoverRadius: radii,
                     tension: 0, fill: false}];
    if (d.band) {
      [0, 1].forEach(function (k) {
        datasets.push({label: k ? "Comfortable pace, upper" : "Comfortable pace, lower",
                       data: d.values.map(function () { return d.band[k]; }), borderColor: "#9aa3b5",
                       borderDash: [6, 4], pointRadius: 0, fill: false});
      });
    }
    new Chart(canvas, {
      type: "line",
      data: {labels: d.labels.map(function (n) { return "#" + n; }), datasets: datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {x: {title: {display: true, text: "attempt"}}, y: {title: {display: !!d.unit, text: d.unit},
                                                                          min: d.percent ? 0 : undefined,
                                                                          max: d.percent ? 100 : undefined,
                                                                          beginAtZero: true}},
        plugins: {
          legend: {display: !!d.band},
          tooltip: {callbacks: {
            title: function (items) { var i = items[0].dataIndex; return "Attempt " + d.labels[i] + ", " + d.dates[i]; },
            afterBody: function (items) {
              var i = items[0].dataIndex, m = [];
              if (i === d.first) m.push("first"); if (i === d.latest) m.push("latest"); if (i === d.best) m.push("best");
              return [d.questions[i]].concat(m.length ? ["(" + m.join(", ") + ")"] : []);
            }}}
        }
      }
    });
  });
})();
