/* Form behaviour without inline event handlers (the Content-Security-Policy allows no inline script):
   <select data-autosubmit> submits its form when changed;
   <select data-split-into="level unit"> splits its value at "|" into the form's fields of those names. */
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (!el || !el.form) { return; }
    var into = el.getAttribute("data-split-into");
    if (into) {
      var parts = el.value.split("|");
      into.split(/\s+/).forEach(function (name, i) {
        var field = el.form.elements[name];
        if (field) { field.value = parts[i] || ""; }
      });
    }
    if (el.hasAttribute("data-autosubmit")) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
  });
})();
