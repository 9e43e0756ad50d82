// On a phone the main navigation folds behind the Menu button; without this script it stays open.
(function () {
  var toggle = document.querySelector(".menu-toggle");
  var bar = document.querySelector(".topbar");
  if (!toggle || !bar) { return; }
  bar.classList.add("collapsible");
  toggle.addEventListener("click", function () {
    var open = bar.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
