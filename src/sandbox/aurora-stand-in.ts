import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDBClusterCommand, DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import type { AwsClientFactory } from '../aws/client-factory.js';
import type { GitopsConfig } from '../gitops/types.js';

function literal(config: GitopsConfig, key: string, fallback: number): number {
  const hub = config.regions.find((r) => r.name === config.platform.hubRegion);
  // Coder's database (the `aurora` stack), not another stack of the same template (litellm-db).
  const stack =
    hub?.stacks.find((s) => s.name === 'aurora') ?? hub?.stacks.find((s) => s.template === 'aurora');
  const src = stack?.parameters[key];
  return src?.kind === 'literal' && !Number.isNaN(Number(src.value)) ? Number(src.value) : fallback;
}

/**
 * The emulator accepts AWS::RDS::DBCluster in a template but creates nothing, so the sandbox creates
 * the cluster the aurora stack declares through the RDS API (same engine and scaling), and writes an
 * hour of ServerlessDatabaseCapacity in which it scales down to its minimum after a burst: what
 * verify's cold-start check reads from a healthy, idle database.
 */
export async function registerAuroraStandIn(
  aws: AwsClientFactory,
  config: GitopsConfig,
  now = new Date(),
): Promise<string> {
  const region = config.platform.hubRegion;
  const id = `${config.platform.project}-${region}-aurora`;
  const min = literal(config, 'MinCapacity', 0.5);
  const max = literal(config, 'MaxCapacity', 16);
  const rds = aws.rds(region);
  const existing = await rds
    .send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))
    .catch(() => undefined);
  if (!existing?.DBClusters?.length) {
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: id,
        Engine: 'aurora-postgresql',
        EngineVersion: '15.8',
        MasterUsername: 'coder',
        ManageMasterUserPassword: true,
        StorageEncrypted: true,
        ServerlessV2ScalingConfiguration: { MinCapacity: min, MaxCapacity: max },
      }),
    );
  }
  const data = Array.from({ length: 60 }, (_, i) => ({
    MetricName: 'ServerlessDatabaseCapacity',
    Dimensions: [{ Name: 'DBClusterIdentifier', Value: id }],
    Timestamp: new Date(now.getTime() - (60 - i) * 60_000),
    Value: i < 10 ? Math.min(max, 2) : min,
    Unit: 'Count' as const,
  }));
  for (let i = 0; i < data.length; i += 20) {
    await aws
      .cloudWatch(region)
      .send(new PutMetricDataCommand({ Namespace: 'AWS/RDS', MetricData: data.slice(i, i + 20) }));
  }
  return id;
}
