/* Draw every [data-figure] element with Plotly (served locally); degrade to a note when it is missing.
   Plotly (about a megabyte) is loaded only on pages that have a chart: this script's data-plotly names it.
   Charts inside a closed <details> are drawn when it is opened (Plotly needs a visible box). */
(function () {
  "use strict";
  var me = document.currentScript;
  var plotlyUrl = me ? me.getAttribute("data-plotly") : null;
  var loading = null;
  function drawOne(el) {
    if (el.getAttribute("data-drawn")) { return; }
    var fig;
    try { fig = JSON.parse(el.getAttribute("data-figure")); } catch (e) { return; }
    if (!window.Plotly) {
      el.classList.add("chart-missing");
      el.setAttribute("data-drawn", "missing");
      el.textContent = "График недоступен: не загружена библиотека Plotly. Данные приведены в таблицах на странице.";
      return;
    }
    el.setAttribute("data-drawn", "pending");
    window.Plotly.newPlot(el, fig.data, fig.layout || {}, {
      displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"]
    }).then(function () {
      el.setAttribute("data-drawn", "1");
      el.on("plotly_click", function (ev) {
        var p = ev && ev.points && ev.points[0];
        if (p && typeof p.customdata === "string" && p.customdata.charAt(0) === "/") {
          window.location.href = p.customdata;
        }
      });
    });
  }
  function hidden(el) {
    var d = el.closest("details");
    while (d) {
      if (!d.open) { return true; }
      d = d.parentElement ? d.parentElement.closest("details") : null;
    }
    return false;
  }
  function withPlotly(then) {
    if (window.Plotly || !plotlyUrl || loading === "done") { then(); return; }
    if (!loading) {
      loading = [];
      var s = document.createElement("script");
      s.src = plotlyUrl;
      s.onload = s.onerror = function () {
        var waiting = loading;
        loading = "done";
        waiting.forEach(function (f) { f(); });
      };
      document.head.appendChild(s);
    }
    loading.push(then);
  }
  function draw() {
    if (!document.querySelector("[data-figure]")) { return; }
    withPlotly(drawAll);
  }
  function drawAll() {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      if (!hidden(el)) { drawOne(el); }
    });
    document.querySelectorAll("details").forEach(function (d) {
      d.addEventListener("toggle", function () {
        if (d.open) { d.querySelectorAll("[data-figure]").forEach(function (el) { if (!hidden(el)) { drawOne(el); } }); }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
