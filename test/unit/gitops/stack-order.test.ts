import { ConfigurationError } from '../../../src/util/errors.js';
import { orderRegions, orderStacks } from '../../../src/gitops/stack-order.js';
import type { GitopsConfig, RegionConfig, StackSpec, ValueSource } from '../../../src/gitops/types.js';

function stack(name: string, dependsOn: string[] = [], parameters: Record<string, ValueSource> = {}): StackSpec {
  return { name, template: name, dependsOn, parameters, line: 10 };
}
function region(name: string, stacks: StackSpec[], wave = 1, role: 'hub' | 'spoke' = 'spoke'): RegionConfig {
  return { file: `gitops/regions/${name}.yaml`, name, role, coder: role === 'hub' ? 'primary' : 'proxy', enabled: true, wave, vpcCidr: '10.0.0.0/16', stacks, clusterVars: {} };
}
const out = (s: string, region?: string): ValueSource => ({ kind: 'output', stack: s, outputKey: 'X', ...(region ? { region } : {}) });

describe('orderStacks', () => {
  it('puts dependencies (dependsOn and same-region outputs) first and keeps the file order otherwise', () => {
    const r = region('us-west-2', [
      stack('dns'),
      stack('eks', [], { Subnets: out('network') }),
      stack('certificates'),
      stack('network'),
      stack('apps', ['eks']),
    ]);
    expect(orderStacks(r).map((s) => s.name)).toEqual(['dns', 'certificates', 'network', 'eks', 'apps']);
  });

  it('ignores outputs of another region, except `hub` in the hub itself', () => {
    const spoke = region('us-west-2', [stack('a', [], { V: out('b', 'hub') }), stack('b')]);
    expect(orderStacks(spoke).map((s) => s.name)).toEqual(['a', 'b']);
    const hub = region('us-east-2', [stack('a', [], { V: out('b', 'hub') }), stack('b')], 1, 'hub');
    expect(orderStacks(hub).map((s) => s.name)).toEqual(['b', 'a']);
  });

  it('names the cycle', () => {
    const r = region('us-west-2', [stack('a', ['c']), stack('b', ['a']), stack('c', [], { V: out('b') }), stack('d')]);
    let err: unknown;
    try {
      orderStacks(r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/^gitops\/regions\/us-west-2\.yaml:10 \(stacks\[\d\]\): stacks depend on each other in a cycle: /);
    expect((err as Error).message).toMatch(/a → c → b → a|b → a → c → b|c → b → a → c/);
  });
});

describe('orderRegions', () => {
  it('groups regions into waves, the hub first', () => {
    const config = {
      platform: { hubRegion: 'us-east-2' },
      regions: [region('eu-west-2', [], 3), region('ap-south-1', [], 1), region('us-west-2', [], 2), region('us-east-2', [], 1, 'hub')],
    } as unknown as GitopsConfig;
    expect(orderRegions(config).map((w) => w.map((r) => r.name))).toEqual([
      ['us-east-2', 'ap-south-1'],
      ['us-west-2'],
      ['eu-west-2'],
    ]);
  });
});
