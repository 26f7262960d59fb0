import path from 'node:path';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { auroraFloorUsd, formatCostFloor, regionCostFloor } from '../../../src/review/cost-floor.js';
import { REPO_ROOT } from '../../helpers/run-action.js';

// The cost floor of the real gitops/ regions, from their templates at effective parameter values.

test('a region enabled adds its EKS control plane, NAT instance, system nodes and NLB at list prices', async () => {
  const config = await loadGitops(path.join(REPO_ROOT, 'gitops'));
  const eu = regionCostFloor(
    config,
    config.regions.find((r) => r.name === 'eu-west-2')!,
  );
  const item = (re: RegExp) => eu.items.find((i) => re.test(i.what))?.monthlyUsd;
  expect(item(/^EKS control plane/)).toBeCloseTo(0.1 * 730); // $0.10 per cluster-hour
  expect(item(/^1 × t4g\.nano \(network\/NatInstance\)/)).toBeCloseTo(0.0048 * 730);
  expect(item(/^2 × t4g\.xlarge \(eks\/SystemNodeGroup\)/)).toBeCloseTo(2 * 0.1536 * 730);
  expect(item(/NLB/)).toBeCloseTo(0.0252 * 730);
  expect(eu.unpriced).toEqual([]);
  expect(formatCostFloor(eu)).toMatch(
    /^about \$319\/month \(estimate at on-demand list prices: .*without data transfer/,
  );
});

test("the hub's floor counts every always-on db.serverless instance (the reader when Readers is 1)", async () => {
  const config = await loadGitops(path.join(REPO_ROOT, 'gitops'));
  const hub = regionCostFloor(
    config,
    config.regions.find((r) => r.name === 'us-east-2')!,
  );
  expect(hub.items.map((i) => i.what)).toEqual(
    expect.arrayContaining([
      'Aurora 0.5 ACU × 2 instances (aurora/Cluster)',
      'Aurora 0.5 ACU × 1 instance (litellm-db/Cluster)',
    ]),
  );
  expect(auroraFloorUsd('us-east-2', 2)).toBeCloseTo(2 * 730 * 0.12);
  expect(auroraFloorUsd('ap-south-1', 1)).toBeCloseTo(730 * 0.12); // us-east-1's price for want of one
});
