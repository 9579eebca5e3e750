// The new request's form: show only the recipient fields of the chosen way (no external libraries).
(function () {
  var form = document.getElementById("request-form");
  if (!form) return;
  var mode = form.querySelector("select[name=recipients]");
  var kind = form.querySelector("select[name=kind]");
  var show = { listed: [], municipality: ["municipality"], schools: ["schools"], municipalities: ["municipalities"] };
  function update() {
    ["municipality", "schools", "municipalities"].forEach(function (name) {
      var box = form.querySelector(".field-" + name);
      if (box) box.hidden = show[mode.value].indexOf(name) < 0;
    });
    var year = form.querySelector(".field-year");
    if (year) year.hidden = !(kind.value === "roadmap" || mode.value === "listed");
  }
  mode.addEventListener("change", update);
  kind.addEventListener("change", update);
  update();
})();
