// 12345 charts: every number comes from the server's roll-up selectors (json_script blocks);
// clicking a bar, a committee or an order point opens the rows it counts. Every tooltip
// formatter returns plain text through Jiedao.tip, so no name is ever rendered as HTML.
(function () {
  "use strict";
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function go(url) { if (url) { window.location.href = url; } }
  function pct(v) { return v === null || v === undefined ? "—" : v + "%"; }
  function chartOn(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function monthly(d) {
    var chart = chartOn("hotline-monthly-chart");
    if (!chart) { return; }
    var m = d.monthly, l = d.labels;
    chart.setOption({
      tooltip: {
        trigger: "axis",
        formatter: Jiedao.tip(function (items) {
          var lines = [items.length ? items[0].axisValue : ""];
          items.forEach(function (p) {
            lines.push(p.seriesName + "：" + (p.seriesIndex === 0 ? p.value : pct(p.value)));
          });
          return lines;
        })
      },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: m.months },
      yAxis: [
        { type: "value", minInterval: 1, name: l.orders },
        { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 2)); }, max: 100, name: "%" }
      ],
      series: [
        { name: l.orders, type: "bar", data: m.orders },
        { name: l.response, type: "line", yAxisIndex: 1, data: m.rates.response },
        { name: l.resolution, type: "line", yAxisIndex: 1, data: m.rates.resolution },
        { name: l.satisfaction, type: "line", yAxisIndex: 1, data: m.rates.satisfaction }
      ]
    });
    chart.on("click", function (p) { go(m.urls[p.dataIndex]); });
  }

  function categories(d) {
    var chart = chartOn("hotline-category-chart");
    if (!chart) { return; }
    var c = d.categories;
    chart.setOption({
      tooltip: { trigger: "item", formatter: Jiedao.tip(function (p) { return p.name + "：" + p.value; }) },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: c.names, inverse: true },
      series: [{ type: "bar", name: d.labels.orders, data: c.orders, itemStyle: { color: "#1565c0" } }]
    });
    chart.on("click", function (p) { go(c.urls[p.dataIndex]); });
  }

  function map(d) {
    var el = document.getElementById("hotline-map");
    if (!el || !d) { return; }
    if (!d.geo.features.length) { el.hidden = true; return; }
    echarts.registerMap("hotline-orgs", d.geo);
    var max = 1;
    d.regions.forEach(function (r) { if (r.value > max) { max = r.value; } });
    var chart = echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: Jiedao.tip(function (p) {
          return p.seriesType === "scatter" ? p.name : p.name + "：" + (p.value || 0);
        })
      },
      visualMap: {
        min: 0, max: max, left: 8, bottom: 8, seriesIndex: 0, calculable: false,
        text: [String(max), "0"], inRange: { color: ["#fff3e0", "#e65100"] }
      },
      geo: { map: "hotline-orgs", roam: true, label: { show: true, fontSize: 10 } },
      series: [
        { type: "map", geoIndex: 0, name: d.labels.orders, data: d.regions },
        { type: "scatter", coordinateSystem: "geo", name: d.labels.point, data: d.points,
          symbolSize: 6, itemStyle: { color: "#ef6c00" } }
      ]
    });
    chart.on("click", function (p) { go(p.data && p.data.url); });
  }

  function ranking(d) {
    var chart = chartOn("hotline-ranking-chart");
    if (!chart) { return; }
    chart.setOption({
      tooltip: { trigger: "item", formatter: Jiedao.tip(function (p) { return p.name + "：" + (p.value === null ? "—" : p.value); }) },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: d.names },
      yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 2)); }, max: 100, name: d.label },
      series: [{ type: "bar", name: d.label, data: d.scores, itemStyle: { color: "#2e7d32" } }]
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    var d = json("hotline-dashboard-data");
    if (d) { monthly(d); categories(d); }
    map(json("hotline-map-data"));
    var r = json("hotline-ranking-data");
    if (r) { ranking(r); }
  });
})();
