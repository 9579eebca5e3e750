/* The menu: its groups are <details> (they open by keyboard and without script); this only closes the
   other groups when one opens, closes them on Escape or a click elsewhere, and on narrow screens shows
   and hides the whole menu with the «Меню» button (aria-expanded). */
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  if (!header) { return; }
  var nav = header.querySelector("nav");
  var toggle = header.querySelector(".menu-toggle");
  if (!nav) { return; }
  document.documentElement.classList.add("js-menu");
  var groups = Array.prototype.slice.call(nav.querySelectorAll("details.menu-group"));
  function closeAll(except) {
    groups.forEach(function (d) { if (d !== except && d.open) { d.open = false; } });
  }
  groups.forEach(function (d) {
    d.addEventListener("toggle", function () { if (d.open) { closeAll(d); } });
  });
  document.addEventListener("click", function (ev) {
    if (!nav.contains(ev.target)) { closeAll(null); }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var open = groups.filter(function (d) { return d.open; })[0];
    closeAll(null);
    if (open) { open.querySelector("summary").focus(); }
  });
  if (toggle) {
    toggle.addEventListener("click", function () {
      var expanded = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
      header.classList.toggle("menu-open", !expanded);
    });
  }
})();
