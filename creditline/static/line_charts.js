"use strict";
// Draws every <canvas class="line-chart" data-chart="..."> from the JSON in its data attribute
// (built by creditline.monitoring.chart_spec; the CSP allows no inline script): monthly series, horizontal thresholds (baseline,
// target, grant bands) labelled at their right end, an optional shaded gap between two series and
// a divider between the baseline and the reporting months. The same figures are in the table
// under each chart, so nothing is lost without script.
(function () {
  if (typeof Chart === "undefined" || !window.creditlineCharts) { return; }
  var fmt = window.creditlineCharts;
  var thresholdColours = ["#52606d", "#1d5fa8", "#a86a00", "#b3261e", "#6b4fa8", "#2f8f8f"];

  // Threshold lines run across the whole plot, even with one month, with their name above the right end;
  // a name that would sit on the one before it goes to the left end, and if that is taken too it is left
  // to the legend and the table.
  var thresholdLines = {
    id: "thresholdLines",
    afterDatasetsDraw: function (chart) {
      var area = chart.chartArea, y = chart.scales.y, ctx = chart.ctx, last = { right: null, left: null };
      var marks = [];
      chart.data.datasets.forEach(function (ds, i) {
        if (ds.threshold === undefined || !chart.isDatasetVisible(i)) { return; }
        marks.push({ y: y.getPixelForValue(ds.threshold), ds: ds });
      });
      marks.sort(function (a, b) { return a.y - b.y; });
      ctx.save();
      marks.forEach(function (m) {
        ctx.strokeStyle = m.ds.borderColor;
        ctx.lineWidth = m.ds.borderWidth;
        ctx.setLineDash(m.ds.borderDash || []);
        ctx.beginPath();
        ctx.moveTo(area.left, m.y);
        ctx.lineTo(area.right, m.y);
        ctx.stroke();
        var side = ["right", "left"].find(function (s) { return last[s] === null || m.y - last[s] >= 13; });
        if (side) {
          ctx.setLineDash([]);
          ctx.font = (fmt.narrow() ? "10px " : "11px ") + Chart.defaults.font.family;
          ctx.textAlign = side;
          ctx.textBaseline = "bottom";
          var x = side === "right" ? area.right - 2 : area.left + 4, w = ctx.measureText(m.ds.label).width;
          // A light backing keeps the name readable where another line runs under it.
          ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
          ctx.fillRect(side === "right" ? x - w - 2 : x - 2, m.y - 14, w + 4, 12);
          ctx.fillStyle = m.ds.borderColor;
          ctx.fillText(m.ds.label, x, m.y - 2);
          last[side] = m.y;
        }
      });
      ctx.restore();
    }
  };

  // A dashed vertical rule between the baseline months and the reporting periods.
  var divider = {
    id: "divider",
    afterDatasetsDraw: function (chart) {
      var at = chart.options.plugins.divider && chart.options.plugins.divider.at;
      if (!at) { return; }
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      var px = (x.getPixelForValue(at - 1) + x.getPixelForValue(at)) / 2;
      ctx.save();
      ctx.strokeStyle = "#7b8794";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.restore();
    }
  };

  function datasets(spec) {
    var out = spec.series.map(function (s) {
      return { label: s.label, data: s.data, borderColor: s.colour, backgroundColor: s.colour,
               showLine: !s.points, pointRadius: s.points ? 4 : 3, pointStyle: "circle", borderWidth: 2, tension: 0,
               spanGaps: false };
    });
    if (spec.shade) {
      // The avoided quantity: filled from the upper series down to the lower one.
      out[spec.shade[0]].fill = { target: spec.shade[1] };
      out[spec.shade[0]].backgroundColor = "rgba(46, 125, 50, 0.25)";
    }
    spec.thresholds.forEach(function (t, i) {
      var colour = thresholdColours[i % thresholdColours.length];
      // One dataset per threshold: it names the line in the legend and the tooltip and widens the axis
      // to include it; the plugin above draws it across the plot.
      out.push({ label: t.label, threshold: t.value, data: spec.labels.map(function () { return t.value; }),
                 borderColor: colour, backgroundColor: colour, borderWidth: i === 0 ? 2 : 1.5,
                 borderDash: i === 0 ? [] : [6, 4], showLine: false, pointRadius: 0, pointHoverRadius: 0,
                 pointStyle: "line" });
    });
    return out;
  }

  document.querySelectorAll("canvas.line-chart[data-chart]").forEach(function (canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    canvas.chart = new Chart(canvas, {
      type: "line",
      data: { labels: spec.labels, datasets: datasets(spec) },
      plugins: [thresholdLines, divider],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          divider: { at: spec.divider },
          // A dot for a measured series, a short line for a threshold: the legend reads like the plot.
          legend: { labels: { usePointStyle: true } },
          title: { display: false },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? spec.titles[items[0].dataIndex] : ""; },
              label: function (item) {
                return item.dataset.label + ": " + fmt.figure(item.parsed.y) + " " + spec.y_title;
              }
            }
          }
        },
        scales: {
          x: { title: { display: true, text: spec.x_title }, ticks: fmt.categoryTicks() },
          // Headroom above the highest line, so the name written above it stays inside the plot.
          y: { beginAtZero: true, grace: "8%", title: { display: true, text: spec.y_title },
               ticks: { callback: function (value) { return fmt.figure(value); } } }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  });
}());
