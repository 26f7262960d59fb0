import type { GitopsConfig, RegionConfig, VantagePoint } from '../../src/gitops/types.js';

/** A hand-built gitops config for verify tests (the loader is tested elsewhere). */
export function verifyTestConfig(opts: {
  regions: { name: string; enabled?: boolean; role?: 'hub' | 'spoke' }[];
  vantagePoints?: VantagePoint[];
  domain?: string;
  thresholds?: Partial<GitopsConfig['platform']['thresholds']>;
}): GitopsConfig {
  const regions: RegionConfig[] = opts.regions.map((r, i) => ({
    file: `/gitops/regions/${r.name}.yaml`,
    name: r.name,
    role: r.role ?? (i === 0 ? 'hub' : 'spoke'),
    coder: i === 0 ? 'primary' : 'proxy',
    enabled: r.enabled ?? true,
    wave: i === 0 ? 1 : 2,
    vpcCidr: `10.${i}.0.0/16`,
    stacks: [],
    clusterVars: {},
  }));
  return {
    dir: '/gitops',
    platform: {
      file: '/gitops/platform.yaml',
      project: 'coderdemo',
      domain: opts.domain ?? 'coderdemo.io',
      accountId: '123456789012',
      hostedZoneId: 'Z0000000000000000000',
      hubRegion: regions[0]!.name,
      github: { repository: 'coder/coderdemo', branch: 'main' },
      flux: { version: 'v2.6.4' },
      account: { region: 'us-east-1', stacks: [] },
      vantagePoints: opts.vantagePoints ?? [],
      thresholds: {
        tlsWarnDays: 21,
        tlsFailDays: 7,
        coldStartBudgetMs: 10_000,
        warmP95BudgetMs: 100,
        warmRequests: 5,
        httpTimeoutMs: 5000,
        ...opts.thresholds,
      },
      coldStart: { path: '/api/v2/users/first' },
      loadBalancer: { serviceNamespace: 'coder', serviceName: 'coder', listenerPorts: [443] },
      coder: { license: 'none' },
    },
    regions,
    templates: new Map(),
  };
}
