import path from 'node:path';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import type { CoderMode, GitopsConfig } from '../../src/gitops/types.js';
import { apexRegions, whatIfRouting } from '../../src/plan/what-if-routing.js';
import { zoneFromRoute53 } from '../../src/sandbox/knot-zone.js';

/*
 * The what-if table models the apex latency set as the regions that serve the dashboard and API
 * (coder: primary or replica, coder-topology.ts servesApex): a workspace proxy is not in it.
 */

let main: GitopsConfig;
beforeAll(async () => {
  main = await loadGitops(path.resolve('gitops'));
});

/** main with eu-west-2 switched on (or off) in the given mode. */
function withEu(enabled: boolean, coder: CoderMode): GitopsConfig {
  return {
    ...main,
    regions: main.regions.map((r) => (r.name === 'eu-west-2' ? { ...r, enabled, coder } : r)),
  };
}

describe('whatIfRouting', () => {
  it('main: us-east-2 (primary) alone is in the apex set, us-west-2 (proxy) is not', () => {
    expect(apexRegions(main)).toEqual(['us-east-2']);
  });

  it('enabling a replica adds it to the apex set and moves its vantage point to it', () => {
    const w = whatIfRouting(withEu(true, 'replica'), main)!;
    expect(w).toMatchObject({
      today: ['us-east-2'],
      after: ['eu-west-2', 'us-east-2'],
      proxiesAfter: ['us-west-2'],
    });
    const london = w.rows.find((r) => r.vantagePoint === 'london')!;
    expect(london).toMatchObject({ today: 'us-east-2', after: 'eu-west-2', expectedAfter: true });
    expect(london.ifDown).toEqual({ 'eu-west-2': 'us-east-2', 'us-east-2': 'eu-west-2' });
    // Oregon's first choice is a proxy: not in the apex set, so its apex answer is the primary.
    expect(w.rows.find((r) => r.vantagePoint === 'oregon')).toMatchObject({
      today: 'us-east-2',
      after: 'us-east-2',
    });
    expect(w.model).toContain('workspace proxies are not in it');
  });

  it('draining a replica takes its vantage point back to the primary', () => {
    const w = whatIfRouting(withEu(false, 'replica'), withEu(true, 'replica'))!;
    expect(w).toMatchObject({ today: ['eu-west-2', 'us-east-2'], after: ['us-east-2'] });
    expect(w.rows.find((r) => r.vantagePoint === 'london')).toMatchObject({
      today: 'eu-west-2',
      after: 'us-east-2',
    });
  });

  it('enabling a proxy still gets a table, and it shows the apex answers unchanged', () => {
    const w = whatIfRouting(withEu(true, 'proxy'), main)!;
    expect(w).toMatchObject({
      today: ['us-east-2'],
      after: ['us-east-2'],
      proxiesAfter: ['eu-west-2', 'us-west-2'],
    });
    for (const row of w.rows) expect(row.after).toBe(row.today);
    // With the primary down nothing serves the apex: no answer, and no hub fallback claimed.
    for (const row of w.rows)
      expect(row).toMatchObject({ ifDown: { 'us-east-2': undefined }, fallbackIfDown: [] });
  });

  it('no region switched on or off: no table', () => {
    expect(whatIfRouting(main, main)).toBeUndefined();
  });
});

describe('zoneFromRoute53 answers like the what-if table', () => {
  it('each vantage point gets the region the table says, from the apex set Route 53 holds', () => {
    const config = withEu(true, 'replica');
    const domain = config.platform.domain;
    const apex = apexRegions(config);
    const targets = apex.map((r, i) => ({
      region: r,
      dnsName: `coder-${r}.elb.${r}.amazonaws.com`,
      address: `192.0.2.${i + 1}`,
    }));
    const records: ResourceRecordSet[] = targets.map((t) => ({
      Name: `${domain}.`,
      Type: 'A',
      SetIdentifier: t.region,
      Region: t.region as ResourceRecordSet['Region'],
      AliasTarget: { HostedZoneId: 'Z3AADJGX6KTTL2', DNSName: t.dnsName, EvaluateTargetHealth: true },
    }));
    const zone = zoneFromRoute53(config, records, targets);
    expect(zone.latencyRegions).toEqual(apex);
    const table = whatIfRouting(config, main)!;
    for (const row of table.rows) {
      const answer = zone.knot.geo.find((g) => g.subnet === row.clientSubnet)!.answers[0]!.value;
      expect(targets.find((t) => t.address === answer)!.region).toBe(row.after);
    }
  });
});
