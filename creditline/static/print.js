"use strict";
// A [data-print] button prints the page (a javascript: link would break the CSP).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
