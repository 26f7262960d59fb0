import path from 'node:path';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import {
  accountRegion,
  deployRegionOf,
  resolveClusterVars,
  resolveSource,
  resolveStackParameters,
} from '../../../src/gitops/resolve-source.js';
import type { GitopsConfig, RegionConfig } from '../../../src/gitops/types.js';

const FIXTURE = path.resolve('test/fixtures/gitops-valid/gitops');

let config: GitopsConfig;
let hub: RegionConfig;
let spoke: RegionConfig;
beforeAll(async () => {
  config = await loadGitops(FIXTURE);
  hub = config.regions.find((r) => r.name === 'us-east-2')!;
  spoke = config.regions.find((r) => r.name === 'us-west-2')!;
});

const noOutputs = () => undefined;

describe('resolveSource', () => {
  it('computes fields from the platform and the region', () => {
    const ctx = { config, region: spoke, outputs: noOutputs };
    const field = (f: string) => resolveSource({ kind: 'field', field: f as never }, ctx);
    expect(field('clusterName')).toEqual({ known: true, value: 'demo-us-west-2' });
    expect(field('stackPrefix')).toEqual({ known: true, value: 'demo-us-west-2' });
    expect(field('hubVpcCidr')).toEqual({ known: true, value: '10.0.0.0/16' });
    expect(field('allVpcCidrs')).toEqual({ known: true, value: '10.0.0.0/16,10.1.0.0/16' });
    expect(field('wave')).toEqual({ known: true, value: '2' });
    expect(field('githubRepository')).toEqual({ known: true, value: 'example/demo' });
    expect(resolveSource({ kind: 'literal', value: '42' }, ctx)).toEqual({ known: true, value: '42' });
  });

  it('reads outputs from the named region, and says what is missing before apply', () => {
    const outputs = (region: string, stack: string) =>
      region === 'us-east-2' && stack === 'network' ? { VpcId: 'vpc-hub' } : undefined;
    const ctx = { config, region: spoke, outputs };
    expect(resolveSource({ kind: 'output', stack: 'network', outputKey: 'VpcId', region: 'hub' }, ctx)).toEqual({
      known: true,
      value: 'vpc-hub',
    });
    expect(resolveSource({ kind: 'output', stack: 'network', outputKey: 'VpcId' }, ctx)).toEqual({
      known: false,
      reason: 'known after apply (network.VpcId in us-west-2)',
    });
  });

  it('resolves a stack’s parameters and a region’s cluster variables', () => {
    const outputs = (region: string, stack: string) =>
      region === 'us-east-2' && stack === 'aurora' ? { Endpoint: 'db.example' } : undefined;
    const network = spoke.stacks.find((s) => s.name === 'network')!;
    expect(resolveStackParameters(network, { config, region: spoke, outputs })).toEqual({
      VpcCidr: { known: true, value: '10.1.0.0/16' },
      PeerVpcId: { known: false, reason: 'known after apply (network.VpcId in us-east-2)' },
    });
    expect(resolveClusterVars(spoke, { config, outputs })).toEqual({
      region: { known: true, value: 'us-west-2' },
      domain: { known: true, value: 'example.test' },
      database_endpoint: { known: true, value: 'db.example' },
      coder_version: { known: true, value: '2.27.1' },
    });
  });

  it('places the hub-side routes of a spoke in the hub region', () => {
    const routes = spoke.stacks.find((s) => s.name === 'hub-routes')!;
    expect(deployRegionOf(routes, spoke, config)).toBe('us-east-2');
    expect(deployRegionOf(spoke.stacks[0]!, spoke, config)).toBe('us-west-2');
  });

  it('resolves account stacks against the account region', () => {
    const region = accountRegion(config);
    const oidc = config.platform.account.stacks[0]!;
    expect(resolveStackParameters(oidc, { config, region, outputs: noOutputs })).toEqual({
      Repository: { known: true, value: 'example/demo' },
    });
    expect(hub.name).toBe(region.name);
  });
});
