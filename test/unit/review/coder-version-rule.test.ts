import { assessCoderVersion, coderUpgradeOrder, ruleGuidance } from '../../../src/review/domain-rules.js';

const regions = [
  { name: 'us-west-2', coder: 'proxy' as const, enabled: true, wave: 2 },
  { name: 'us-east-2', coder: 'primary' as const, enabled: true, wave: 1 },
  { name: 'eu-west-2', coder: 'proxy' as const, enabled: false, wave: 3 },
];

describe('the rule "a Coder version change"', () => {
  it('names the migration and the order: primary first, then the enabled proxies', () => {
    const { findings, order } = assessCoderVersion({ version: '2.28.0', regions }, { version: '2.27.1' });
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({
      rule: 'coder-version-change',
      level: 'high',
      region: 'us-east-2',
      subject: 'platform.yaml coder.version',
    });
    expect(f!.message).toMatch(
      /^Coder 2\.27\.1 → 2\.28\.0: shared schema migration: primary first, then 1 proxy \(0 replicas scaled down first\)\. Order: 1\. us-east-2 \(primary\): upgrade, then wait until \/api\/v2\/buildinfo reports 2\.28\.0 and it is healthy; 2\. us-west-2 \(proxy\): upgrade/,
    );
    expect(order).toMatchObject({
      from: '2.27.1',
      to: '2.28.0',
      primary: 'us-east-2',
      proxies: ['us-west-2'],
      replicas: [],
    });
    expect(ruleGuidance('coder-version-change')?.why).toMatch(
      /does not support downgrades across migrations/,
    );
  });

  it('in replica mode the other replicas are scaled down before the primary and come back after it', () => {
    const order = coderUpgradeOrder(
      [...regions, { name: 'ap-south-1', coder: 'replica', enabled: true, wave: 2 }],
      '2.27.1',
      '2.28.0',
    );
    expect(order.steps[0]).toMatch(/^scale Coder to zero in ap-south-1/);
    expect(order.steps[1]).toMatch(/^us-east-2 \(primary\)/);
    expect(order.steps[2]).toMatch(/^ap-south-1 \(replica\): upgrade and scale back up/);
    expect(order.steps[3]).toMatch(/^us-west-2 \(proxy\)/);
    const { findings } = assessCoderVersion(
      {
        version: '2.28.0',
        regions: [...regions, { name: 'ap-south-1', coder: 'replica', enabled: true, wave: 2 }],
      },
      { version: '2.27.1' },
    );
    expect(findings[0]!.message).toContain('primary first, then 1 proxy (1 replica scaled down first)');
  });

  it('a downgrade is called out; no change, no base or no version is no finding', () => {
    const down = assessCoderVersion({ version: '2.26.3', regions }, { version: '2.27.1' });
    expect(down.findings[0]!.message).toContain(
      'a downgrade, which Coder does not support across migrations',
    );
    expect(assessCoderVersion({ version: '2.27.1', regions }, { version: '2.27.1' }).findings).toEqual([]);
    expect(assessCoderVersion({ version: '2.27.1', regions }, undefined).findings).toEqual([]);
    expect(assessCoderVersion({ regions }, { version: '2.27.1' }).findings).toEqual([]);
  });
});
