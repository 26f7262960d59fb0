import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDBClusterCommand } from '@aws-sdk/client-rds';
import { CreateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { findKnotd, KNOT_INSTALL_COMMAND, startKnot, type KnotServer } from '../../src/sandbox/knot.js';
import { createLocalCa, issueLeafCert } from '../../src/sandbox/local-ca.js';
import type { CheckResult } from '../../src/verify/check-result.js';
import type { ResolveOverride } from '../../src/verify/resolve-overrides.js';
import { runVerify, type VerifyOptions } from '../../src/verify/verify-engine.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { renderVerifyMarkdown } from '../../src/report/verify-markdown.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { verifyTestConfig } from '../helpers/verify-config.js';

const knotd = findKnotd();
const needsKnot = knotd ? describe : describe.skip;
if (!knotd) {
  console.warn(
    `SKIPPING verify integration tests: knotd with the geoip module is missing (${KNOT_INSTALL_COMMAND})`,
  );
}

test('knotd is installed where CI promises it', () => {
  if (process.env.CI === 'true') expect(knotd).toBeDefined();
});

const DOMAIN = 'coderdemo.io';
const NLB = { 'us-east-2': '192.0.2.10', 'us-west-2': '192.0.2.20', 'eu-west-2': '192.0.2.30' } as const;
const VANTAGES = [
  { name: 'ohio', clientSubnet: '3.128.0.0/24', expectedRegions: ['us-east-2'] },
  { name: 'oregon', clientSubnet: '34.208.0.0/24', expectedRegions: ['us-west-2', 'us-east-2'] },
  // Routed to the wrong region on purpose: London should reach eu-west-2.
  { name: 'london', clientSubnet: '18.130.0.0/24', expectedRegions: ['eu-west-2', 'us-east-2'] },
];
const config = verifyTestConfig({
  regions: [{ name: 'us-east-2' }, { name: 'us-west-2' }, { name: 'eu-west-2' }],
  vantagePoints: VANTAGES,
  // Generous warm budget: loopback on a busy CI machine must not look like a slow database.
  thresholds: { warmP95BudgetMs: 1000, coldStartBudgetMs: 10_000 },
});

function find(results: CheckResult[], check: string, target: string): CheckResult {
  const r = results.find((x) => x.check === check && x.target === target);
  if (!r)
    throw new Error(
      `no ${check} result for ${target}: ${results.map((x) => `${x.check} ${x.target}`).join(', ')}`,
    );
  return r;
}

needsKnot('verify against local Coder stand-ins, Knot and moto', () => {
  let dir: string;
  let caFile: string;
  let knot: KnotServer;
  const servers: Record<string, CoderStandIn> = {};
  let resolve: ResolveOverride[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-it-'));
    const ca = await createLocalCa(join(dir, 'ca'));
    caFile = ca.certFile;
    const east = await issueLeafCert(ca, {
      file: 'east',
      days: 90,
      names: [DOMAIN, `*.${DOMAIN}`, `us-east-2.${DOMAIN}`, `*.us-east-2.${DOMAIN}`],
    });
    const west = await issueLeafCert(ca, {
      file: 'west',
      days: 5,
      names: [`us-west-2.${DOMAIN}`, `*.us-west-2.${DOMAIN}`],
    });
    const eu = await issueLeafCert(ca, {
      file: 'eu',
      days: 90,
      names: [`eu-west-2.${DOMAIN}`, `*.eu-west-2.${DOMAIN}`],
    });
    servers['us-east-2'] = await startCoderStandIn({ certFile: east.certFile, keyFile: east.keyFile });
    servers['us-west-2'] = await startCoderStandIn({ certFile: west.certFile, keyFile: west.keyFile });
    servers['eu-west-2'] = await startCoderStandIn({
      certFile: eu.certFile,
      keyFile: eu.keyFile,
      coldDelayMs: 1500,
    });
    resolve = [
      { host: DOMAIN, port: 443, address: '127.0.0.1', targetPort: servers['us-east-2'].port },
      { host: `*.${DOMAIN}`, port: 443, address: '127.0.0.1', targetPort: servers['us-east-2'].port },
    ];
    for (const [region, s] of Object.entries(servers)) {
      resolve.push({ host: `${region}.${DOMAIN}`, port: 443, address: '127.0.0.1', targetPort: s.port });
      resolve.push({ host: `*.${region}.${DOMAIN}`, port: 443, address: '127.0.0.1', targetPort: s.port });
    }
    const records = Object.entries(NLB).flatMap(([region, ip]) => [
      { name: region, type: 'A' as const, value: ip },
      { name: `*.${region}`, type: 'A' as const, value: ip },
    ]);
    records.push(
      { name: '@', type: 'A', value: NLB['us-east-2'] },
      { name: '*', type: 'A', value: NLB['us-east-2'] },
    );
    const geo = [
      { subnet: '3.128.0.0/16', ip: NLB['us-east-2'] },
      { subnet: '34.208.0.0/16', ip: NLB['us-west-2'] },
      { subnet: '18.130.0.0/16', ip: NLB['us-east-2'] }, // should be eu-west-2
    ].flatMap((g) =>
      [DOMAIN, `*.${DOMAIN}`].map((name) => ({
        subnet: g.subnet,
        name,
        answers: [{ type: 'A' as const, value: g.ip }],
      })),
    );
    knot = await startKnot({ zone: DOMAIN, records, geo });
  });

  afterAll(async () => {
    await knot?.stop();
    await Promise.all(Object.values(servers).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  const base = (): VerifyOptions => ({
    config,
    regions: ['us-east-2', 'us-west-2', 'eu-west-2'],
    checks: ['https', 'tls', 'routing', 'health', 'cold-start', 'versions'],
    resolve,
    caFile,
    nameserver: { host: knot.host, port: knot.port },
    attempts: 2,
    logger: new MemoryLogger(),
    sleep: async () => {},
  });

  test('without credentials: each finding gets its status and the AWS side says why it did not run', async () => {
    const report = await runVerify(base());
    const r = report.results;

    for (const t of [
      DOMAIN,
      `*.${DOMAIN}`,
      `us-east-2.${DOMAIN}`,
      `*.us-west-2.${DOMAIN}`,
      `eu-west-2.${DOMAIN}`,
    ]) {
      const https = find(r, 'https', t);
      expect(https.status).toBe('pass');
      expect(https.timings?.total).toBeGreaterThan(0);
      expect(https.timings?.tls).toBeDefined();
    }
    // The certificate 5 days from expiry fails on both names it serves; the others pass.
    for (const t of [`us-west-2.${DOMAIN}`, `*.us-west-2.${DOMAIN}`]) {
      const tls = find(r, 'tls', t);
      expect(tls.status).toBe('fail');
      expect(tls.details.daysToExpiry).toBeLessThanOrEqual(5);
      expect(tls.summary).toMatch(/expires in \d days? \(fail under 7\)/);
    }
    expect(find(r, 'tls', `us-east-2.${DOMAIN}`).status).toBe('pass');
    expect(find(r, 'tls', `*.${DOMAIN}`).status).toBe('pass');

    // Slow first request within budget: a pass with the known behaviour noted.
    const eu = find(r, 'cold-start', `eu-west-2.${DOMAIN}/api/v2/users/first`);
    expect(eu.status).toBe('pass');
    expect(eu.notes).toContain('known behaviour: Aurora cold start');
    expect(eu.details.coldMs).toBeGreaterThanOrEqual(1400);
    expect(report.known.some((k) => k.id === 'aurora-cold-start' && k.target === `eu-west-2.${DOMAIN}`)).toBe(
      true,
    );
    expect(find(r, 'cold-start', 'aurora')).toMatchObject({
      status: 'not-run',
      reason: expect.stringMatching(/credentials/),
    });

    // London is answered by us-east-2 instead of eu-west-2: degraded, and the matrix shows it.
    expect(find(r, 'routing', `london → ${DOMAIN}`)).toMatchObject({ status: 'degraded' });
    expect(find(r, 'routing', `london → *.${DOMAIN}`).details.answeredRegion).toBe('us-east-2');
    expect(find(r, 'routing', `oregon → ${DOMAIN}`).status).toBe('pass');
    expect(find(r, 'routing', `ohio → *.${DOMAIN}`).status).toBe('pass');
    expect(report.matrix?.cells.filter((c) => c.source === 'dns')).toHaveLength(6);
    expect(
      report.matrix?.cells.find((c) => c.vantage === 'oregon' && c.name === DOMAIN)?.answeredRegion,
    ).toBe('us-west-2');

    expect(find(r, 'health', `us-east-2.${DOMAIN}`).status).toBe('not-run');
    expect(find(r, 'versions', 'all regions').status).toBe('pass');
    // Nothing listens on port 80: reported as the known NLB behaviour, not a failure.
    const plain = report.known.filter((k) => k.id === 'plain-http');
    expect(plain.map((k) => k.details.outcome)).toEqual(['refused', 'refused', 'refused', 'refused']);

    expect(report.status).toBe('fail');

    const md = renderVerifyMarkdown(report);
    if (process.env.VERIFY_PRINT_SUMMARY) console.log(md);
    expect(md).toMatch(/\| london \| 🟠 us\\?-east\\?-2 \(expected eu\\?-west\\?-2\) \|/);
    expect(md).toContain('### TLS certificates');
    expect(md).toContain('**Aurora cold start**');
  });

  test('a region beyond the allowed skew of the primary (another major.minor) fails, naming both; a patch behind passes', async () => {
    servers['us-west-2']!.setVersion('v2.26.0+def5678');
    try {
      const report = await runVerify({ ...base(), checks: ['versions'] });
      const v = find(report.results, 'versions', 'all regions');
      expect(v.status).toBe('fail');
      expect(v.summary).toBe(
        'us-west-2 v2.26.0+def5678 beyond the allowed skew of the primary us-east-2 v2.27.1+abc1234 (same major.minor, 2.27.x)',
      );
      expect(report.status).toBe('fail');
      servers['us-west-2']!.setVersion('v2.27.0+def5678');
      const within = find(
        (await runVerify({ ...base(), checks: ['versions'] })).results,
        'versions',
        'all regions',
      );
      expect(within.status).toBe('pass');
      expect(within.summary).toContain('within the allowed skew of the primary us-east-2 (2.27.x)');
    } finally {
      servers['us-west-2']!.setVersion('v2.27.1+abc1234');
    }
  });

  test('region-only scope probes only the region names and leaves routing out', async () => {
    const report = await runVerify({
      ...base(),
      regions: ['us-east-2'],
      scope: 'region-only',
      checks: ['https', 'routing'],
    });
    expect(report.results.filter((x) => x.check === 'https').map((x) => x.target)).toEqual([
      `us-east-2.${DOMAIN}`,
      `*.us-east-2.${DOMAIN}`,
    ]);
    expect(find(report.results, 'routing', DOMAIN).status).toBe('not-run');
    expect(report.status).toBe('pass');
  });

  describe('with credentials (moto)', () => {
    let moto: MotoServer;
    beforeAll(async () => {
      moto = await startMoto();
    });
    afterAll(async () => {
      await moto?.stop();
    });

    test('health, Aurora scaling and TestDNSAnswer are reported from AWS', async () => {
      const aws = new AwsClientFactory();
      await aws.rds('us-east-2').send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'coderdemo-us-east-2-aurora',
          Engine: 'aurora-postgresql',
          EngineVersion: '15.8',
          MasterUsername: 'coder',
          MasterUserPassword: 'not-a-real-password-1',
          ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 },
        }),
      );
      // A cluster that sat at 2 ACU all hour: never back to its 0.5 ACU minimum.
      const now = Date.now();
      await aws.cloudWatch('us-east-2').send(
        new PutMetricDataCommand({
          Namespace: 'AWS/RDS',
          MetricData: Array.from({ length: 30 }, (_, i) => ({
            MetricName: 'ServerlessDatabaseCapacity',
            Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'coderdemo-us-east-2-aurora' }],
            Timestamp: new Date(now - (i + 1) * 120_000),
            Value: 2,
          })),
        }),
      );
      for (const region of ['us-east-2', 'us-west-2']) {
        await aws.route53().send(
          new CreateHealthCheckCommand({
            CallerReference: `hc-${region}`,
            HealthCheckConfig: {
              Type: 'HTTPS',
              FullyQualifiedDomainName: `${region}.${DOMAIN}`,
              ResourcePath: '/healthz',
              Port: 443,
            },
          }),
        );
      }
      const report = await runVerify({ ...base(), aws, checks: ['health', 'cold-start', 'routing'] });
      const r = report.results;

      const aurora = find(r, 'cold-start', 'aurora coderdemo-us-east-2-aurora (us-east-2)');
      expect(aurora.status).toBe('warn');
      expect(aurora.details).toMatchObject({
        minCapacity: 0.5,
        maxCapacity: 16,
        stateBefore: 'active',
        flags: ['never-scales-down'],
      });
      expect(aurora.notes.join(' ')).toMatch(/never came down to MinCapacity 0.5 ACU.*\$\d+\/month/);

      expect(find(r, 'health', `us-east-2.${DOMAIN}`)).toMatchObject({
        status: 'pass',
        details: { checkersFailing: 0 },
      });
      // eu-west-2 has no health check: latency routing could not fail over.
      expect(find(r, 'health', `eu-west-2.${DOMAIN}`).status).toBe('degraded');

      expect(find(r, 'routing', 'route53 TestDNSAnswer')).toMatchObject({
        status: 'not-run',
        reason: expect.stringMatching(
          /TestDNSAnswer is not available at this endpoint \(NotImplemented, HTTP 501\)/,
        ),
      });
      expect(find(r, 'routing', `london → ${DOMAIN}`).status).toBe('degraded');
    });
  });
});
