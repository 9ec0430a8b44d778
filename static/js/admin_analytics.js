// Admin analytics charts (Chart.js): daily averages, answers per day, all-time histogram.
// Data comes from the JSON block #analytics-data (no inline scripts: the CSP forbids them).
(function () {
  var el = document.getElementById("analytics-data");
  if (!el || typeof Chart === "undefined") return;
  var d = JSON.parse(el.textContent);
  // 12 distinct colours (no family has more series: big5 5, face 7, voice 8, speech 9, gaze 7), each at least 3:1
  // against the white background; past 12 a series would repeat a colour, so it gets a dashed line.
  // The first five (the Big Five's lines) are far apart in hue; each line also has its own point shape,
  // so lines stay apart for readers who tell some of these colours apart poorly.
  var palette = ["#2f6fdb", "#d9480f", "#2b8a3e", "#ae3ec9", "#0c8599", "#b35c00", "#c2255c", "#5c940d",
                 "#1b1b7a", "#7a4a1f", "#5f6368", "#8f1d8f"];
  var shapes = ["circle", "triangle", "rect", "rectRot", "star", "crossRot", "rectRounded", "cross"];
  function colour(i) { return palette[i % palette.length]; }
  function shape(i) { return shapes[i % shapes.length]; }
  function dash(i) { return i >= palette.length ? [6, 3] : []; }
  var base = {responsive: true, maintainAspectRatio: false, animation: false};

  var series = document.getElementById("series-chart");
  if (series && d.series.length) {
    new Chart(series, {
      type: "line",
      data: {
        labels: d.days,
        datasets: d.series.map(function (s, i) {
          return {label: s.label, data: s.data, borderColor: colour(i), backgroundColor: colour(i),
                  borderDash: dash(i), spanGaps: true, pointStyle: shape(i), pointRadius: 4, tension: 0.2};
        })
      },
      options: Object.assign({}, base, {
        interaction: {mode: "index", intersect: false},
        // each value with the decimals the tables give it (d.decimals, from the server, which rounded the data
        // already): Chart.js's own label drops a trailing zero ("12" beside the table's "12.0")
        plugins: {legend: {labels: {usePointStyle: true}},
                  tooltip: {callbacks: {label: function (item) {
                    var v = item.parsed.y;
                    return (item.dataset.label ? item.dataset.label + ": " : "") +
                           (v === null || v === undefined ? "–" : v.toFixed(d.decimals || 0));
                  }}}},
        // one unit for every line (0-100 scores, % of time...), else each line's unit is in its legend label
        scales: {y: d.fixedScale ? {min: 0, max: 100, title: {display: true,
                                                               text: "daily mean (" + (d.axisUnit || "0-100") + ")"}}
                                 : {title: {display: true, text: "daily mean, in each measure's unit (see the legend)"}}}
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
          return {label: s.label, data: s.data, backgroundColor: colour(i)};
        })
      },
      options: Object.assign({}, base, {scales: {x: {stacked: true},
                                                 y: {stacked: true, beginAtZero: true, ticks: {precision: 0},
                                                     title: {display: true, text: "answers"}}}})
    });
  }

  var hist = document.getElementById("histogram-chart");
  if (hist && d.histogram) {
    new Chart(hist, {
      type: "bar",
      data: {labels: d.histogram.bins,
             datasets: [{label: d.histogram.label, data: d.histogram.counts, backgroundColor: "#5a86d0",
                         categoryPercentage: 1.0, barPercentage: 1.0}]},
      options: Object.assign({}, base, {scales: {
        x: {title: {display: !!d.histogram.unit, text: d.histogram.unit}},
        y: {beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: "results"}}}})
    });
  }
})();
