// The phone layout's behaviour. Without this script the menu simply stays open.
(function () {
  // On a phone the main navigation folds behind the Menu button.
  var toggle = document.querySelector(".menu-toggle");
  var bar = document.querySelector(".topbar");
  if (toggle && bar) {
    bar.classList.add("collapsible");
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // A table wider than the screen scrolls inside its own box; keyboard users must be able to
  // reach it to scroll it, so it takes focus only while it overflows.
  function focusableWhenScrolling() {
    document.querySelectorAll("table.data").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute("tabindex", "0");
      } else if (table.getAttribute("tabindex") === "0") {
        table.removeAttribute("tabindex");
      }
    });
  }
  focusableWhenScrolling();
  window.addEventListener("resize", focusableWhenScrolling);
})();
