// Big Five bar chart: the candidate beside the stored averages (Chart.js).
(function () {
  var el = document.getElementById("big5-data");
  var canvas = document.getElementById("big5-chart");
  if (!el || !canvas || typeof Chart === "undefined") return;
  var d = JSON.parse(el.textContent);
  function any(values) { return (values || []).some(function (v) { return v !== null && v !== undefined; }); }
  var datasets = [{label: "You", data: d.you, backgroundColor: "#2f6fdb"}];
  // others' bars only where there are some: with none, a legend and a name that promise them mislead (a review)
  if (any(d.question)) datasets.push({label: "Others, this question", data: d.question, backgroundColor: "#1f8a70"});
  if (any(d.overall)) datasets.push({label: "Others, all questions", data: d.overall, backgroundColor: "#858585"});
  if (datasets.length === 1) {
    canvas.setAttribute("aria-label", "Chart: your trait scores; the same figures are in the table below");
  }
  new Chart(canvas, {
    type: "bar",
    data: {labels: d.labels, datasets: datasets},
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: {y: {min: 0, max: 100, title: {display: true, text: "score (0-100)"}}}
    }
  });
})();
