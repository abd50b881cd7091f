// Charts of the analytics pages, drawn with the vendored Apache ECharts
// (/assets/echarts.js, loaded before this file). No build step: plain ES2019.
//
// Markup (rendered by the `chart` macro in templates/chart.html):
//   <figure class="chart" id="…">
//     <figcaption>title</figcaption>
//     <div class="chart-canvas" aria-hidden="true"></div>
//     <script type="application/json" class="chart-spec">SPEC</script>
//     <table>the same numbers, for screen readers and browsers without JS</table>
//   </figure>
// Once the chart is drawn, the table is folded into a <details> below it.
//
// SPEC, as the server writes it (crates/web/src/ui/chart.rs):
//   {"kind": "line" | "bar",
//    "x": ["2026-11-01", …] | ["Mo", …],          category labels, already localised
//    "series": [{"name": "CSAT", "values": [4.1, null, 3.9], "stack": null | "s"}],
//                                                  null is a gap; equal stack names stack
//    "unit": "number" | "percent" | "hours" | "money",
//                                                  percent values are 0–100
//    "currency": "EUR",                            only with "money"
//    "decimals": 1}
//   {"kind": "heatmap",
//    "x": ["Mo", "Di", …], "y": ["0", "1", …, "23"],
//    "cells": [[xi, yi, value], …],                value may be 0
//    "unit": "number", "decimals": 0}
//
// Numbers are formatted with Intl.NumberFormat in the page language
// (<html lang>): German 69,3 %, 1.234,5; English 69.3%, 1,234.5.
(function () {
  "use strict";

  var lang = document.documentElement.lang === "de" ? "de" : "en";
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  // The accent colour of app.css first, then Okabe–Ito (colour-blind safe).
  function palette() {
    return [cssVar("--accent", "#0072b2"), "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];
  }

  // Tooltips are HTML: labels from the server are text.
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Returns format(value) for tooltips and axis(value) for axis labels.
  function formatters(spec) {
    var d = typeof spec.decimals === "number" ? spec.decimals : 0;
    var exact = { minimumFractionDigits: d, maximumFractionDigits: d };
    var loose = { minimumFractionDigits: 0, maximumFractionDigits: d };
    function make(opts, scale, suffix) {
      var nf = new Intl.NumberFormat(lang, opts);
      return function (v) {
        if (v === null || v === undefined || v === "-" || isNaN(v)) return "—";
        return nf.format(v * scale) + suffix;
      };
    }
    function both(base, scale, suffix) {
      return {
        format: make(Object.assign({}, base, exact), scale, suffix),
        axis: make(Object.assign({}, base, loose), scale, suffix),
      };
    }
    switch (spec.unit) {
      case "percent":
        return both({ style: "percent" }, 0.01, "");
      case "money":
        return both({ style: "currency", currency: spec.currency || "EUR" }, 1, "");
      case "hours":
        return both({}, 1, "\u00a0h");
      default:
        return both({}, 1, "");
    }
  }

  function common(fmt) {
    var fg = cssVar("--fg", "#1d2330");
    return {
      animation: !reducedMotion,
      aria: { enabled: true },
      color: palette(),
      textStyle: { color: fg, fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { confine: true, valueFormatter: fmt.format },
    };
  }

  // Category labels: level while they fit, slanted when crowded, upright on a
  // narrow phone; long ones are cut (the tooltip and the table have them whole).
  function categoryLabels(spec, canvas) {
    var longest = spec.x.reduce(function (m, l) { return Math.max(m, String(l).length); }, 0) * 6.5;
    var band = (canvas.clientWidth - 60) / Math.max(spec.x.length, 1);
    var rotate = longest <= band - 8 ? 0 : band >= 28 ? 35 : 90;
    return {
      color: cssVar("--muted", "#5b6475"),
      interval: rotate ? 0 : "auto",
      hideOverlap: true,
      rotate: rotate,
      width: rotate === 90 ? 56 : 96,
      overflow: "truncate",
    };
  }

  function seriesOption(spec, fmt, canvas) {
    var muted = cssVar("--muted", "#5b6475");
    var line = cssVar("--line", "#d9dde4");
    var opt = common(fmt);
    opt.tooltip.trigger = "axis";
    opt.legend = { bottom: 0, type: "scroll", icon: spec.kind === "line" ? "roundRect" : "rect" };
    opt.grid = { left: 8, right: 16, top: 16, bottom: 36, containLabel: true };
    opt.xAxis = {
      type: "category",
      data: spec.x,
      axisLabel: categoryLabels(spec, canvas),
      axisLine: { lineStyle: { color: muted } },
    };
    opt.yAxis = {
      type: "value",
      max: spec.unit === "percent" ? 100 : null,
      axisLabel: { color: muted, formatter: fmt.axis },
      splitLine: { lineStyle: { color: line } },
    };
    opt.series = spec.series.map(function (s) {
      return {
        name: s.name,
        type: spec.kind,
        data: s.values,
        stack: s.stack || undefined,
        barMaxWidth: 48,
        showSymbol: spec.x.length <= 31,
        connectNulls: false,
        emphasis: { focus: "series" },
      };
    });
    return opt;
  }

  function heatmapOption(spec, fmt) {
    var muted = cssVar("--muted", "#5b6475");
    var accent = cssVar("--accent", "#0b5cad");
    var max = 0;
    spec.cells.forEach(function (c) { if (c[2] > max) max = c[2]; });
    var opt = common(fmt);
    opt.tooltip.formatter = function (p) {
      return escapeHtml(spec.x[p.value[0]] + " · " + spec.y[p.value[1]]) + ": <b>" + escapeHtml(fmt.format(p.value[2])) + "</b>";
    };
    opt.grid = { left: 8, right: 16, top: 16, bottom: 56, containLabel: true };
    opt.xAxis = { type: "category", data: spec.x, axisLabel: { color: muted } };
    opt.yAxis = { type: "category", data: spec.y, axisLabel: { color: muted, hideOverlap: true } };
    opt.visualMap = {
      type: "continuous",
      min: 0,
      max: max || 1,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      itemHeight: 160,
      text: [fmt.axis(max), fmt.axis(0)],
      textStyle: { color: muted },
      inRange: { color: ["#f2f6fb", accent] },
    };
    opt.series = [{ type: "heatmap", data: spec.cells, emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } } }];
    return opt;
  }

  function foldTable(figure) {
    var table = figure.querySelector("table");
    if (!table || table.parentElement.tagName === "DETAILS") return;
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = lang === "de" ? "Zahlen als Tabelle" : "Numbers as a table";
    details.appendChild(summary);
    table.parentNode.insertBefore(details, table);
    details.appendChild(table);
  }

  function draw(figure) {
    var canvas = figure.querySelector(".chart-canvas");
    var source = figure.querySelector("script.chart-spec");
    if (!canvas || !source || !window.echarts) return null;
    var spec = JSON.parse(source.textContent);
    var fmt = formatters(spec);
    figure.classList.add("chart-drawn"); // shows the canvas (app.css), so it has a size
    var chart = window.echarts.init(canvas, null, { renderer: "svg", locale: lang === "de" ? "DE" : "EN" });
    chart.setOption(spec.kind === "heatmap" ? heatmapOption(spec, fmt) : seriesOption(spec, fmt, canvas));
    foldTable(figure);
    function resize() {
      if (spec.kind !== "heatmap") chart.setOption({ xAxis: { axisLabel: categoryLabels(spec, canvas) } });
      chart.resize();
    }
    if (window.ResizeObserver) {
      new ResizeObserver(resize).observe(canvas);
    } else {
      window.addEventListener("resize", resize);
    }
    return chart;
  }

  function init() {
    document.querySelectorAll("figure.chart").forEach(function (figure) {
      try {
        draw(figure);
      } catch (e) {
        // The table stays visible; a broken chart must not break the page.
        if (window.console) console.error("chart", figure.id, e);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
