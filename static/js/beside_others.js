// Bar charts of a candidate's figures beside other candidates' averages (Chart.js), one for every
// <canvas data-beside-others="ID">, where ID is a JSON element {labels, you, question, overall, unit?}: the
// Big Five of a written answer, the expressions and vocal emotions of a recording. The y axis reads the
// data's unit, else the canvas's data-unit; with no others' figures, its aria-label becomes data-label-alone.
(function () {
  if (typeof Chart === "undefined") return;
  function any(values) { return (values || []).some(function (v) { return v !== null && v !== undefined; }); }
  document.querySelectorAll("canvas[data-beside-others]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-beside-others"));
    if (!source) return;
    var d = JSON.parse(source.textContent);
    var datasets = [{label: "You", data: d.you, backgroundColor: "#2f6fdb"}];
    // others' bars only where there are some: with none, a legend and a name that promise them mislead (a review)
    if (any(d.question)) datasets.push({label: "Others, this question", data: d.question, backgroundColor: "#1f8a70"});
    if (any(d.overall)) datasets.push({label: "Others, all questions", data: d.overall, backgroundColor: "#858585"});
    if (datasets.length === 1 && canvas.hasAttribute("data-label-alone")) {
      canvas.setAttribute("aria-label", canvas.getAttribute("data-label-alone"));
    }
    new Chart(canvas, {
      type: "bar",
      data: {labels: d.labels, datasets: datasets},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
        scales: {y: {min: 0, max: 100, title: {display: true, text: d.unit || canvas.getAttribute("data-unit") || ""}}}}
    });
  });
})();
