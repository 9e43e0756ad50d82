"use strict";
// Numbers and shared options for every Chart.js chart of the app (reports, monitoring,
// verification), so axes and tooltips read as the tables beside them do: thousands separators,
// four significant digits for measured figures, legends under the plot where they cover nothing.
(function () {
  if (typeof Chart === "undefined") { return; }

  // The same rule as creditline.monitoring.band_progress.figure_text: 13.33, 0.001235, 12,346.
  function figure(value) {
    if (value === null || value === undefined || !isFinite(value)) { return ""; }
    var size = Math.abs(value);
    var digits = (size >= 1000 || size === 0) ? 0 : Math.max(0, 3 - Math.floor(Math.log10(size)));
    return Number(value).toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
  }

  // Amounts on a money or count axis: 80,000 or 12,500.5 (never 8e4).
  function amount(value) {
    if (value === null || value === undefined || !isFinite(value)) { return ""; }
    return Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
  }

  function narrow() { return window.matchMedia("(max-width: 520px)").matches; }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1f2933";
  Chart.defaults.animation = false;
  // A legend under the plot never covers a line or a bar; small boxes keep it to few rows on a phone.
  Chart.defaults.plugins.legend.position = "bottom";
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;
  Chart.defaults.plugins.title.font = { weight: "bold", size: 13 };

  // Category labels ("Jan 2026") stay level and thin out rather than slant over each other.
  function categoryTicks() {
    return { maxRotation: 0, autoSkip: true, autoSkipPadding: 10, font: { size: narrow() ? 10 : 12 } };
  }

  window.creditlineCharts = { figure: figure, amount: amount, narrow: narrow, categoryTicks: categoryTicks };
}());
