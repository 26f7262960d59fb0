import { formatDuration } from '../github/incident-issues.js';
import { MAX_CHART_POINTS } from './downsample.js';
import { cssToken, escapeHtml as h, jsonForScript } from './html-escape.js';
import { PAGE_SCRIPT } from './page-script.js';
import { UPTIME_WINDOWS, type ShownState, type StatusModel, type Uptime } from './status-model.js';

export interface PageAssets {
  /** uPlot's IIFE build and its stylesheet, inlined so the page needs no server and no CDN. */
  uplotJs: string;
  uplotCss: string;
  uplotVersion: string;
}

export interface PageOptions {
  /** `owner/name`: incident issue numbers become links to it. */
  repository?: string;
  /** `https://github.com` unless GitHub Enterprise. */
  serverUrl?: string;
  /** When the page was rendered: a last run older than an hour is called stale. */
  renderedAt: Date;
  title?: string;
  /** Where the runs come from, under the title. */
  source?: string;
}

const STATE_TEXT: Record<ShownState, string> = {
  up: 'up',
  degraded: 'degraded',
  down: 'down',
  'no-data': 'no data',
};
const OVERALL_TEXT: Record<ShownState, string> = {
  up: 'All regions up',
  degraded: 'Degraded',
  down: 'Outage',
  'no-data': 'No data yet',
};
const PALETTE = ['#5b7cfa', '#2fb36b', '#e8a33d', '#9b59d0', '#17a2b8', '#d35400', '#7f8c8d', '#c2185b'];
const STALE_MS = 60 * 60 * 1000;

const CSS = `
:root { color-scheme: light; --up: #1f9d55; --degraded: #d98c00; --down: #cf2e2e; --none: #8a8f98; --fg: #1c1e21; --muted: #5f6670; --line: #e3e6ea; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f6f7f9; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 6px; } h2 { font-size: 18px; margin: 32px 0 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; }
.overall { display: flex; align-items: center; gap: 12px; font-size: 20px; font-weight: 600; }
.dot { width: 14px; height: 14px; border-radius: 50%; display: inline-block; flex: none; }
.state-up .dot, .dot.state-up { background: var(--up); } .state-degraded .dot, .dot.state-degraded { background: var(--degraded); }
.state-down .dot, .dot.state-down { background: var(--down); } .state-no-data .dot, .dot.state-no-data { background: var(--none); }
.badge { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; }
.muted { color: var(--muted); font-size: 13px; }
.stale { color: var(--down); font-weight: 600; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; }
.why { margin: 4px 0 0; padding-left: 18px; color: var(--muted); font-size: 13px; }
.charts { display: grid; grid-template-columns: 1fr; gap: 14px; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 6px; }
.strip { display: flex; gap: 1px; min-width: 240px; }
.strip span { flex: 1; height: 18px; border-radius: 2px; }
.strip span.bad { outline: 2px solid var(--down); outline-offset: -2px; }
.strip span.mixed { background-image: linear-gradient(to top, rgba(0,0,0,.45) 0 5px, transparent 5px); }
.legend span { display: inline-flex; align-items: center; gap: 5px; margin-right: 14px; font-size: 13px; }
.legend i { width: 12px; height: 12px; border-radius: 2px; display: inline-block; }
a { color: #2f5bd3; }
footer { margin-top: 36px; }
`;

function when(at: string | undefined): string {
  if (!at) return '-';
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}

function percent(u: Uptime): string {
  if (u.ratio === undefined) return '-';
  const p = u.ratio * 100;
  return `${p === 100 ? '100' : p >= 99.9 ? p.toFixed(2) : p.toFixed(1)} %`;
}

function badge(state: ShownState): string {
  return `<span class="badge state-${state}"><span class="dot"></span>${STATE_TEXT[state]}</span>`;
}

function issueLink(issue: number | undefined, o: PageOptions): string {
  if (!issue) return '<span class="muted">none</span>';
  if (!o.repository) return `#${issue}`;
  const server = (o.serverUrl ?? 'https://github.com').replace(/\/$/, '');
  return `<a href="${h(`${server}/${o.repository}/issues/${issue}`)}">#${issue}</a>`;
}

function regionTable(m: StatusModel): string {
  const rows = m.regions.map((r) => {
    const uptime = UPTIME_WINDOWS.map((w) => {
      const u = r.uptime[w.id];
      const title = `${u.runs} runs, ${u.down} down, ${u.degraded} degraded`;
      return `<td class="num uptime" data-window="${w.id}" title="${h(title)}">${percent(u)}</td>`;
    }).join('');
    const why = r.why.length ? `<ul class="why">${r.why.map((w) => `<li>${h(w)}</li>`).join('')}</ul>` : '';
    return `<tr class="region" data-region="${h(r.name)}" data-state="${r.state}">
<td class="name"><strong>${h(r.name)}</strong>${why}</td>
<td class="state">${badge(r.state)}</td>${uptime}
<td class="num tls">${r.tlsDays === undefined ? '-' : `${h(r.tlsDays)} days`}</td>
<td class="version">${r.version ? h(r.version) : '-'}</td>
<td class="num">${r.firstByteMs === undefined ? '-' : `${h(r.firstByteMs.toFixed(1))} ms`}</td></tr>`;
  });
  return `<table id="region-table"><thead><tr><th>Region</th><th>Now</th>${UPTIME_WINDOWS.map((w) => `<th>Uptime ${w.label}</th>`).join('')}<th>TLS left</th><th>Coder version</th><th>First byte</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function chartsSection(m: StatusModel): { html: string; charts: unknown[] } {
  const charts: unknown[] = [];
  const figures = m.regions.map((r, i) => {
    const id = `chart-${i}`;
    charts.push({ id, region: r.name, t: r.latency.t, series: r.latency.values });
    const note =
      r.samples > r.latency.t.length
        ? `${r.samples} runs shown as ${r.latency.t.length} points (worst value per ${formatDuration(((r.latency.t[r.latency.t.length - 1]! - r.latency.t[0]!) * 1000) / MAX_CHART_POINTS)})`
        : `${r.samples} runs`;
    return `<figure class="card region-chart" data-region="${h(r.name)}" data-points="${r.latency.t.length}" data-samples="${r.samples}">
<figcaption>${h(r.name)} <span class="muted">${h(note)}</span></figcaption><div class="chart" id="${id}"></div></figure>`;
  });
  return { html: `<div class="charts">${figures.join('\n')}</div>`, charts };
}

function routingSection(m: StatusModel): string {
  if (!m.routing.length)
    return '<p class="muted">No routing matrix in the history (the routing check did not run).</p>';
  const color = (region: string): string => {
    const i = m.regionNames.indexOf(region);
    return i >= 0 ? PALETTE[i % PALETTE.length]! : '#c9ccd1';
  };
  const legend = m.regionNames
    .map((r) => `<span><i style="background:${color(r)}"></i>${h(r)}</span>`)
    .concat('<span><i style="background:#c9ccd1"></i>no region</span>')
    .join('');
  const rows = m.routing.map((row) => {
    const latest = row.latest
      ? `${h(row.latest.region || 'no region')}${row.latest.status === 'pass' ? '' : ` <span class="stale">(${h(row.latest.status)})</span>`}`
      : '-';
    const cells = row.cells
      .map((c) => {
        const answers = Object.entries(c.answers)
          .sort((a, b) => b[1] - a[1])
          .map(([r, n]) => `${r || 'no region'} ${n} run${n === 1 ? '' : 's'}`)
          .join(', ');
        const title = `${when(c.from)} – ${when(c.to)}: ${answers} (${c.status})`;
        const classes = [c.status === 'pass' ? '' : 'bad', Object.keys(c.answers).length > 1 ? 'mixed' : '']
          .filter(Boolean)
          .join(' ');
        return `<span style="background:${color(c.region)}"${classes ? ` class="${classes}"` : ''} title="${h(title)}"></span>`;
      })
      .join('');
    return `<tr class="route" data-vantage="${h(row.vantage)}" data-name="${h(row.name)}"><td>${h(row.vantage)}</td><td>${h(row.name)}</td><td>${latest}</td><td><div class="strip">${cells}</div></td></tr>`;
  });
  return `<p class="legend">${legend}</p><table id="routing-table"><thead><tr><th>Vantage point</th><th>Name</th><th>Answered now</th><th>Over time (oldest → newest; dark foot: more than one answer, red outline: wrong answer)</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function incidentsSection(m: StatusModel, o: PageOptions): string {
  if (!m.incidents.length) return '<p class="muted" id="no-incidents">No incidents in the history.</p>';
  const rows = m.incidents.slice(0, 100).map(
    (i) => `<tr class="incident" data-key="${h(i.key)}" data-ongoing="${i.end ? 'false' : 'true'}">
<td>${h(i.check)}</td><td>${h(i.scope)}</td><td>${when(i.start)}</td><td>${i.end ? when(i.end) : '<span class="stale">ongoing</span>'}</td>
<td class="num duration">${h(formatDuration(i.durationMs))}${i.end ? '' : '+'}</td><td class="issue">${issueLink(i.issue, o)}</td></tr>`,
  );
  return `<table id="incident-table"><thead><tr><th>Check</th><th>Where</th><th>Start</th><th>End</th><th>Duration</th><th>Issue</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

/** The whole page: one self-contained HTML file (uPlot, styles, data and script inlined). */
export function renderStatusHtml(m: StatusModel, assets: PageAssets, o: PageOptions): string {
  const title = o.title ?? 'Coder status';
  const stale = m.lastRun !== undefined && o.renderedAt.getTime() - Date.parse(m.lastRun) > STALE_MS;
  const { html: charts, charts: chartData } = chartsSection(m);
  const down = m.regions.filter((r) => r.state === 'down').map((r) => r.name);
  const degraded = m.regions.filter((r) => r.state === 'degraded').map((r) => r.name);
  const detail = [
    down.length ? `down: ${down.join(', ')}` : '',
    degraded.length ? `degraded: ${degraded.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `<!doctype html>
<html lang="en" data-overall="${m.overall}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${h(title)}</title>
<style>/* uPlot ${h(assets.uplotVersion)} (MIT, github.com/leeoniya/uPlot) */
${assets.uplotCss}</style>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="card ${cssToken(`state-${m.overall}`)}" id="overall" data-state="${m.overall}">
<h1>${h(title)}</h1>
<div class="overall"><span class="dot"></span><span>${OVERALL_TEXT[m.overall]}</span>${detail ? `<span class="muted">${h(detail)}</span>` : ''}</div>
<p class="muted">Last run ${when(m.lastRun)}${stale ? ' <span class="stale">(stale: no run in the last hour)</span>' : ''} · ${m.runs} runs since ${when(m.firstRun)} · ${h(o.source ?? "synthetic checks from GitHub's runners every 15 minutes")}</p>
</header>
<h2>Regions</h2>
<div class="card">${regionTable(m)}
<p class="muted">Uptime: share of runs in the window in which the region was not down (a degraded region still serves users and counts as up). Windows end at the last run.</p></div>
<h2>Latency from the runner</h2>
<p class="muted">DNS, connect, TLS and first byte of each region's own name, per run. Over ${MAX_CHART_POINTS} runs, time is cut into ${MAX_CHART_POINTS} equal buckets and each shows its slowest run per phase, so spikes stay visible.</p>
${charts}
<h2>Latency routing</h2>
<div class="card">${routingSection(m)}</div>
<h2>Incidents</h2>
<div class="card">${incidentsSection(m, o)}</div>
<footer class="muted">Rendered ${when(o.renderedAt.toISOString())} by coder-gitops status-page from the status-history branch. Charts: uPlot ${h(assets.uplotVersion)}.</footer>
</main>
<script type="application/json" id="status-data">${jsonForScript({ charts: chartData })}</script>
<script>${assets.uplotJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
