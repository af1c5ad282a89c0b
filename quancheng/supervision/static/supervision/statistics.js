// Draws each statistics chart from its JSON (a plotly figure made on the server).
(function () {
  "use strict";
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || !window.Plotly) return;
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      displaylogo: false,
      responsive: true,
      locale: "zh-CN",
      modeBarButtonsToRemove: ["sendDataToCloud"],
    }).then(function () {
      element.classList.add("chart-ready");
    });
  });
})();
