// Big Five bar chart: the candidate beside the stored averages (Chart.js).
(function () {
  var el = document.getElementById("big5-data");
  var canvas = document.getElementById("big5-chart");
  if (!el || !canvas || typeof Chart === "undefined") return;
  var d = JSON.parse(el.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: d.labels,
      datasets: [
        {label: "You", data: d.you, backgroundColor: "#2f6fdb"},
        {label: "Others, this question", data: d.question, backgroundColor: "#1f8a70"},
        {label: "Others, all questions", data: d.overall, backgroundColor: "#858585"}
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: {y: {min: 0, max: 100, title: {display: true, text: "score (0-100)"}}}
    }
  });
})();
