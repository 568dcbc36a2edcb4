// Livelihood charts: every number comes from the server's selectors (json_script blocks);
// clicking a bar, a committee or a project point opens the rows it counts.
(function () {
  "use strict";
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function go(url) { if (url) { window.location.href = url; } }
  function bars(el, d) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: d.categories },
      yAxis: { type: "value", minInterval: d.unit ? 0 : 1, name: d.unit || "" },
      series: d.series.map(function (s) {
        return { name: s.name, type: "bar", stack: s.stack, data: s.data, emphasis: { focus: "series" } };
      })
    });
    chart.on("click", function (p) {
      var s = d.series[p.seriesIndex];
      if (s && s.urls) { go(s.urls[p.dataIndex]); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function map(el, d) {
    if (!d.geo.features.length) { el.hidden = true; return; }
    echarts.registerMap("lh-orgs", d.geo);
    var max = 1;
    d.regions.forEach(function (r) { if (r.value > max) { max = r.value; } });
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: Jiedao.tip(function (p) {
          return p.seriesType === "scatter" ? p.name : p.name + "：" + (p.value || 0);
        })
      },
      visualMap: {
        min: 0, max: max, left: 8, bottom: 8, seriesIndex: 0, calculable: false,
        text: [String(max), "0"], inRange: { color: ["#e3f2fd", "#1565c0"] }
      },
      geo: { map: "lh-orgs", roam: true, label: { show: true, fontSize: 10 } },
      series: [
        { type: "map", geoIndex: 0, name: d.labels.projects, data: d.regions },
        {
          type: "scatter", coordinateSystem: "geo", name: d.labels.point, data: d.points,
          symbolSize: 8, itemStyle: { color: "#ef6c00" }
        }
      ]
    });
    chart.on("click", function (p) { go(p.data && p.data.url); });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    var charts = json("lh-charts") || [];
    charts.forEach(function (d) {
      var el = document.getElementById(d.id);
      if (el) { bars(el, d); }
    });
    var m = json("lh-map");
    var el = document.getElementById("lh-map-view");
    if (m && el) { map(el, m); }
  });
})();
