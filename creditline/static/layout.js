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
  // The navigation's menus (Lending, Fund, Admin...) are disclosure buttons: one open at a time,
  // Escape or a click elsewhere closes it. Without this script their links simply show in the bar.
  var groups = document.querySelectorAll(".nav-group-toggle");
  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    document.getElementById(button.getAttribute("aria-controls")).hidden = !open;
  }
  function closeAll(except) {
    groups.forEach(function (b) { if (b !== except) { setOpen(b, false); } });
  }
  if (groups.length && bar) {
    bar.classList.add("menus");
    closeAll(null);
    groups.forEach(function (button) {
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        closeAll(button);
        setOpen(button, open);
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var open = document.querySelector('.nav-group-toggle[aria-expanded="true"]');
      if (open) { setOpen(open, false); open.focus(); }
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".nav-group")) { closeAll(null); }
    });
    // Tabbing out of an open menu closes it, so it never covers the page being read.
    document.addEventListener("focusin", function (event) {
      if (!event.target.closest(".nav-group")) { closeAll(null); }
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
