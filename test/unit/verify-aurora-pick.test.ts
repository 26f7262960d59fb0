/**
 * The hub runs two Aurora Serverless v2 clusters (Coder's `aurora` stack and LiteLLM's `litellm-db`,
 * same template): the cold-start check must read Coder's, whatever order RDS lists them in.
 */
import { DescribeDBClustersCommand, RDSClient, type DBCluster } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { findAuroraCluster } from '../../src/verify/aurora-state.js';
import { regimeOf } from '../../src/verify/cold-start-check.js';

const rds = mockClient(RDSClient);
afterEach(() => rds.reset());

// Identifiers as CloudFormation derives them from the stack name and logical id.
const cluster = (id: string, min: number, max: number): DBCluster => ({
  DBClusterIdentifier: id,
  Engine: 'aurora-postgresql',
  ServerlessV2ScalingConfiguration: { MinCapacity: min, MaxCapacity: max },
});

it.each([
  [
    'LiteLLM listed first',
    ['coderdemo-us-east-2-litellm-db-cluster-1abc', 'coderdemo-us-east-2-aurora-cluster-9xyz'],
  ],
  [
    'Coder listed first',
    ['coderdemo-us-east-2-aurora-cluster-9xyz', 'coderdemo-us-east-2-litellm-db-cluster-1abc'],
  ],
])('picks Coder’s database when %s', async (_name, ids) => {
  rds.on(DescribeDBClustersCommand).resolves({
    DBClusters: ids.map((id) => (id.includes('litellm') ? cluster(id, 0.5, 8) : cluster(id, 0.5, 16))),
  });
  const found = await findAuroraCluster(
    new AwsClientFactory({ credentials: () => Promise.resolve({ accessKeyId: 'a', secretAccessKey: 'b' }) }),
    'coderdemo',
    ['us-east-2'],
  );
  expect(found).toMatchObject({ clusterId: 'coderdemo-us-east-2-aurora-cluster-9xyz', maxCapacity: 16 });
});

describe('the regime the Aurora reading reports', () => {
  it.each([
    [{ clusterId: 'c', region: 'us-east-2', minCapacity: 0.5 }, 'no-pause'],
    [{ clusterId: 'c', region: 'us-east-2', minCapacity: 0, secondsUntilAutoPause: 300 }, 'auto-pause'],
    [{ clusterId: 'c', region: 'us-east-2' }, 'unknown'],
    [undefined, 'unknown'],
  ] as const)('%o → %s', (scaling, regime) => {
    expect(regimeOf(scaling)).toBe(regime);
  });
});
