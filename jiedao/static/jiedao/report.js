// The report card's charts: each module's yearly flows, from the JSON the page embeds (every
// number is the registry's, computed from the roll-ups); they print with the page (A4).
(function () {
  "use strict";
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    (json("report-charts") || []).forEach(function (d) {
      var el = document.getElementById(d.id);
      if (!el || !d.series.length) { return; }
      var chart = echarts.init(el);
      chart.setOption({
        animation: false,
        tooltip: {
          trigger: "axis",
          formatter: Jiedao.tip(function (items) {
            return [items.length ? items[0].axisValue : ""].concat(items.map(function (p) {
              return p.seriesName + "：" + (p.value === null || p.value === undefined ? "—" : p.value) + (d.unit || "");
            }));
          })
        },
        legend: { top: 0, type: "scroll" },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: d.years },
        yAxis: { type: "value", name: d.unit || "" },
        series: d.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
      });
      window.addEventListener("resize", function () { chart.resize(); });
      window.addEventListener("beforeprint", function () { chart.resize(); });
    });
  });
})();
