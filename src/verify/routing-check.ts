import { servesApex } from '../gitops/coder-topology.js';
import { GetHostedZoneCommand, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import type { VantagePoint } from '../gitops/types.js';
import { errorCode, errorMessage, wrapAwsError } from '../util/errors.js';
import { tryAttempts } from './attempts.js';
import { notRun, type CheckResult, type CheckStatus, type RoutingMatrix } from './check-result.js';
import { parseClientSubnet, queryDns, type DnsResponse } from './dns-query.js';
import type { RegionHealth } from './health-check.js';
import { randomLabel } from './probe-targets.js';
import type { VerifyContext } from './verify-context.js';

const DNS_TIMEOUT_MS = 2000;

interface Answer {
  /** A/AAAA addresses and CNAME targets, lower-case without trailing dot. */
  values: string[];
  error?: string;
  rcode?: string;
}

function answerValues(r: DnsResponse): string[] {
  return r.answers
    .filter((a) => a.type === 'A' || a.type === 'AAAA' || a.type === 'CNAME')
    .map((a) => a.data.toLowerCase().replace(/\.$/, ''))
    .sort();
}

async function ask(
  servers: { host: string; port: number }[],
  name: string,
  clientSubnet: string | undefined,
): Promise<Answer> {
  let lastError = 'no nameserver';
  // The first server that answers is enough: they serve the same zone.
  for (const server of servers) {
    try {
      const r = await queryDns({ server, name, type: 'A', clientSubnet, timeoutMs: DNS_TIMEOUT_MS });
      if (r.rcode !== 'NOERROR')
        return { values: [], rcode: r.rcode, error: `${r.rcode} from ${server.host}` };
      return { values: answerValues(r), rcode: r.rcode };
    } catch (err) {
      lastError = `${server.host}:${server.port}: ${errorMessage(err)}`;
    }
  }
  return { values: [], error: lastError };
}

async function nameservers(
  ctx: VerifyContext,
): Promise<{ servers: { host: string; port: number }[]; reason?: string }> {
  if (ctx.nameserver) return { servers: [ctx.nameserver] };
  if (!ctx.aws) {
    return { servers: [], reason: "no nameserver given and no credentials to read the zone's name servers" };
  }
  try {
    const zone = await ctx.aws
      .route53()
      .send(new GetHostedZoneCommand({ Id: ctx.config.platform.hostedZoneId }));
    const ns = zone.DelegationSet?.NameServers ?? [];
    if (!ns.length)
      return { servers: [], reason: `hosted zone ${ctx.config.platform.hostedZoneId} has no delegation set` };
    return { servers: ns.map((host) => ({ host, port: 53 })) };
  } catch (err) {
    return {
      servers: [],
      reason: wrapAwsError(`could not read hosted zone ${ctx.config.platform.hostedZoneId}`, err).message,
    };
  }
}

/** Expected answer: the first of the vantage point's regions that is checked in this run and enabled. */
export function expectedRegion(
  v: VantagePoint,
  checked: readonly string[],
  enabled: readonly string[],
): string | undefined {
  return v.expectedRegions.find((r) => checked.includes(r) && enabled.includes(r));
}

/** Region whose own record shares a value with the answer. */
export function regionOfAnswer(values: string[], targets: Map<string, string[]>): string | undefined {
  for (const [region, t] of targets) {
    if (t.length && values.some((v) => t.includes(v))) return region;
  }
  return undefined;
}

interface Judgement {
  status: CheckStatus;
  summary: string;
  answeredRegion?: string;
}

/** Same region → pass; an unhealthy region answered → fail; another region or none → degraded. */
export function judgeAnswer(
  answer: Answer,
  expected: string,
  targets: Map<string, string[]>,
  health: Map<string, RegionHealth> | undefined,
): Judgement {
  if (answer.error || answer.values.length === 0) {
    return { status: 'fail', summary: `no answer: ${answer.error ?? 'empty answer'}` };
  }
  const answered = regionOfAnswer(answer.values, targets);
  const shown = answer.values.join(', ');
  if (answered && health?.get(answered)?.healthy === false) {
    return {
      status: 'fail',
      answeredRegion: answered,
      summary: `answered ${answered} (${shown}), whose health check is failing`,
    };
  }
  if (answered === expected)
    return { status: 'pass', answeredRegion: answered, summary: `→ ${answered} (${shown})` };
  if (!answered) {
    return {
      status: 'degraded',
      summary: `answer ${shown} matches no region's own record (expected ${expected})`,
    };
  }
  return {
    status: 'degraded',
    answeredRegion: answered,
    summary: `→ ${answered} (${shown}), expected ${expected}`,
  };
}

/**
 * Latency routing as the world sees it: for each vantage point, the apex and a random wildcard name
 * asked with that vantage point's EDNS Client Subnet, compared with the expected region's own record;
 * with credentials, the same through Route 53 TestDNSAnswer.
 */
export async function runRoutingChecks(
  ctx: VerifyContext,
  health: Map<string, RegionHealth> | undefined,
): Promise<{ results: CheckResult[]; matrix?: RoutingMatrix }> {
  if (ctx.scope === 'region-only') {
    return {
      results: [notRun('routing', ctx.domain, 'scope is region-only (latency names are not probed)')],
    };
  }
  const vantages = ctx.config.platform.vantagePoints;
  if (!vantages.length)
    return { results: [notRun('routing', ctx.domain, 'no vantage points in platform.yaml')] };
  const { servers, reason } = await nameservers(ctx);
  const wildcardHost = `${randomLabel(ctx.random)}.${ctx.domain}`;
  const names = [
    { host: ctx.domain, label: ctx.domain },
    { host: wildcardHost, label: `*.${ctx.domain}` },
  ];
  const matrix: RoutingMatrix = {
    vantagePoints: vantages.map((v) => v.name),
    names: names.map((n) => n.label),
    cells: [],
  };
  const results: CheckResult[] = [];
  const checked = ctx.regions.map((r) => r.name);
  // The apex latency set: a workspace proxy serves only its own names (coder-topology.ts servesApex).
  const enabled = ctx.config.regions.filter((r) => r.enabled && servesApex(r)).map((r) => r.name);

  // Each region's own record, the fingerprint an answer is matched against.
  const targets = new Map<string, string[]>();
  if (servers.length) {
    for (const r of ctx.config.regions) {
      const a = await ask(servers, `${r.name}.${ctx.domain}`, undefined);
      targets.set(r.name, a.values);
    }
  } else {
    results.push(notRun('routing', ctx.domain, reason ?? 'no nameserver'));
  }

  for (const v of vantages) {
    const expected = expectedRegion(v, checked, enabled);
    for (const n of names) {
      const key = `routing:${v.name}:${n.label}`;
      if (!expected) {
        results.push({
          ...notRun(
            'routing',
            `${v.name} → ${n.label}`,
            `none of ${v.expectedRegions.join(', ')} is enabled and checked`,
          ),
          key,
        });
        continue;
      }
      if (!servers.length) continue;
      let judgement: Judgement = { status: 'fail', summary: 'not asked' };
      let lastAnswer: Answer = { values: [] };
      const outcome = await tryAttempts(
        async () => {
          lastAnswer = await ask(servers, n.host, v.clientSubnet);
          judgement = judgeAnswer(lastAnswer, expected, targets, health);
          return judgement;
        },
        (j) => j.status === 'pass',
        { attempts: ctx.attempts, sleep: ctx.sleep },
      );
      matrix.cells.push({
        vantage: v.name,
        name: n.label,
        expectedRegion: expected,
        answeredRegion: judgement.answeredRegion,
        addresses: lastAnswer.values,
        status: judgement.status,
        source: 'dns',
      });
      results.push({
        check: 'routing',
        key,
        incidentKey: 'routing:global',
        target: `${v.name} → ${n.label}`,
        status: judgement.status,
        summary: judgement.summary,
        reason: judgement.status === 'pass' ? undefined : judgement.summary,
        attempts: outcome.attempts,
        flaky: outcome.flaky,
        notes: outcome.flaky ? [`flaky: answered another region before ${judgement.answeredRegion}`] : [],
        details: {
          vantage: v.name,
          clientSubnet: v.clientSubnet,
          name: n.host,
          expectedRegion: expected,
          answeredRegion: judgement.answeredRegion,
          answer: lastAnswer.values,
          nameservers: servers.map((s) => `${s.host}:${s.port}`),
        },
      });
    }
  }

  if (ctx.aws) results.push(...(await testDnsAnswers(ctx, vantages, names, targets, health, matrix)));
  else results.push(notRun('routing', 'route53 TestDNSAnswer', 'no credentials'));
  return { results, matrix };
}

function httpStatusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * An endpoint without TestDNSAnswer answers UnknownOperation/NotImplemented (the sandbox's moto launcher
 * does so for every operation moto lacks): "cannot ask", not a routing failure. A bare 404 is not that:
 * real Route 53 answers NoSuchHostedZone with 404 too, and a wrong zone id must fail.
 */
function isUnavailable(err: unknown): boolean {
  return /^(UnknownOperation|UnknownOperationException|NotImplemented|NotImplementedException)$/i.test(
    errorCode(err),
  );
}

function unavailable(err: unknown): CheckResult {
  return notRun(
    'routing',
    'route53 TestDNSAnswer',
    `TestDNSAnswer is not available at this endpoint (${errorCode(err)}, HTTP ${httpStatusOf(err) ?? '?'})`,
  );
}

async function testDnsAnswers(
  ctx: VerifyContext,
  vantages: VantagePoint[],
  names: { host: string; label: string }[],
  targets: Map<string, string[]>,
  health: Map<string, RegionHealth> | undefined,
  matrix: RoutingMatrix,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const checked = ctx.regions.map((r) => r.name);
  const enabled = ctx.config.regions.filter((r) => r.enabled).map((r) => r.name);
  // Without a reachable nameserver the regions' own records come from Route 53 as well.
  const fingerprints = new Map(targets);
  for (const r of ctx.config.regions) {
    if (fingerprints.get(r.name)?.length) continue;
    try {
      const out = await ctx.aws!.route53().send(
        new TestDNSAnswerCommand({
          HostedZoneId: ctx.config.platform.hostedZoneId,
          RecordName: `${r.name}.${ctx.domain}`,
          RecordType: 'A',
        }),
      );
      fingerprints.set(r.name, (out.RecordData ?? []).map((d) => d.toLowerCase().replace(/\.$/, '')).sort());
    } catch (err) {
      if (isUnavailable(err)) return [unavailable(err)];
      fingerprints.set(r.name, []);
    }
  }
  for (const v of vantages) {
    const expected = expectedRegion(v, checked, enabled);
    if (!expected) continue;
    const subnet = parseClientSubnet(
      v.clientSubnet,
      `${ctx.config.platform.file}: vantagePoints.${v.name}.clientSubnet`,
    );
    for (const n of names) {
      let answer: Answer;
      try {
        const out = await ctx.aws!.route53().send(
          new TestDNSAnswerCommand({
            HostedZoneId: ctx.config.platform.hostedZoneId,
            RecordName: n.host,
            RecordType: 'A',
            EDNS0ClientSubnetIP: subnet.address,
            EDNS0ClientSubnetMask: String(subnet.prefix),
          }),
        );
        answer = {
          values: (out.RecordData ?? []).map((d) => d.toLowerCase().replace(/\.$/, '')).sort(),
          rcode: out.ResponseCode,
        };
        if (out.ResponseCode && out.ResponseCode !== 'NOERROR') answer.error = out.ResponseCode;
      } catch (err) {
        if (isUnavailable(err)) return [unavailable(err)];
        answer = { values: [], error: errorMessage(err) };
      }
      const j = judgeAnswer(answer, expected, fingerprints, health);
      matrix.cells.push({
        vantage: v.name,
        name: n.label,
        expectedRegion: expected,
        answeredRegion: j.answeredRegion,
        addresses: answer.values,
        status: j.status,
        source: 'route53',
      });
      results.push({
        check: 'routing',
        key: `routing:${v.name}:${n.label}:route53`,
        incidentKey: 'routing:global',
        target: `${v.name} → ${n.label} (TestDNSAnswer)`,
        status: j.status,
        summary: j.summary,
        reason: j.status === 'pass' ? undefined : j.summary,
        attempts: 1,
        flaky: false,
        notes: [],
        details: {
          vantage: v.name,
          clientSubnet: v.clientSubnet,
          name: n.host,
          expectedRegion: expected,
          answer: answer.values,
        },
      });
    }
  }
  return results;
}
