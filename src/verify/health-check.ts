import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  type HealthCheck,
  type HealthCheckObservation,
} from '@aws-sdk/client-route-53';
import { stackName } from '../gitops/types.js';
import { errorMessage, wrapAwsError } from '../util/errors.js';
import { tryAttempts } from './attempts.js';
import { notRun, type CheckResult } from './check-result.js';
import type { VerifyContext } from './verify-context.js';

export interface RegionHealth {
  region: string;
  healthCheckId?: string;
  /** Route 53's view: more than 18 % of checkers report success. Undefined when unknown. */
  healthy?: boolean;
  checkersFailing: number;
  checkersTotal: number;
}

/** Route 53 calls a check healthy when more than 18 % of its checkers report success. */
const HEALTHY_FRACTION = 0.18;

function fqdn(name: string | undefined): string {
  return (name ?? '').toLowerCase().replace(/\.$/, '');
}

async function findHealthCheckId(ctx: VerifyContext, region: string): Promise<{ id?: string; via: string }> {
  const aws = ctx.aws!;
  const dnsStack = stackName(ctx.config.platform.project, region, 'dns');
  try {
    const out = await aws.cloudFormation(region).send(new DescribeStacksCommand({ StackName: dnsStack }));
    const id = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'HealthCheckId')?.OutputValue;
    if (id) return { id, via: `${dnsStack} output HealthCheckId` };
  } catch (err) {
    ctx.logger.debug(`health: ${dnsStack}: ${errorMessage(err)}; looking the check up by name`);
  }
  const want = `${region}.${ctx.domain}`;
  let marker: string | undefined;
  const r53 = aws.route53();
  do {
    const page = await r53.send(new ListHealthChecksCommand({ Marker: marker }));
    const hit = (page.HealthChecks ?? []).find(
      (h: HealthCheck) => fqdn(h.HealthCheckConfig?.FullyQualifiedDomainName) === want,
    );
    if (hit?.Id) return { id: hit.Id, via: `health check on ${want}` };
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  return { via: `no ${dnsStack} output HealthCheckId and no health check on ${want}` };
}

function tally(obs: HealthCheckObservation[]): { failing: number; total: number; failures: string[] } {
  const failures: string[] = [];
  for (const o of obs) {
    const s = o.StatusReport?.Status ?? '';
    if (!/^success/i.test(s)) failures.push(`${o.Region ?? '?'}: ${s || 'no status'}`);
  }
  return { failing: failures.length, total: obs.length, failures };
}

/** Route 53 health-check status of each region's own name: checkers failing, healthy or not. */
export async function runHealthChecks(
  ctx: VerifyContext,
): Promise<{ results: CheckResult[]; health: Map<string, RegionHealth> }> {
  const health = new Map<string, RegionHealth>();
  const results: CheckResult[] = [];
  for (const region of ctx.regions.map((r) => r.name)) {
    const target = `${region}.${ctx.domain}`;
    if (!ctx.aws) {
      results.push(notRun('health', target, 'no credentials (role-to-assume not given)', region));
      continue;
    }
    const base = {
      check: 'health' as const,
      key: `health:${region}`,
      incidentKey: `health:${region}`,
      target,
      region,
      notes: [] as string[],
    };
    try {
      const found = await findHealthCheckId(ctx, region);
      if (!found.id) {
        health.set(region, { region, checkersFailing: 0, checkersTotal: 0 });
        results.push({
          ...base,
          status: 'degraded',
          summary: `no Route 53 health check found: latency routing cannot fail over away from ${region}`,
          reason: found.via,
          attempts: 1,
          flaky: false,
          details: {},
        });
        continue;
      }
      const id = found.id;
      const outcome = await tryAttempts(
        async () => {
          const out = await ctx.aws!.route53().send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
          return tally(out.HealthCheckObservations ?? []);
        },
        (t) => t.total > 0 && t.failing === 0,
        { attempts: ctx.attempts, sleep: ctx.sleep },
      );
      const t = outcome.value;
      const healthy = t.total > 0 ? (t.total - t.failing) / t.total > HEALTHY_FRACTION : undefined;
      health.set(region, {
        region,
        healthCheckId: id,
        healthy,
        checkersFailing: t.failing,
        checkersTotal: t.total,
      });
      const status = t.total === 0 ? 'warn' : !healthy ? 'fail' : t.failing > 0 ? 'warn' : 'pass';
      const notes = outcome.flaky ? ['flaky: checkers reported failures on an earlier try'] : [];
      results.push({
        ...base,
        status,
        summary:
          t.total === 0
            ? 'no checker observations yet'
            : `${healthy ? 'healthy' : 'UNHEALTHY'}: ${t.failing} of ${t.total} checkers failing`,
        reason: status === 'pass' ? undefined : t.failures.slice(0, 5).join('; ') || 'no observations',
        attempts: outcome.attempts,
        flaky: outcome.flaky,
        notes,
        details: {
          healthCheckId: id,
          foundVia: found.via,
          checkersFailing: t.failing,
          checkersTotal: t.total,
          failures: t.failures,
        },
      });
    } catch (err) {
      const why = wrapAwsError(`could not read the health check of ${target}`, err).message;
      results.push({
        ...base,
        status: 'degraded',
        summary: why,
        reason: why,
        attempts: 1,
        flaky: false,
        details: {},
      });
    }
  }
  return { results, health };
}
