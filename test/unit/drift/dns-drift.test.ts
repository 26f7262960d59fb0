import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { desiredRecords } from '../../../src/aws/route53/alias-records.js';
import { readRecordedRegions } from '../../../src/drift/apply-report-records.js';
import { compareRegionRecords, strayLatencyRecords } from '../../../src/drift/dns-drift.js';
import { ConfigurationError } from '../../../src/util/errors.js';

const DOMAIN = 'coderdemo.io';
const NLB = {
  dnsName: 'k8s-coder-coder-0a1b2c3d.elb.us-west-2.amazonaws.com',
  hostedZoneId: 'Z18D5FSROUN65G',
};
const HC = '6f0c8e2a-1b2c-4d5e-8f90-0a1b2c3d4e5f';
const desired = desiredRecords(DOMAIN, 'us-west-2', NLB, HC);
/** As ListResourceRecordSets returns them: trailing dots, `\052` for `*`. */
const live = (records: ResourceRecordSet[]): ResourceRecordSet[] =>
  records.map((r) => ({
    ...r,
    Name: `${r.Name!.replace('*', '\\052')}.`,
    AliasTarget: r.AliasTarget && { ...r.AliasTarget, DNSName: `${r.AliasTarget.DNSName}.` },
  }));
const recorded = (latency: ResourceRecordSet[] | undefined) => ({
  recorded: { at: '2026-12-01T08:00:00Z', own: desired.own, ...(latency ? { latency } : {}) },
  source: 'apply report apply-report-1.json (2026-12-01T08:00:00Z)',
});
const statuses = (d: ReturnType<typeof compareRegionRecords>) =>
  d.records.map((r) => `${r.name}${r.setIdentifier ? `/${r.setIdentifier}` : ''}:${r.status}`);

test('as applied: every owned record in sync (names compared without the trailing dot and \\052)', () => {
  const d = compareRegionRecords({
    region: 'us-west-2',
    enabled: true,
    domain: DOMAIN,
    recorded: recorded(desired.latency),
    live: live([...desired.own, ...desired.latency]),
  });
  expect(statuses(d)).toEqual([
    'us-west-2.coderdemo.io:in-sync',
    '*.us-west-2.coderdemo.io:in-sync',
    'coderdemo.io/us-west-2:in-sync',
    '*.coderdemo.io/us-west-2:in-sync',
  ]);
});

test('a health check swapped by hand and a region alias replaced by plain A records are reported field by field', () => {
  const [apex, wildcard] = desired.latency;
  const d = compareRegionRecords({
    region: 'us-west-2',
    enabled: true,
    domain: DOMAIN,
    recorded: recorded(desired.latency),
    live: live([
      { Name: 'us-west-2.coderdemo.io', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] },
      desired.own[1]!,
      { ...apex!, HealthCheckId: 'manual-check' },
      wildcard!,
    ]),
  });
  const changed = d.records.filter((r) => r.status !== 'in-sync');
  expect(changed.map((r) => [r.name, r.status, r.fields])).toEqual([
    [
      'us-west-2.coderdemo.io',
      'modified',
      [
        { field: 'AliasTarget.DNSName', expected: NLB.dnsName },
        { field: 'AliasTarget.HostedZoneId', expected: NLB.hostedZoneId },
        { field: 'AliasTarget.EvaluateTargetHealth', expected: 'true' },
        { field: 'TTL', actual: '60' },
        { field: 'ResourceRecords', actual: '192.0.2.10' },
      ],
    ],
    ['coderdemo.io', 'modified', [{ field: 'HealthCheckId', expected: HC, actual: 'manual-check' }]],
  ]);
});

test('a deleted latency entry, and one added back by hand after the region was drained', () => {
  const deleted = compareRegionRecords({
    region: 'us-west-2',
    enabled: true,
    domain: DOMAIN,
    recorded: recorded(desired.latency),
    live: live([...desired.own, desired.latency[1]!]),
  });
  expect(statuses(deleted)).toContain('coderdemo.io/us-west-2:deleted');

  const drained = compareRegionRecords({
    region: 'us-west-2',
    enabled: true,
    domain: DOMAIN,
    recorded: recorded([]),
    live: live([...desired.own, desired.latency[0]!]),
  });
  expect(drained.records.filter((r) => r.status === 'added')).toEqual([
    expect.objectContaining({
      name: 'coderdemo.io',
      setIdentifier: 'us-west-2',
      reason: 'the last apply removed this region from latency routing',
    }),
  ]);
});

test('Git wins for a disabled region: a latency entry is drift even if the last apply promoted it', () => {
  const d = compareRegionRecords({
    region: 'us-west-2',
    enabled: false,
    domain: DOMAIN,
    recorded: recorded(desired.latency),
    live: live([...desired.own, ...desired.latency]),
  });
  expect(d.records.filter((r) => r.status === 'added').map((r) => r.reason)).toEqual([
    'the region is disabled in Git (gitops/regions) and must not take latency traffic',
    'the region is disabled in Git (gitops/regions) and must not take latency traffic',
  ]);
});

test('without an apply report, or after a hold, what cannot be compared is listed as not checked', () => {
  const none = compareRegionRecords({ region: 'us-west-2', enabled: true, domain: DOMAIN, live: [] });
  expect(none.records.map((r) => r.status)).toEqual(Array(4).fill('not-checked'));
  expect(none.records[0]!.reason).toMatch(/no apply report/);
  const held = compareRegionRecords({
    region: 'us-west-2',
    enabled: true,
    domain: DOMAIN,
    recorded: recorded(undefined),
    live: live(desired.own),
  });
  expect(statuses(held)).toEqual([
    'us-west-2.coderdemo.io:in-sync',
    '*.us-west-2.coderdemo.io:in-sync',
    'coderdemo.io/us-west-2:not-checked',
    '*.coderdemo.io/us-west-2:not-checked',
  ]);
});

test('a latency entry whose set identifier is no region of Git is stray', () => {
  const stray = strayLatencyRecords(
    DOMAIN,
    ['us-east-2', 'us-west-2'],
    live([...desired.latency, { ...desired.latency[0]!, SetIdentifier: 'maintenance', Region: 'eu-west-1' }]),
  );
  expect(stray).toEqual([
    expect.objectContaining({ name: 'coderdemo.io', setIdentifier: 'maintenance', status: 'added' }),
  ]);
});

describe('apply reports', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'apply-reports-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const report = (at: string, latency: ResourceRecordSet[] | undefined, region = 'us-west-2') => ({
    status: 'applied',
    headSha: 'e'.repeat(40),
    regions: [
      {
        region,
        dns: { mode: 'promote', status: 'changed', changes: [], recorded: { at, own: desired.own, latency } },
      },
    ],
  });

  test('per region the newest recording wins, whatever the file order', async () => {
    await writeFile(join(dir, 'b.json'), JSON.stringify(report('2026-12-01T09:00:00Z', [])));
    await writeFile(join(dir, 'a.json'), JSON.stringify(report('2026-12-01T08:00:00Z', desired.latency)));
    const got = await readRecordedRegions([join(dir, 'b.json'), join(dir, 'a.json')]);
    expect(got.get('us-west-2')!.recorded.latency).toEqual([]);
    expect(got.get('us-west-2')!.source).toBe('apply report b.json (2026-12-01T09:00:00Z, eeeeeeeeeeee)');
  });

  test('a file that is not an apply report is a clear error naming it', async () => {
    await writeFile(join(dir, 'bad.json'), '{"not": "a report"}');
    await writeFile(join(dir, 'broken.json'), '{');
    await expect(readRecordedRegions([join(dir, 'bad.json')])).rejects.toThrow(
      new ConfigurationError('not an apply-region report: it has no regions list', {
        file: join(dir, 'bad.json'),
        path: 'regions',
      }),
    );
    await expect(readRecordedRegions([join(dir, 'broken.json')])).rejects.toThrow(
      /broken\.json: could not read the apply report/,
    );
  });
});
