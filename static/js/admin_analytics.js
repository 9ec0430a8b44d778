// Admin analytics charts (Chart.js): daily averages, answers per day, all-time histogram.
// Data comes from the JSON block #analytics-data (no inline scripts: the CSP forbids them).
(function () {
  var el = document.getElementById("analytics-data");
  if (!el || typeof Chart === "undefined") return;
  var d = JSON.parse(el.textContent);
  var palette = ["#2f6fdb", "#d9480f", "#2b8a3e", "#ae3ec9", "#f08c00", "#0c8599", "#c2255c", "#5c940d"];
  var base = {responsive: true, maintainAspectRatio: false, animation: false};

  var series = document.getElementById("series-chart");
  if (series && d.series.length) {
    new Chart(series, {
      type: "line",
      data: {
        labels: d.days,
        datasets: d.series.map(function (s, i) {
          return {label: s.label, data: s.data, borderColor: palette[i % palette.length],
                  backgroundColor: palette[i % palette.length], spanGaps: true, pointRadius: 2, tension: 0.2};
        })
      },
      options: Object.assign({}, base, {
        interaction: {mode: "index", intersect: false},
        scales: {y: d.fixedScale ? {min: 0, max: 100, title: {display: true, text: "daily mean (0-100)"}}
                                 : {title: {display: true, text: "daily mean"}}}
      })
    });
  }

  var answers = document.getElementById("answers-chart");
  if (answers) {
    new Chart(answers, {
      type: "bar",
      data: {
        labels: d.days,
        datasets: d.answers.map(function (s, i) {
          return {label: s.label, data: s.data, backgroundColor: palette[i % palette.length]};
        })
      },
      options: Object.assign({}, base, {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}})
    });
  }

  var hist = document.getElementById("histogram-chart");
  if (hist && d.histogram) {
    new Chart(hist, {
      type: "bar",
      data: {labels: d.histogram.bins,
             datasets: [{label: d.histogram.label, data: d.histogram.counts, backgroundColor: "#9bb7e8",
                         categoryPercentage: 1.0, barPercentage: 1.0}]},
      options: Object.assign({}, base, {scales: {y: {beginAtZero: true, title: {display: true, text: "results"}}}})
    });
  }
})();
