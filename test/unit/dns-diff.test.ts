import { diffDns } from '../../src/plan/dns-diff.js';
import { diffClusterVars } from '../../src/plan/cluster-vars-diff.js';
import type { GitopsConfig, RegionConfig } from '../../src/gitops/types.js';

function region(
  name: string,
  enabled: boolean,
  dnsParams: RegionConfig['stacks'][number]['parameters'] = {
    DomainName: { kind: 'field', field: 'domain' },
  },
): RegionConfig {
  return {
    file: `regions/${name}.yaml`,
    name,
    role: 'spoke',
    coder: 'proxy',
    enabled,
    wave: 2,
    vpcCidr: '10.1.0.0/16',
    stacks: [{ name: 'dns', template: 'dns', dependsOn: [], parameters: dnsParams }],
    clusterVars: {},
  };
}

function config(
  regions: RegionConfig[],
  domain = 'coderdemo.io',
  dnsTemplate = 'Resources: {}',
): GitopsConfig {
  return {
    dir: '/nowhere/gitops',
    platform: { domain, project: 'coderdemo', hubRegion: 'us-east-2' } as GitopsConfig['platform'],
    regions,
    templates: new Map([['dns', dnsTemplate]]),
  };
}

const names = (cs: { record: string; kind: string; action: string }[]) =>
  cs.map((c) => `${c.action} ${c.kind} ${c.record}`);

describe('diffDns from configuration (offline)', () => {
  it('a region being enabled gets its latency and own alias records', () => {
    const out = diffDns({
      config: config([region('eu-west-2', true)]),
      baseConfig: config([region('eu-west-2', false)]),
      region: 'eu-west-2',
    });
    expect(names(out)).toEqual([
      'add latency-alias coderdemo.io',
      'add latency-alias *.coderdemo.io',
      'add region-alias eu-west-2.coderdemo.io',
      'add region-alias *.eu-west-2.coderdemo.io',
    ]);
    expect(out[0]!.reason).toMatch(/region enabled/);
  });

  it('a region being disabled is drained from latency routing only', () => {
    const out = diffDns({
      config: config([region('eu-west-2', false)]),
      baseConfig: config([region('eu-west-2', true)]),
      region: 'eu-west-2',
    });
    expect(names(out)).toEqual(['remove latency-alias coderdemo.io', 'remove latency-alias *.coderdemo.io']);
    expect(out[0]!.reason).toMatch(/region disabled: drained/);
  });

  it('an unchanged enabled region changes nothing', () => {
    expect(
      diffDns({
        config: config([region('us-west-2', true)]),
        baseConfig: config([region('us-west-2', true)]),
        region: 'us-west-2',
      }),
    ).toEqual([]);
  });

  it('a new region (absent at base) adds its health check and records', () => {
    const out = diffDns({
      config: config([region('eu-west-2', true)]),
      baseConfig: config([]),
      region: 'eu-west-2',
    });
    expect(names(out)[0]).toBe('add health-check eu-west-2.coderdemo.io');
    expect(out).toHaveLength(5);
    expect(out[1]!.reason).toMatch(/^new region/);
  });

  it('health check changes when the dns stack parameters or template change', () => {
    const head = config([region('us-west-2', true, { DomainName: { kind: 'literal', value: 'other.io' } })]);
    const out = diffDns({
      config: head,
      baseConfig: config([region('us-west-2', true)]),
      region: 'us-west-2',
    });
    expect(out).toEqual([
      expect.objectContaining({
        kind: 'health-check',
        action: 'change',
        reason: 'DomainName: coderdemo.io → other.io',
      }),
    ]);
    const tpl = diffDns({
      config: config([region('us-west-2', true)], 'coderdemo.io', 'Resources: {HealthCheck: {}}'),
      baseConfig: config([region('us-west-2', true)]),
      region: 'us-west-2',
    });
    expect(tpl).toEqual([
      expect.objectContaining({ kind: 'health-check', action: 'change', reason: 'stacks/dns.yaml changed' }),
    ]);
  });
});

describe('diffDns against Route 53 (online)', () => {
  it('adds only the records that are missing', () => {
    const out = diffDns({
      config: config([region('us-west-2', true)]),
      baseConfig: config([region('us-west-2', true)]),
      region: 'us-west-2',
      current: {
        latencyRegions: ['us-east-2'],
        regionRecords: ['us-west-2.coderdemo.io.', '\\052.us-west-2.coderdemo.io.'],
      },
    });
    expect(names(out)).toEqual(['add latency-alias coderdemo.io', 'add latency-alias *.coderdemo.io']);
  });

  it('drains a disabled region that Route 53 still routes to, even when the config did not change', () => {
    const out = diffDns({
      config: config([region('us-west-2', false)]),
      baseConfig: config([region('us-west-2', false)]),
      region: 'us-west-2',
      current: { latencyRegions: ['us-west-2', 'us-east-2'], regionRecords: [] },
    });
    expect(names(out)).toEqual(['remove latency-alias coderdemo.io', 'remove latency-alias *.coderdemo.io']);
  });

  it('nothing to do when Route 53 already matches', () => {
    const out = diffDns({
      config: config([region('us-west-2', true)]),
      region: 'us-west-2',
      current: {
        latencyRegions: ['us-west-2'],
        regionRecords: ['us-west-2.coderdemo.io', '*.us-west-2.coderdemo.io'],
      },
    });
    expect(out).toEqual([]);
  });
});

describe('diffClusterVars', () => {
  it('leaves out a variable unknown at base and head for the same reason, keeps one whose source changed', () => {
    const out = diffClusterVars(
      'us-west-2',
      { vpc_id: undefined, db_host: undefined },
      {
        vpc_id: { known: false, reason: 'known after apply (network.VpcId)' },
        db_host: { known: false, reason: 'known after apply (aurora.Endpoint in us-east-2)' },
      },
      {
        vpc_id: 'known after apply (network.VpcId)',
        db_host: 'known after apply (aurora.ReaderEndpoint in us-east-2)',
      },
    );
    expect(out.map((c) => c.name)).toEqual(['db_host']);
  });

  it('lists changed, new, removed and not-yet-known variables, and leaves equal ones out', () => {
    const out = diffClusterVars(
      'us-west-2',
      { same: 'a', changed: 'old', gone: 'x', vpc_id: 'vpc-1' },
      {
        same: { known: true, value: 'a' },
        changed: { known: true, value: 'new' },
        added: { known: true, value: 'n' },
        vpc_id: { known: false, reason: 'known after apply (network.VpcId)' },
      },
    );
    expect(out).toEqual([
      { region: 'us-west-2', name: 'added', known: true, after: 'n', reason: 'new variable' },
      { region: 'us-west-2', name: 'changed', known: true, before: 'old', after: 'new' },
      {
        region: 'us-west-2',
        name: 'gone',
        known: true,
        before: 'x',
        reason: 'removed: no longer in regions/us-west-2.yaml',
      },
      {
        region: 'us-west-2',
        name: 'vpc_id',
        known: false,
        before: 'vpc-1',
        reason: 'known after apply (network.VpcId)',
      },
    ]);
  });
});
