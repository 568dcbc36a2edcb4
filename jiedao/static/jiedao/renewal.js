// Urban-renewal dashboard: the burn-up chart (cumulative shares agreed, signed, cleared) with
// the project's two thresholds drawn as lines. Every number comes from the server's selectors.
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function drawBurnup() {
    var el = document.getElementById("renewal-burnup");
    var d = json("renewal-burnup-data");
    if (!el || !d || !window.echarts) return;
    var chart = echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    function line(name, data, color, marks) {
      var s = { name: name, type: "line", data: data, showSymbol: false, lineStyle: { color: color }, itemStyle: { color: color } };
      if (marks) s.markLine = { symbol: "none", label: { formatter: "{b} {c}%" }, data: marks };
      return s;
    }
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: d.days },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        line(d.labels.agreed, d.agreed, "#1565c0", [
          { name: d.labels.agree_threshold, yAxis: d.agree_threshold, lineStyle: { color: "#1565c0", type: "dashed" } },
          { name: d.labels.sign_threshold, yAxis: d.sign_threshold, lineStyle: { color: "#2e7d32", type: "dashed" } }
        ]),
        line(d.labels.signed, d.signed, "#2e7d32"),
        line(d.labels.cleared, d.cleared, "#ef6c00")
      ]
    });
  }

  document.addEventListener("DOMContentLoaded", drawBurnup);
})();
