import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { PhaseTimings } from '../src/verify/check-result.js';
import { probeHttp } from '../src/verify/http-probe.js';
import type { ResolveOverride } from '../src/verify/resolve-overrides.js';
import { runVerify } from '../src/verify/verify-engine.js';
import { startCoderStandIn, type CoderStandIn } from '../src/sandbox/coder-stand-in.js';
import { createLocalCa, issueLeafCert } from '../src/sandbox/local-ca.js';
import { MemoryLogger } from '../src/util/logger.js';
import { verifyTestConfig } from '../test/helpers/verify-config.js';
import { formatMs, median, timeSpawn, type BenchRow } from './stats.js';

const DOMAIN = 'bench.test';
const ENDPOINTS = 50;
const REGIONS = ENDPOINTS / 2;
const PATH = '/api/v2/buildinfo';

interface Endpoint {
  host: string;
  port: number;
}

const CURL_FORMAT =
  '%{http_code} %{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}';

/** One `curl -w` run; its cumulative times turned into phase durations in ms, like ours. */
async function curlOnce(caFile: string, e: Endpoint): Promise<{ wallMs: number; phases: PhaseTimings }> {
  const t = await timeSpawn('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '--cacert',
    caFile,
    '--resolve',
    `${e.host}:${e.port}:127.0.0.1`,
    '-w',
    CURL_FORMAT,
    `https://${e.host}:${e.port}${PATH}`,
  ]);
  const [code, lookup, connect, app, start, total] = t.stdout.trim().split(' ').map(Number) as number[];
  if (t.code !== 0 || code !== 200)
    throw new Error(`curl ${e.host}: exit ${t.code}, HTTP ${code}: ${t.stderr}`);
  const ms = (s: number) => Math.round(s * 10_000) / 10;
  return {
    wallMs: t.exitMs,
    phases: {
      dns: ms(lookup!),
      connect: ms(connect! - lookup!),
      tls: ms(app! - connect!),
      firstByte: ms(start! - app!),
      total: ms(total!),
    },
  };
}

/**
 * (3) 50 local HTTPS endpoints (one Coder stand-in each, behind a local CA): the verify engine and the
 * probe module against 50 sequential `curl -w` runs; one endpoint's phases against curl's own.
 */
export async function benchProbes(runs: number): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-bench-probes-'));
  const servers: CoderStandIn[] = [];
  try {
    const ca = await createLocalCa(dir);
    const regions = Array.from({ length: REGIONS }, (_, i) => `r${String(i + 1).padStart(2, '0')}`);
    const leaf = await issueLeafCert(ca, {
      names: [`*.${DOMAIN}`, ...regions.map((r) => `*.${r}.${DOMAIN}`)],
      days: 90,
      file: 'leaf',
    });
    for (let i = 0; i < ENDPOINTS; i++)
      servers.push(await startCoderStandIn({ certFile: leaf.certFile, keyFile: leaf.keyFile }));
    // Region name → server i, region wildcard → server 25 + i: 50 servers, 50 endpoints.
    const resolve: ResolveOverride[] = regions.flatMap((r, i) => [
      { host: `${r}.${DOMAIN}`, port: 443, address: '127.0.0.1', targetPort: servers[i]!.port },
      { host: `*.${r}.${DOMAIN}`, port: 443, address: '127.0.0.1', targetPort: servers[REGIONS + i]!.port },
    ]);
    const endpoints: Endpoint[] = regions.flatMap((r, i) => [
      { host: `${r}.${DOMAIN}`, port: servers[i]!.port },
      { host: `probe.${r}.${DOMAIN}`, port: servers[REGIONS + i]!.port },
    ]);
    const pem = readFileSync(ca.certFile, 'utf8');
    const config = verifyTestConfig({ regions: regions.map((name) => ({ name })), domain: DOMAIN });
    const verify = async () => {
      const report = await runVerify({
        config,
        regions,
        checks: ['tls'],
        scope: 'region-only',
        resolve,
        caFile: ca.certFile,
        attempts: 1,
        logger: new MemoryLogger(),
      });
      const passed = report.results.filter((r) => r.status === 'pass').length;
      if (passed !== ENDPOINTS) throw new Error(`verify passed ${passed} of ${ENDPOINTS} endpoints`);
    };
    const probeSequential = (trust: string[]) => async () => {
      for (const e of endpoints) {
        const p = await probeHttp({
          scheme: 'https',
          host: e.host,
          port: e.port,
          path: PATH,
          resolve: [{ host: e.host, port: e.port, address: '127.0.0.1' }],
          ca: trust,
          timeoutMs: 5000,
        });
        if (p.statusCode !== 200 || !p.tls?.trusted)
          throw new Error(`probe ${e.host}: ${p.error ?? p.statusCode}`);
      }
    };
    const curlSequential = async () => {
      for (const e of endpoints) await curlOnce(ca.certFile, e);
    };

    const tVerify: number[] = [];
    const tProbe: number[] = [];
    const tProbeRoots: number[] = [];
    const tCurl: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const time = async (fn: () => Promise<void>, into: number[]) => {
        const t0 = performance.now();
        await fn();
        if (i > 0) into.push(performance.now() - t0);
      };
      await time(verify, tVerify);
      await time(probeSequential([pem]), tProbe);
      // What runVerify passes for ca-file: Node's whole root store plus the local CA, per request.
      await time(probeSequential([...rootCertificates, pem]), tProbeRoots);
      await time(curlSequential, tCurl);
    }

    // Phases of one endpoint, many times, interleaved with curl.
    const one = endpoints[0]!;
    const ours: PhaseTimings[] = [];
    const theirs: PhaseTimings[] = [];
    for (let i = 0; i < Math.max(runs * 4, 10); i++) {
      const p = await probeHttp({
        scheme: 'https',
        host: one.host,
        port: one.port,
        path: PATH,
        resolve: [{ host: one.host, port: one.port, address: '127.0.0.1' }],
        ca: [pem],
        timeoutMs: 5000,
      });
      ours.push(p.timings);
      theirs.push((await curlOnce(ca.certFile, one)).phases);
    }

    const curlMedian = median(tCurl);
    const rows: BenchRow[] = [
      {
        section: '3',
        what: `verify ${ENDPOINTS} HTTPS endpoints: runVerify (tls check, concurrent)`,
        ours: formatMs(median(tVerify)),
        baseline: `${formatMs(curlMedian)} (${ENDPOINTS} sequential curl -w)`,
        ratio: median(tVerify) / curlMedian,
        note: 'includes certificate classification; 50 stand-in servers, one local CA',
      },
      {
        section: '3',
        what: `probe ${ENDPOINTS} HTTPS endpoints one after another (http-probe module)`,
        ours: formatMs(median(tProbe)),
        baseline: `${formatMs(curlMedian)} (${ENDPOINTS} sequential curl -w)`,
        ratio: median(tProbe) / curlMedian,
        note: 'same work as curl, in one process (curl pays a process start per endpoint)',
      },
      {
        section: '3',
        what: `probe ${ENDPOINTS} endpoints one after another, trusting Node's roots + the local CA`,
        ours: formatMs(median(tProbeRoots)),
        baseline: `${formatMs(curlMedian)} (${ENDPOINTS} sequential curl -w)`,
        ratio: median(tProbeRoots) / curlMedian,
        note: `the CA list runVerify builds from ca-file; vs local CA only: ${(median(tProbeRoots) / median(tProbe)).toFixed(1)}×`,
      },
    ];
    for (const phase of ['dns', 'connect', 'tls', 'firstByte', 'total'] as const) {
      const a = median(ours.map((t) => t[phase] ?? Number.NaN).filter(Number.isFinite));
      const b = median(theirs.map((t) => t[phase] ?? Number.NaN));
      rows.push({
        section: '3',
        what: `one endpoint, phase ${phase}`,
        ours: formatMs(a),
        baseline: `${formatMs(b)} (curl time_*)`,
        ratio: b > 0 && Number.isFinite(a) ? a / b : undefined,
        note:
          phase === 'dns'
            ? 'both pinned to 127.0.0.1 (--resolve / resolve override); the probe has no lookup event then'
            : phase === 'total'
              ? `median of ${ours.length}`
              : '',
      });
    }
    return rows;
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
