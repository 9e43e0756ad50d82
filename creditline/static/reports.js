"use strict";
// Draws every <canvas class="report-chart" data-chart="..."> with the vendored Chart.js. The
// figures are always in a table next to the chart as well, so nothing is lost without script.
(function () {
  if (typeof Chart === "undefined") { return; }
  var colours = ["#1f7a4d", "#1d5fa8", "#a86a00", "#b3261e", "#6b4fa8", "#2f8f8f"];
  document.querySelectorAll("canvas.report-chart[data-chart]").forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var funnel = spec.type === "funnel";
    var datasets = spec.series.map(function (s, i) {
      return { label: s.label, data: s.data, borderColor: colours[i % colours.length],
               backgroundColor: colours[i % colours.length], fill: false, tension: 0.2 };
    });
    canvas.chart = new Chart(canvas, {
      type: funnel ? "bar" : spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        // A funnel is a horizontal bar per stage, the widest at the top.
        indexAxis: funnel ? "y" : "x",
        animation: false,
        responsive: true,
        plugins: { title: { display: true, text: spec.title }, legend: { display: spec.series.length > 1 } },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  });
}());
