import { parseTemplate } from '../gitops/cfn-yaml.js';
import { resolveStackParameters } from '../gitops/resolve-source.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import { effectiveParameterValues } from './effective-parameters.js';

/*
 * A region's monthly cost floor: what it bills around the clock with no users, from its stacks' templates
 * at their effective parameter values and the on-demand list prices below. An ESTIMATE, said with every
 * figure: list prices change, and data transfer, LCUs, EBS volumes, public IPv4 addresses, Route 53,
 * Secrets Manager, KMS and the nodes Karpenter adds for workspaces are not in it.
 *
 * Prices (USD, on-demand, Linux, as published on the AWS pricing pages in 2025; London figures are the
 * published ones as far as known, marked approximate where they are derived):
 * - EKS: $0.10 per cluster-hour in standard support, $0.60 in extended support (aws.amazon.com/eks/pricing).
 * - Network Load Balancer: $0.0225 per NLB-hour in us-east-1/us-east-2/us-west-2, $0.0252 in eu-west-2
 *   (aws.amazon.com/elasticloadbalancing/pricing), LCUs extra. The NLB is made by the load balancer
 *   controller from Coder's Service, one per region: it is in no template, so it is counted per region.
 * - Aurora Serverless v2 (Aurora Standard): $0.12 per ACU-hour in us-east-1/us-east-2/us-west-2, $0.14 in
 *   eu-west-2 (aws.amazon.com/rds/aurora/pricing); every db.serverless instance (writer, readers) bills
 *   its own ACUs, at least MinCapacity unless it is 0 (paused).
 * - EC2 (aws.amazon.com/ec2/pricing/on-demand): t4g.nano $0.0042/h, t4g.small $0.0168/h, t4g.medium
 *   $0.0336/h, t4g.large $0.0672/h, t4g.xlarge $0.1344/h in the US regions; eu-west-2 about 14% more
 *   (approximate).
 */

export const HOURS_PER_MONTH = 730;

/** Per-region price, USD per hour; regions not listed use us-east-1's, and the estimate says so. */
type RegionalPrice = Record<string, number>;

const US = ['us-east-1', 'us-east-2', 'us-west-2'];
const us = (price: number, london: number): RegionalPrice => ({
  ...Object.fromEntries(US.map((r) => [r, price])),
  'eu-west-2': london,
});

export const EKS_CLUSTER_HOUR_USD = 0.1;
export const NLB_HOUR_USD: RegionalPrice = us(0.0225, 0.0252);
export const ACU_HOUR_PRICES: RegionalPrice = us(0.12, 0.14);
const EC2_HOUR_USD: Record<string, RegionalPrice> = {
  't4g.nano': us(0.0042, 0.0048),
  't4g.small': us(0.0168, 0.0192),
  't4g.medium': us(0.0336, 0.0384),
  't4g.large': us(0.0672, 0.0768),
  't4g.xlarge': us(0.1344, 0.1536),
};

export interface CostItem {
  what: string;
  monthlyUsd: number;
}

export interface CostFloor {
  region: string;
  monthlyUsd: number;
  items: CostItem[];
  /** What could not be priced (an instance type not in the table, a parameter known only after apply). */
  unpriced: string[];
  /** Prices taken from us-east-1 because the region has none in the table. */
  priceFallback: boolean;
}

function regional(p: RegionalPrice, region: string): { usd: number; fallback: boolean } {
  const v = p[region];
  return v === undefined ? { usd: p['us-east-1']!, fallback: true } : { usd: v, fallback: false };
}

/** USD a month for `acu` ACUs held around the clock by `instances` db.serverless instances. */
export function auroraFloorUsd(region: string, acu: number, instances = 1): number {
  return acu * instances * HOURS_PER_MONTH * regional(ACU_HOUR_PRICES, region).usd;
}

/** The ACU-hour price used for a region (and whether it is us-east-1's, for want of the region's). */
export function acuHourUsd(region: string): { usd: number; fallback: boolean } {
  return regional(ACU_HOUR_PRICES, region);
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;

function value(v: unknown, params: Record<string, string | undefined>): string | undefined {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  const o = asObj(v);
  if (o && typeof o.Ref === 'string' && Object.keys(o).length === 1) return params[o.Ref];
  return undefined;
}

/** The region's cost floor from its stacks (account stacks cost nothing by the hour) plus its NLB. */
export function regionCostFloor(config: GitopsConfig, region: RegionConfig): CostFloor {
  const items: CostItem[] = [];
  const unpriced: string[] = [];
  let fallback = false;
  const add = (what: string, hourly: { usd: number; fallback: boolean }, count = 1) => {
    fallback ||= hourly.fallback;
    items.push({ what, monthlyUsd: hourly.usd * count * HOURS_PER_MONTH });
  };
  for (const spec of region.stacks) {
    const body = config.templates.get(spec.template);
    if (body === undefined) continue;
    let template: Obj;
    try {
      template = parseTemplate(body, `stacks/${spec.template}.yaml`);
    } catch {
      continue; // the plan reports the template error itself
    }
    const resolved = resolveStackParameters(spec, { config, region, outputs: () => undefined });
    const given = Object.fromEntries(
      Object.entries(resolved).map(([k, r]) => [k, r.known ? r.value : undefined]),
    );
    const params = effectiveParameterValues(template, given);
    const resources = Object.entries(asObj(template.Resources) ?? {}).map(([id, r]) => ({
      id,
      type: String(asObj(r)?.Type ?? ''),
      props: asObj(asObj(r)?.Properties) ?? {},
      condition: asObj(r)?.Condition,
    }));
    // Simple conditions (`!Equals [!Ref X, literal]`, `!Not [...]`) are evaluated; others stay unknown.
    const conditions = asObj(template.Conditions) ?? {};
    const holds = (name: unknown): boolean | undefined => {
      const evaluate = (c: unknown): boolean | undefined => {
        const o = asObj(c);
        const eq = o?.['Fn::Equals'];
        if (Array.isArray(eq) && eq.length === 2) {
          const [a, b] = eq.map((x) => value(x, params));
          return a === undefined || b === undefined ? undefined : a === b;
        }
        const not = o?.['Fn::Not'];
        if (Array.isArray(not) && not.length === 1) {
          const inner = evaluate(not[0]);
          return inner === undefined ? undefined : !inner;
        }
        return undefined;
      };
      return typeof name === 'string' ? evaluate(conditions[name]) : undefined;
    };
    const serverless = resources.filter(
      (r) => r.type === 'AWS::RDS::DBInstance' && value(r.props.DBInstanceClass, params) === 'db.serverless',
    );
    for (const r of resources) {
      const where = `${spec.name}/${r.id}`;
      if (r.type === 'AWS::EKS::Cluster')
        add(`EKS control plane (${where})`, { usd: EKS_CLUSTER_HOUR_USD, fallback: false });
      if (r.type === 'AWS::EC2::Instance' || r.type === 'AWS::EKS::Nodegroup') {
        const type =
          r.type === 'AWS::EC2::Instance'
            ? value(r.props.InstanceType, params)
            : value(Array.isArray(r.props.InstanceTypes) ? r.props.InstanceTypes[0] : undefined, params);
        const count =
          r.type === 'AWS::EC2::Instance'
            ? 1
            : Number(value(asObj(r.props.ScalingConfig)?.DesiredSize, params) ?? 0);
        const price = type ? EC2_HOUR_USD[type] : undefined;
        if (!price) unpriced.push(`${where} (${type ?? 'instance type known after apply'})`);
        else if (count > 0) add(`${count} × ${type} (${where})`, regional(price, region.name), count);
      }
      if (r.type === 'AWS::RDS::DBCluster') {
        const min = Number(value(asObj(r.props.ServerlessV2ScalingConfiguration)?.MinCapacity, params));
        const always = serverless.filter(
          (i) => i.condition === undefined || holds(i.condition) === true,
        ).length;
        const maybe = serverless.filter(
          (i) => i.condition !== undefined && holds(i.condition) === undefined,
        ).length;
        if (!Number.isFinite(min)) unpriced.push(`${where} (MinCapacity known after apply)`);
        else if (min > 0 && always > 0)
          add(
            `Aurora ${min} ACU × ${always} instance${always === 1 ? '' : 's'} (${where})`,
            acuHourUsd(region.name),
            min * always,
          );
        if (maybe > 0 && min > 0)
          unpriced.push(
            `${where}: ${maybe} conditional instance${maybe === 1 ? '' : 's'} (each adds the same)`,
          );
      }
    }
  }
  if (items.some((i) => i.what.startsWith('EKS control plane')))
    add("the Service's NLB (load balancer controller)", regional(NLB_HOUR_USD, region.name));
  const monthlyUsd = items.reduce((s, i) => s + i.monthlyUsd, 0);
  return { region: region.name, monthlyUsd, items, unpriced, priceFallback: fallback };
}

/** `$3.50`, `$298`. */
export const usd = (n: number): string => `$${n < 10 ? n.toFixed(2) : Math.round(n).toString()}`;

/** One line: `about $298/month (estimate at on-demand list prices: …)`. */
export function formatCostFloor(floor: CostFloor): string {
  const parts = floor.items.map((i) => `${i.what} ${usd(i.monthlyUsd)}`);
  const notes = [
    ...(floor.unpriced.length ? [`not priced: ${floor.unpriced.join(', ')}`] : []),
    ...(floor.priceFallback ? [`us-east-1 prices used for ${floor.region}`] : []),
  ];
  return `about ${usd(floor.monthlyUsd)}/month (estimate at on-demand list prices: ${parts.join(', ')}${notes.length ? `; ${notes.join('; ')}` : ''}; without data transfer, storage and workspace nodes)`;
}
