import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBClustersCommand, type DBCluster } from '@aws-sdk/client-rds';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { wrapAwsError } from '../util/errors.js';
import { acuHourUsd } from '../review/cost-floor.js';

/** Aurora Serverless v2 list price, USD per ACU-hour in us-east-2 (the plan's cost model); for the trade-off text only. */
export const ACU_HOUR_USD = acuHourUsd('us-east-2').usd;
const HOURS_PER_MONTH = 730;

export interface AuroraScaling {
  clusterId: string;
  region: string;
  minCapacity?: number;
  maxCapacity?: number;
  /** Set when MinCapacity is 0 (auto-pause). */
  secondsUntilAutoPause?: number;
}

export type AuroraIdleState = 'paused' | 'idle-at-min' | 'active' | 'unknown';

export interface AuroraCapacityWindow {
  /** ServerlessDatabaseCapacity per minute over the window, oldest first. */
  points: { at: string; acu: number }[];
  latest?: number;
  state: AuroraIdleState;
  /** The capacity never came down to MinCapacity over the window: paying for idle ACUs. */
  neverScalesDown: boolean;
  /** Paused for most of the window: nearly every first visitor waits for a resume. */
  alwaysCold: boolean;
  /** Human trade-off text for the flags. */
  tradeOff?: string;
}

function usdPerMonth(acu: number): string {
  return `$${(acu * ACU_HOUR_USD * HOURS_PER_MONTH).toFixed(0)}/month`;
}

/** The Aurora Serverless v2 cluster serving a region: its own, or else the hub's (the database is shared). */
export async function findAuroraCluster(
  aws: AwsClientFactory,
  project: string,
  regions: string[],
): Promise<AuroraScaling | undefined> {
  for (const region of regions) {
    let clusters: DBCluster[] = [];
    try {
      let marker: string | undefined;
      do {
        const out = await aws.rds(region).send(new DescribeDBClustersCommand({ Marker: marker }));
        clusters.push(...(out.DBClusters ?? []));
        marker = out.Marker;
      } while (marker);
    } catch (err) {
      throw wrapAwsError(`could not list Aurora clusters in ${region}`, err);
    }
    clusters = clusters.filter(
      (c) => (c.Engine ?? '').startsWith('aurora') && c.ServerlessV2ScalingConfiguration,
    );
    // The hub runs more than one Aurora cluster (Coder's `aurora` stack, LiteLLM's `litellm-db`):
    // Coder's is the one whose identifier CloudFormation derived from <project>-<region>-aurora.
    const coderPrefix = `${project}-${region}-aurora`.toLowerCase();
    const pick =
      clusters.find((c) => (c.DBClusterIdentifier ?? '').toLowerCase().startsWith(coderPrefix)) ??
      clusters.find((c) => (c.DBClusterIdentifier ?? '').includes(project)) ??
      (clusters.length === 1 ? clusters[0] : undefined);
    if (pick?.DBClusterIdentifier) {
      const s = pick.ServerlessV2ScalingConfiguration!;
      return {
        clusterId: pick.DBClusterIdentifier,
        region,
        minCapacity: s.MinCapacity,
        maxCapacity: s.MaxCapacity,
        secondsUntilAutoPause: s.SecondsUntilAutoPause,
      };
    }
  }
  return undefined;
}

/** Read ServerlessDatabaseCapacity (1-minute averages) over the last hour and judge idleness. */
export async function readCapacityWindow(
  aws: AwsClientFactory,
  scaling: AuroraScaling,
  now: Date,
): Promise<AuroraCapacityWindow> {
  let out;
  try {
    out = await aws.cloudWatch(scaling.region).send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 3_600_000),
        EndTime: now,
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          {
            Id: 'capacity',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/RDS',
                MetricName: 'ServerlessDatabaseCapacity',
                Dimensions: [{ Name: 'DBClusterIdentifier', Value: scaling.clusterId }],
              },
              Period: 60,
              Stat: 'Average',
            },
          },
        ],
      }),
    );
  } catch (err) {
    throw wrapAwsError(`could not read ServerlessDatabaseCapacity of ${scaling.clusterId}`, err);
  }
  const series = out.MetricDataResults?.[0];
  const points = (series?.Timestamps ?? [])
    .map((t, i) => ({ at: new Date(t).toISOString(), acu: series?.Values?.[i] ?? 0 }))
    .sort((a, b) => a.at.localeCompare(b.at));
  return judgeCapacity(scaling, points);
}

/** Pure judgement of a capacity series against the cluster's scaling configuration. */
export function judgeCapacity(
  scaling: AuroraScaling,
  points: { at: string; acu: number }[],
): AuroraCapacityWindow {
  const min = scaling.minCapacity ?? 0;
  const eps = 0.01;
  const latest = points.at(-1)?.acu;
  const state: AuroraIdleState =
    latest === undefined
      ? 'unknown'
      : latest <= eps
        ? 'paused'
        : latest <= min + eps
          ? 'idle-at-min'
          : 'active';
  // Too few points say nothing about a trend.
  const enough = points.length >= 10;
  const neverScalesDown = enough && points.every((p) => p.acu > min + eps);
  const pausedShare = points.length ? points.filter((p) => p.acu <= eps).length / points.length : 0;
  const alwaysCold = enough && min === 0 && pausedShare >= 0.8;
  let tradeOff: string | undefined;
  if (neverScalesDown) {
    const floor = Math.min(...points.map((p) => p.acu));
    tradeOff =
      `never came down to MinCapacity ${min} ACU in the last hour (lowest ${floor} ACU): ` +
      `about ${usdPerMonth(floor - min)} more than idling at the minimum (at $${ACU_HOUR_USD}/ACU-hour). ` +
      'Something keeps the database busy (connections, polling, this check?).';
  } else if (alwaysCold) {
    tradeOff =
      `paused (0 ACU) for ${Math.round(pausedShare * 100)} % of the last hour: nearly every first visitor waits for a resume. ` +
      `MinCapacity 0.5 ACU would keep it warm for about ${usdPerMonth(0.5)}; auto-pause costs nothing while idle.`;
  }
  return { points, latest, state, neverScalesDown, alwaysCold, tradeOff };
}
