import type { AwsClientFactory } from '../aws/client-factory.js';
import { findServiceLoadBalancer } from '../aws/elbv2/find-load-balancer.js';
import { applyRegionAliases, desiredRecords, type DnsMode } from '../aws/route53/alias-records.js';
import { servesApex } from '../gitops/coder-topology.js';
import type { GitopsConfig, RegionConfig } from '../gitops/types.js';
import type { Logger } from '../util/logger.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';
import type { RecordedAliases, RegionDnsReport, RegionOutputs, RegionVerifyReport } from './apply-types.js';
import { verifyRegionEndpoint, type RegionVerifier } from './region-verify.js';

const HEALTH_CHECK_OUTPUT = 'HealthCheckId';

export interface RegionDnsInput {
  config: GitopsConfig;
  region: RegionConfig;
  outputs: RegionOutputs;
  /** The `dns` input; a region that is not enabled is removed (or held) whatever it says. */
  dns: DnsMode;
  dryRun: boolean;
  verify: { caFile?: string; resolve?: ResolveOverride[]; nameserver?: { host: string; port: number } };
  /** The region-only verification before promotion (default: the verify engine's HTTPS/TLS checks). */
  verifier?: RegionVerifier;
  aws: AwsClientFactory;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
}

/** What apply-region leaves in Route 53 for a region after a DNS call in `mode` (for the drift job). */
function recordedAliases(
  domain: string,
  region: string,
  target: { dnsName: string; hostedZoneId: string },
  healthCheckId: string | undefined,
  mode: DnsMode,
): RecordedAliases {
  const desired = desiredRecords(domain, region, target, healthCheckId);
  return {
    at: new Date().toISOString(),
    own: desired.own,
    ...(mode === 'promote' ? { latency: desired.latency } : mode === 'remove' ? { latency: [] } : {}),
  };
}

/** Keeps warnings and errors, drops the preview's "would …" lines (the real call logs them). */
function silent(log: Logger): Logger {
  return {
    info: () => undefined,
    debug: () => undefined,
    warn: (m, w) => log.warn(m, w),
    error: (m, w) => log.error(m, w),
    group: (_name, fn) => fn(),
    setSecret: (v) => log.setSecret(v),
    child: () => silent(log),
  };
}

/**
 * The region's alias records: point them at the NLB the load balancer controller made; a region enters
 * latency routing only after its own endpoint verified; drained or held as the `dns` input says.
 */
export async function applyRegionDns(
  input: RegionDnsInput,
): Promise<{ dns: RegionDnsReport; verify?: RegionVerifyReport }> {
  const { config, region, outputs, logger: log } = input;
  const { platform } = config;
  const clusterName = `${platform.project}-${region.name}`;
  const asked: DnsMode = region.enabled ? input.dns : input.dns === 'hold' ? 'hold' : 'remove';
  // A workspace proxy serves only its own names: promoting it writes those and takes it out of the apex
  // latency set (a stale entry from when it ran a full server is deleted), never into it (coder-topology.ts).
  const mode: DnsMode = asked === 'promote' && !servesApex(region) ? 'remove' : asked;
  const nlb = await findServiceLoadBalancer(input.aws.elbv2(region.name), {
    clusterName,
    serviceNamespace: platform.loadBalancer.serviceNamespace,
    serviceName: platform.loadBalancer.serviceName,
    sleep: input.sleep,
  });
  if (!nlb) {
    const reason =
      `no load balancer tagged service.k8s.aws/stack=${platform.loadBalancer.serviceNamespace}/${platform.loadBalancer.serviceName} ` +
      `and elbv2.k8s.aws/cluster=${clusterName} in ${region.name} yet (the load balancer controller makes it once Coder runs): DNS left as it is`;
    log.info(reason);
    return { dns: { mode, status: 'skipped', changes: [], reason } };
  }
  const healthCheckId =
    outputs.stacks.dns?.[HEALTH_CHECK_OUTPUT] ??
    Object.values(outputs.stacks).find((o) => o[HEALTH_CHECK_OUTPUT])?.[HEALTH_CHECK_OUTPUT];
  const common = {
    route53: input.aws.route53(),
    hostedZoneId: platform.hostedZoneId,
    domain: platform.domain,
    region: region.name,
    target: { dnsName: nlb.dnsName, hostedZoneId: nlb.canonicalHostedZoneId },
    healthCheckId,
    logger: log,
    sleep: input.sleep,
  };
  const lb = `${nlb.name} (${nlb.dnsName})`;
  // What would change, without changing it: promotion only needs verifying when it changes routing.
  const preview = await applyRegionAliases({ ...common, mode, dryRun: true, logger: silent(log) });
  if (input.dryRun) {
    return {
      dns: {
        mode,
        status: 'dry-run',
        changes: preview.changes,
        inLatencyRouting: preview.inLatencyRouting,
        loadBalancer: lb,
      },
    };
  }
  let verify: RegionVerifyReport | undefined;
  let effective = mode;
  if (mode === 'promote' && preview.entersLatencyRouting) {
    const verifier = input.verifier ?? verifyRegionEndpoint;
    log.info(
      `verifying ${region.name}.${platform.domain} at ${nlb.dnsName} before it enters latency routing`,
    );
    const v = await verifier({
      config,
      region: region.name,
      nlbDnsName: nlb.dnsName,
      resolve: input.verify.resolve,
      caFile: input.verify.caFile,
      nameserver: input.verify.nameserver,
      logger: log,
      sleep: input.sleep,
    });
    verify = { status: v.status, summary: v.summary };
    if (v.status !== 'pass') effective = 'hold';
  }
  const result = await applyRegionAliases({ ...common, mode: effective });
  const dns: RegionDnsReport = {
    mode,
    status: result.changes.length > 0 ? 'changed' : 'unchanged',
    changes: result.changes,
    inLatencyRouting: result.inLatencyRouting,
    loadBalancer: lb,
    recorded: recordedAliases(common.domain, common.region, common.target, common.healthCheckId, effective),
  };
  if (verify && verify.status !== 'pass') {
    dns.status = 'failed';
    dns.reason = `not promoted: region-only verification ${verify.status}: ${verify.summary}`;
  }
  return { dns, verify };
}
