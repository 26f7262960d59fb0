import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { normalizeHistory, readHistoryDir } from './history-file.js';
import type { HistoryLine } from './history-line.js';
import { buildStatusModel, type StatusModel } from './status-model.js';
import { renderStatusHtml, type PageAssets, type PageOptions } from './status-html.js';

const require = createRequire(import.meta.url);
let assets: PageAssets | undefined;

/** uPlot's files from node_modules, read once per process. */
export function loadPageAssets(): PageAssets {
  if (!assets) {
    const pkg = require('uplot/package.json') as { version: string };
    assets = {
      uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      uplotVersion: pkg.version,
    };
  }
  return assets;
}

export interface RenderedPage {
  /** `OUT/index.html`: the whole site (one self-contained file). */
  file: string;
  bytes: number;
  runs: number;
  model: StatusModel;
}

/** Render history lines (any order) into `outDir/index.html`. */
export function renderStatusPage(lines: HistoryLine[], outDir: string, options: PageOptions): RenderedPage {
  // Windows end at the newest run, so sorting and de-duplicating must not prune a stale history away.
  const newest = lines.reduce((t, l) => Math.max(t, Date.parse(l.at)), 0);
  const runs = normalizeHistory(lines, new Date(newest || options.renderedAt.getTime()));
  const model = buildStatusModel(runs);
  const html = renderStatusHtml(model, loadPageAssets(), options);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.html');
  writeFileSync(file, html);
  return { file, bytes: Buffer.byteLength(html), runs: runs.length, model };
}

/** Read `historyDir/runs.jsonl` and render it (what `coder-gitops status-page` does). */
export function renderStatusPageFromDir(
  historyDir: string,
  outDir: string,
  options: PageOptions,
): RenderedPage {
  return renderStatusPage(readHistoryDir(historyDir), outDir, options);
}
