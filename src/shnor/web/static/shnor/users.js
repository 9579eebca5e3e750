// User management pages: "select all" checkboxes, the print button, and on a user's form only the
// fields the chosen role uses (no inline handlers: CSP).
(function () {
  "use strict";
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    var name = box.getAttribute("data-check-all");
    box.addEventListener("change", function () {
      var form = box.closest("form") || document;
      form.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var role = document.getElementById("id_role");
  if (role) {
    var uses = {
      municipality: ["municipality"], school: ["school"], teacher: ["school"], curator: ["curated"],
      region: ["users_admin"], observer: []
    };
    var optional = ["municipality", "school", "curated", "users_admin"];
    var show = function () {
      var wanted = uses[role.value] || [];
      optional.forEach(function (name) {
        var p = document.querySelector("p.field-" + name);
        if (p) p.hidden = wanted.indexOf(name) < 0;
      });
    };
    role.addEventListener("change", show);
    show();
  }
})();
