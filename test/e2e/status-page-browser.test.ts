import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { renderStatusPage } from '../../src/status/render-status-page.js';
import { fixtureHistory, HOSTILE_VERSION, HOSTILE_WHY } from '../helpers/status-history.js';

/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core, opening
 * the rendered file from disk. Every request is recorded and anything not file:/data: is aborted, so
 * "no request leaves the machine" is asserted, not assumed.
 */

// Debian's chromium here and in .ci/run; GitHub's Ubuntu runners ship Google Chrome instead (ci.yml sets CHROMIUM_PATH).
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'status-page');
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium && process.env.CI !== 'true') {
  console.warn(
    `SKIPPING the status page browser test: ${CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)`,
  );
  test.skip(`${CHROMIUM} is not installed on this machine: the status page was NOT opened in a browser`, () =>
    undefined);
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

(haveChromium || process.env.CI === 'true' ? describe : describe.skip)('status page in Chromium', () => {
  let work: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const blocked: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    const { chromium } = await import('playwright-core');
    work = mkdtempSync(join(tmpdir(), 'status-page-browser-'));
    const rendered = renderStatusPage(fixtureHistory(), join(work, 'site'), {
      repository: 'coder/coder-gitops',
      renderedAt: new Date('2026-11-30T12:05:00Z'),
    });
    // A fresh profile per run: nothing from an earlier run (cache, service workers) can answer for the page.
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1180, height: 900 },
      timezoneId: 'UTC',
    });
    context.on('request', (r) => requests.push(r.url()));
    await context.route(
      (url) => url.protocol !== 'file:' && url.protocol !== 'data:',
      async (route) => {
        blocked.push(route.request().url());
        await route.abort('blockedbyclient');
      },
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(rendered.file).href, { waitUntil: 'load' });
    await page.waitForSelector('html[data-charts="ready"]', { timeout: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('loads with no console error and no request leaving the machine', () => {
    expect(consoleErrors).toEqual([]);
    expect(blocked).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    for (const url of requests) expect(url).toMatch(/^(file|data):/);
  });

  test('one row per region with its state and uptime over 24 h, 7 d and 30 d', async () => {
    const rows = await page.$$eval('#region-table tr.region', (trs) =>
      trs.map((tr) => ({
        region: tr.getAttribute('data-region'),
        state: tr.getAttribute('data-state'),
        shown: tr.querySelector('td.state')?.textContent?.trim(),
        uptime: [...tr.querySelectorAll('td.uptime')].map((td) => td.textContent?.trim()),
      })),
    );
    expect(rows).toEqual([
      { region: 'eu-west-1', state: 'degraded', shown: 'degraded', uptime: ['100 %', '100 %', '100 %'] },
      { region: 'us-east-2', state: 'up', shown: 'up', uptime: ['100 %', '100 %', '100 %'] },
      // 8 of the last 96 runs down; 8 of 672; 8 of 2,880.
      { region: 'us-west-2', state: 'up', shown: 'up', uptime: ['91.7 %', '98.8 %', '99.7 %'] },
    ]);
    expect(await page.getAttribute('#overall', 'data-state')).toBe('degraded');
    expect(await page.textContent('#overall')).toContain('degraded: eu-west-1');
  });

  test('a chart per region, its point count the downsampled history (480 buckets of 30 days; 10 runs as they are)', async () => {
    const charts = await page.evaluate(() => {
      const all = (globalThis as unknown as { statusCharts: Record<string, { data: unknown[][] }> })
        .statusCharts;
      return Object.fromEntries(Object.entries(all).map(([r, u]) => [r, [u.data[0]!.length, u.data.length]]));
    });
    expect(charts).toEqual({ 'eu-west-1': [10, 5], 'us-east-2': [480, 5], 'us-west-2': [480, 5] });
    const figures = await page.$$eval('figure.region-chart', (fs) =>
      fs.map((f) => [f.getAttribute('data-region'), f.querySelectorAll('canvas').length > 0]),
    );
    expect(figures).toEqual([
      ['eu-west-1', true],
      ['us-east-2', true],
      ['us-west-2', true],
    ]);
  });

  test('incidents with start, end, duration and their issue', async () => {
    const rows = await page.$$eval('#incident-table tr.incident', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim())),
    );
    expect(rows).toEqual([
      ['https', 'eu-west-1', '2026-11-30 11:45 UTC', 'ongoing', '15 min+', '#43'],
      ['tls', 'us-east-2', '2026-11-30 09:45 UTC', '2026-11-30 10:00 UTC', '15 min', 'none'],
      ['https', 'us-west-2', '2026-11-29 16:15 UTC', '2026-11-29 18:15 UTC', '2 h 0 min', '#42'],
    ]);
    expect(await page.getAttribute('tr.incident[data-key="https:us-west-2"] a', 'href')).toBe(
      'https://github.com/coder/coder-gitops/issues/42',
    );
  });

  test('text from the report is shown as text, never run', async () => {
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();
    const eu = page.locator('tr.region[data-region="eu-west-1"]');
    expect(await eu.locator('td.version').textContent()).toBe(HOSTILE_VERSION);
    expect(await eu.locator('ul.why li').textContent()).toBe(HOSTILE_WHY);
    expect(await page.locator('#region-table img').count()).toBe(0);
  });

  test('routing per vantage point over time: Oregon answered by us-east-2 during the outage', async () => {
    const oregon = page.locator('tr.route[data-vantage="oregon"][data-name="coderdemo.io"]');
    expect(await oregon.locator('td').nth(2).textContent()).toBe('us-west-2');
    const titles = await oregon
      .locator('.strip span')
      .evaluateAll((s) => s.map((x) => x.getAttribute('title')));
    expect(titles.length).toBe(48);
    // The bucket holding the outage: mostly us-west-2, and the 8 runs us-east-2 answered instead.
    expect(titles.filter((t) => t?.includes('us-east-2 8 runs'))).toEqual([
      expect.stringMatching(/^2026-11-29 .*: us-west-2 52 runs, us-east-2 8 runs \(pass\)$/),
    ]);
  });

  test('saves a screenshot as a test artifact', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'status-page.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
  });

  test('the interception is real: a page asking for the network is caught', async () => {
    const probe = await context.newPage();
    const before = blocked.length;
    await probe.setContent('<img src="http://192.0.2.1/pixel.png">');
    await probe.waitForTimeout(200);
    expect(blocked.slice(before)).toEqual(['http://192.0.2.1/pixel.png']);
    await probe.close();
  });
});
