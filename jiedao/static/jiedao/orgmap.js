// Draws the org units' boundaries from our own GeoJSON with ECharts (no external tiles).
(function () {
  var el = document.getElementById("org-map");
  if (!el || !window.echarts) return;
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      geo.features.forEach(function (f) { f.properties.name = f.properties.name || f.properties.code; });
      var shown = { type: "FeatureCollection", features: geo.features.filter(function (f) { return f.properties.kind === "committee"; }) };
      if (!shown.features.length) shown = geo;
      echarts.registerMap("jiedao-org", shown);
      var chart = echarts.init(el);
      chart.setOption({
        tooltip: { trigger: "item", formatter: Jiedao.tip(function (p) { return p.name; }) },
        series: [{ type: "map", map: "jiedao-org", roam: true, label: { show: true, fontSize: 10 },
                   data: shown.features.map(function (f) { return { name: f.properties.name, value: 1 }; }) }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
})();
