// One place where our scripts turn data into HTML. ECharts renders the string a tooltip's
// formatter function returns as HTML (its default tooltips and "{b}" templates escape, a
// function's result does not), and names come from records anyone on the staff may type.
// So no formatter concatenates values itself: it returns plain text through `Jiedao.tip`.
// Loaded by base.html before every module's script.
(function () {
  "use strict";
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

  // Any value as text that is safe inside HTML and inside a quoted attribute.
  function esc(value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"'`]/g, function (c) { return ENTITIES[c]; });
  }

  // A tooltip formatter from `text(params)`, which returns plain text or a list of lines:
  // every line is escaped, and only the line breaks are HTML.
  function tip(text) {
    return function (params) {
      var out = text(params);
      var lines = Array.isArray(out) ? out : [out];
      return lines.map(esc).join("<br>");
    };
  }

  var ns = window.Jiedao = window.Jiedao || {};
  ns.esc = esc;
  ns.tip = tip;
})();
