// Business-environment pages: the building map (our own GeoJSON, no external tiles), the
// dashboard's chart (from the JSON the page embeds) and the meeting form's "another decision"
// button. Every number comes from the server's selectors; clicking a point or a bar opens the
// rows it stands for.
(function () {
  "use strict";

  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function keepSized(chart) {
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // --- building map ------------------------------------------------------------------------
  function drawMap() {
    var el = document.getElementById("building-map");
    var points = json("building-map-data");
    if (!el || !points || !window.echarts) return;
    var chart = echarts.init(el);
    keepSized(chart);
    var scatter = {
      type: "scatter",
      data: points,
      symbolSize: function (value) { return Math.max(8, Math.min(24, 6 + Math.sqrt(value[2] || 0) * 2)); },
      tooltip: { formatter: Jiedao.tip(function (p) { return p.name + " · " + p.value[2]; }) },
      itemStyle: { color: "#1565c0" }
    };
    chart.on("click", function (p) {
      if (p.data && p.data.url) window.location.href = p.data.url;
    });
    function plain() {
      // No boundaries to draw: longitude and latitude on plain axes.
      chart.setOption({
        tooltip: { trigger: "item" },
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "value", scale: true, name: "lon" },
        yAxis: { type: "value", scale: true, name: "lat" },
        series: [scatter]
      });
    }
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (geo) {
        var features = (geo.features || []).filter(function (f) { return f.geometry; });
        var committees = features.filter(function (f) { return f.properties.kind === "committee"; });
        var shown = committees.length ? committees : features;
        if (!shown.length) return plain();
        shown.forEach(function (f) { f.properties.name = f.properties.name || f.properties.code; });
        echarts.registerMap("jiedao-business", { type: "FeatureCollection", features: shown });
        scatter.coordinateSystem = "geo";
        chart.setOption({
          tooltip: { trigger: "item" },
          geo: {
            map: "jiedao-business", roam: true,
            label: { show: true, fontSize: 10, color: "#607d8b" },
            itemStyle: { areaColor: "#eceff1", borderColor: "#90a4ae" },
            emphasis: { label: { show: true }, itemStyle: { areaColor: "#cfd8dc" } }
          },
          series: [scatter]
        });
      })
      .catch(plain);
  }

  // --- dashboard ---------------------------------------------------------------------------
  function drawDashboard() {
    var data = json("business-dashboard-data");
    var el = document.getElementById("chart-requests");
    if (!data || !data.monthly || !el || !window.echarts) return;
    var m = data.monthly;
    var chart = echarts.init(el);
    keepSized(chart);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: m.months },
      yAxis: { type: "value", minInterval: 1, name: (data.labels || {}).count },
      series: m.types.map(function (t) {
        return { name: t.name, type: "bar", stack: "requests",
                 data: t.cells.map(function (c) { return c.count; }) };
      })
    });
    chart.on("click", function (p) {
      var t = m.types[p.seriesIndex];
      var cell = t && t.cells[p.dataIndex];
      if (cell && cell.url) window.location.href = cell.url;
    });
  }

  // --- meeting form: one more decision row -------------------------------------------------
  function decisionRows() {
    var button = document.getElementById("add-decision");
    var template = document.getElementById("decision-empty");
    if (!button || !template) return;
    var prefix = button.dataset.prefix;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var rows = document.getElementById("decision-rows");
    if (!total || !rows) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var n = parseInt(total.value, 10);
      if (max && n >= parseInt(max.value, 10)) return;
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(n)));
      total.value = String(n + 1);
    });
  }

  drawMap();
  drawDashboard();
  decisionRows();
})();
