"use strict";
// A <select data-autosubmit> sends its form when it changes (the filter bars); without
// script the form's own button does it.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
