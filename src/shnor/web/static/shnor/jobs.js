// Polls a running job's state and reloads the page when it has finished (no external libraries).
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "1") return;
  var url = box.dataset.statusUrl;
  function poll() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.finished) { window.location.reload(); return; }
        document.getElementById("job-status").textContent = s.status_label;
        var stage = document.getElementById("job-stage");
        if (stage && s.stage) stage.textContent = s.stage;
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
