"use strict";
// Repeat the last tranche row, blank, with its number and labels moved on.
document.getElementById("add-tranche").addEventListener("click", function () {
  var body = document.getElementById("tranche-rows");
  var row = body.rows[body.rows.length - 1].cloneNode(true);
  var n = body.rows.length + 1;
  row.cells[0].textContent = n;
  row.querySelectorAll("input").forEach(function (input) {
    input.value = "";
    input.id = "disbursement_plan-" + (n - 1) + (input.type === "date" ? "-date" : "-amount");
    input.setAttribute("aria-label", "Tranche " + n + (input.type === "date" ? " date" : " amount"));
  });
  body.appendChild(row);
});
