/**
 * The page's only script besides uPlot: it draws one latency chart per region from the JSON the
 * renderer embedded (`#status-data`). Everything else on the page is rendered, escaped, on the
 * server side, so the page reads the same with scripts off (minus the charts).
 * Kept as plain ES5-ish JavaScript in a string: it is inlined, never bundled or transpiled.
 */
export const PAGE_SCRIPT = `(function () {
  'use strict';
  var holder = document.getElementById('status-data');
  if (!holder || typeof uPlot === 'undefined') return;
  var data = JSON.parse(holder.textContent || '{}');
  var colors = ['#5b7cfa', '#e8a33d', '#2fb36b', '#d9485f'];
  var labels = ['DNS', 'connect', 'TLS', 'first byte'];
  var charts = {};
  window.statusCharts = charts;
  function ms(u, v) { return v == null ? '-' : v.toFixed(1) + ' ms'; }
  (data.charts || []).forEach(function (c) {
    var el = document.getElementById(c.id);
    if (!el) return;
    var opts = {
      width: Math.max(320, el.clientWidth || 640),
      height: 200,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
      scales: { x: { time: true } },
      series: [{ label: 'time (UTC)' }].concat(labels.map(function (l, i) {
        return { label: l, stroke: colors[i], width: 1.5, value: ms };
      })),
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return v + ' ms'; }); }, size: 70 }]
    };
    var u = new uPlot(opts, [c.t].concat(c.series), el);
    charts[c.region] = u;
    el.setAttribute('data-rendered-points', String(u.data[0].length));
  });
  document.documentElement.setAttribute('data-charts', 'ready');
})();
`;
