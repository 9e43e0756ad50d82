"use strict";
// Draws every <canvas class="report-chart" data-chart="..."> with the vendored Chart.js. The
// figures are always in a table next to the chart as well, so nothing is lost without script.
// Numbers on the axes and in the tooltips carry thousands separators (static/chart_format.js).
(function () {
  if (typeof Chart === "undefined" || !window.creditlineCharts) { return; }
  var fmt = window.creditlineCharts;
  var colours = ["#1f7a4d", "#1d5fa8", "#a86a00", "#b3261e", "#6b4fa8", "#2f8f8f"];
  document.querySelectorAll("canvas.report-chart[data-chart]").forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var funnel = spec.type === "funnel";
    var datasets = spec.series.map(function (s, i) {
      return { label: s.label, data: s.data, borderColor: colours[i % colours.length],
               backgroundColor: colours[i % colours.length], fill: false, tension: 0 };
    });
    // A funnel counts proposals: whole steps. With one series its name (and currency) titles the axis,
    // as no legend is shown.
    var values = { beginAtZero: true, ticks: { precision: funnel ? 0 : undefined,
                                               callback: function (value) { return fmt.amount(value); } },
                   title: { display: spec.series.length === 1, text: spec.series.length ? spec.series[0].label : "" } };
    var categories = { ticks: fmt.categoryTicks() };
    canvas.chart = new Chart(canvas, {
      type: funnel ? "bar" : spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        // A funnel is a horizontal bar per stage, the widest at the top.
        indexAxis: funnel ? "y" : "x",
        responsive: true,
        // Taller than wide on a phone, so the bars and the labels under them stay readable.
        aspectRatio: fmt.narrow() ? 1.1 : 2,
        plugins: {
          title: { display: true, text: spec.title },
          legend: { display: spec.series.length > 1 },
          tooltip: { callbacks: { label: function (item) {
            var v = funnel ? item.parsed.x : item.parsed.y;
            return item.dataset.label + ": " + fmt.amount(v);
          } } }
        },
        scales: funnel ? { x: values, y: categories } : { x: categories, y: values }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  });
}());
