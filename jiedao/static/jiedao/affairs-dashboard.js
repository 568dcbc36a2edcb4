// Government-services dashboard: draws the charts from the JSON the page embeds
// (json_script "affairs-data"). Every number comes from the server's selectors; clicking a
// bar or a pie slice opens the ticket list filtered to the tickets it counts.
(function () {
  "use strict";
  var source = document.getElementById("affairs-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var L = data.labels || {};
  var charts = [];

  function make(id, option, rows) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    chart.setOption(option);
    if (rows) {
      chart.on("click", function (params) {
        var row = rows[params.dataIndex];
        if (row && row.url) window.location.href = row.url;
      });
    }
    charts.push(chart);
  }

  function names(rows, key) { return rows.map(function (r) { return r[key || "label"]; }); }
  function values(rows, key) { return rows.map(function (r) { return r[key]; }); }
  var grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
  var percentAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };

  make("chart-channel", {
    tooltip: {
      trigger: "item",
      formatter: Jiedao.tip(function (p) { return p.name + ": " + p.value + " (" + p.percent + "%)"; })
    },
    series: [{
      name: L.count, type: "pie", radius: ["35%", "65%"],
      data: data.channel.map(function (r) { return { name: r.label, value: r.count }; })
    }]
  }, data.channel);

  make("chart-point", {
    tooltip: { trigger: "axis" },
    grid: grid,
    xAxis: { type: "value" },
    yAxis: { type: "category", data: names(data.point), inverse: true },
    series: [{ name: L.count, type: "bar", data: values(data.point, "count") }]
  }, data.point);

  make("chart-monthly", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: grid,
    xAxis: { type: "category", data: names(data.monthly, "month") },
    yAxis: percentAxis,
    series: [
      { name: L.one_trip, type: "line", connectNulls: true, data: values(data.monthly, "one_trip_rate") },
      { name: L.one_go, type: "line", connectNulls: true, data: values(data.monthly, "one_go_rate") },
      { name: L.on_time, type: "line", connectNulls: true, data: values(data.monthly, "on_time_rate") }
    ]
  }, data.monthly);

  if (data.areas.length) {
    make("chart-areas", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: grid,
      xAxis: { type: "category", data: names(data.areas) },
      yAxis: percentAxis,
      series: [
        { name: L.one_trip, type: "bar", data: values(data.areas, "one_trip_rate") },
        { name: L.one_go, type: "bar", data: values(data.areas, "one_go_rate") },
        { name: L.on_time, type: "bar", data: values(data.areas, "on_time_rate") }
      ]
    }, data.areas);
  }

  make("chart-satisfaction", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: grid,
    xAxis: { type: "category", data: names(data.satisfaction) },
    yAxis: [{ type: "value", min: 1, max: 5 }, { type: "value", splitLine: { show: false } }],
    series: [
      { name: L.satisfaction, type: "line", data: values(data.satisfaction, "avg") },
      { name: L.visits, type: "bar", yAxisIndex: 1, barMaxWidth: 32, itemStyle: { opacity: 0.5 },
        data: values(data.satisfaction, "count") }
    ]
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
