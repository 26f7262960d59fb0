import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateDBClusterCommand } from '@aws-sdk/client-rds';
import { CreateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { startCoderStandIn, type CoderStandIn } from '../../src/sandbox/coder-stand-in.js';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../../src/sandbox/github-api-stand-in.js';
import {
  findKnotd,
  KNOT_INSTALL_COMMAND,
  startKnot,
  type KnotConfig,
  type KnotServer,
} from '../../src/sandbox/knot.js';
import { createLocalCa, issueLeafCert, type LocalCa } from '../../src/sandbox/local-ca.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import type { CheckResult } from '../../src/verify/check-result.js';
import type { VerifyReport } from '../../src/verify/verify-engine.js';
import { historyLineFromReport } from '../../src/status/history-line.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { REPO_ROOT, runAction, type ActionRun } from '../helpers/run-action.js';
import { githubSubjects } from '../helpers/github-subjects.js';

/*
 * verify-endpoints' dist, run as a runner runs it on a `schedule` event, against three local Coder
 * stand-ins behind a local CA (us-west-2's certificate 5 days from expiry, eu-west-2's database slow on
 * its first request), Knot answering by client subnet (London sent to us-east-2 instead of eu-west-2),
 * moto (Aurora cluster, capacity series, health checks; the role assumed through the OIDC stand-in)
 * and the GitHub API stand-in for incident issues.
 */

const knotd = findKnotd();
const needsKnot = knotd ? describe : describe.skip;
if (!knotd)
  console.warn(
    `SKIPPING verify-endpoints e2e: knotd with the geoip module is missing (${KNOT_INSTALL_COMMAND})`,
  );

test('knotd is installed where CI promises it', () => {
  if (process.env.CI === 'true') expect(knotd).toBeDefined();
});

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-verify`;
const DOMAIN = 'coderdemo.io';
const REGIONS = ['us-east-2', 'us-west-2', 'eu-west-2'] as const;
type Region = (typeof REGIONS)[number];
const NLB: Record<Region, string> = {
  'us-east-2': '192.0.2.10',
  'us-west-2': '192.0.2.20',
  'eu-west-2': '192.0.2.30',
};
const AURORA = 'coderdemo-us-east-2-aurora';
const RUN_TIMEOUT_MS = 150_000;

/** The zone as Route 53 would serve it; London's subnet answered by `london` (eu-west-2 when right). */
function zone(london: Region): KnotConfig {
  const records: KnotConfig['records'] = REGIONS.flatMap((r) => [
    { name: r, type: 'A' as const, value: NLB[r] },
    { name: `*.${r}`, type: 'A' as const, value: NLB[r] },
  ]);
  records.push(
    { name: '@', type: 'A', value: NLB['us-east-2'] },
    { name: '*', type: 'A', value: NLB['us-east-2'] },
  );
  // Subnets of the vantage points in gitops/platform.yaml (ohio 3.128/24, oregon 34.208/24, london 3.8/24).
  const geo = [
    { subnet: '3.128.0.0/16', region: 'us-east-2' as Region },
    { subnet: '34.208.0.0/16', region: 'us-west-2' as Region },
    { subnet: '3.8.0.0/16', region: london },
  ].flatMap((g) =>
    [DOMAIN, `*.${DOMAIN}`].map((name) => ({
      subnet: g.subnet,
      name,
      answers: [{ type: 'A' as const, value: NLB[g.region] }],
    })),
  );
  return { zone: DOMAIN, records, geo };
}

function find(results: CheckResult[], check: string, target: string): CheckResult {
  const r = results.find((x) => x.check === check && x.target === target);
  if (!r)
    throw new Error(
      `no ${check} result for ${target}: ${results.map((x) => `${x.check} ${x.target}`).join(', ')}`,
    );
  return r;
}

interface ReportFile extends VerifyReport {
  incidents?: { opened: number[]; updated: number[]; closed: number[]; issues: Record<string, number> };
}

needsKnot('verify-endpoints dist on a schedule', () => {
  let work: string;
  let ca: LocalCa;
  let knot: KnotServer;
  let moto: MotoServer;
  let oidc: OidcTokenServer;
  let gh: GitHubApiStandIn;
  const servers = {} as Record<Region, CoderStandIn>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'verify-e2e-'));
    // The workspace: the real gitops/ platform and regions, with eu-west-2 enabled (three regions to
    // route between) and a warm budget that loopback on a busy runner cannot miss by accident.
    const gitops = join(work, 'workspace', 'gitops');
    await mkdir(join(gitops, 'regions'), { recursive: true });
    await cp(join(REPO_ROOT, 'gitops', 'stacks'), join(gitops, 'stacks'), { recursive: true });
    const platform = await readFile(join(REPO_ROOT, 'gitops', 'platform.yaml'), 'utf8');
    expect(platform).toContain('warmP95BudgetMs: 100\n');
    await writeFile(
      join(gitops, 'platform.yaml'),
      platform.replace('warmP95BudgetMs: 100\n', 'warmP95BudgetMs: 1000\n'),
    );
    for (const r of REGIONS) {
      const text = await readFile(join(REPO_ROOT, 'gitops', 'regions', `${r}.yaml`), 'utf8');
      await writeFile(
        join(gitops, 'regions', `${r}.yaml`),
        // Replicas rather than workspace proxies: every region serves the apex, so latency routing
        // between three regions is there to check (a proxy answers only its own names).
        text.replace(/^enabled: false$/m, 'enabled: true').replace(/^coder: proxy$/m, 'coder: replica'),
      );
    }

    ca = await createLocalCa(join(work, 'ca'));
    const cert = (file: string, days: number, names: string[]) => issueLeafCert(ca, { file, days, names });
    const own = (r: Region) => [`${r}.${DOMAIN}`, `*.${r}.${DOMAIN}`];
    const east = await cert('east', 90, [DOMAIN, `*.${DOMAIN}`, ...own('us-east-2')]);
    const west = await cert('west-expiring', 5, own('us-west-2'));
    const eu = await cert('eu', 90, own('eu-west-2'));
    servers['us-east-2'] = await startCoderStandIn({ certFile: east.certFile, keyFile: east.keyFile });
    servers['us-west-2'] = await startCoderStandIn({ certFile: west.certFile, keyFile: west.keyFile });
    // The database behind eu-west-2 resumes from idle on its first request.
    servers['eu-west-2'] = await startCoderStandIn({
      certFile: eu.certFile,
      keyFile: eu.keyFile,
      coldDelayMs: 1500,
    });

    knot = await startKnot(zone('us-east-2'));
    gh = await startGitHubApiStandIn();
    oidc = await startOidcTokenServer({ subject: githubSubjects('coder/coderdemo-gitops').deployVerify });
    moto = await startMoto(ACCOUNT, { workflowRoles: { repository: 'coder/coderdemo-gitops' } });

    const aws = new AwsClientFactory();
    await aws.rds('us-east-2').send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: AURORA,
        Engine: 'aurora-postgresql',
        EngineVersion: '16.6',
        MasterUsername: 'coder',
        MasterUserPassword: 'not-a-real-password-1',
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 16, SecondsUntilAutoPause: 300 },
      }),
    );
    // Busy at 2 ACU for 40 minutes, then paused for the last 20: a database users find asleep.
    const now = Date.now();
    await aws.cloudWatch('us-east-2').send(
      new PutMetricDataCommand({
        Namespace: 'AWS/RDS',
        MetricData: Array.from({ length: 30 }, (_, i) => ({
          MetricName: 'ServerlessDatabaseCapacity',
          Dimensions: [{ Name: 'DBClusterIdentifier', Value: AURORA }],
          Timestamp: new Date(now - (30 - i) * 120_000),
          Value: i < 20 ? 2 : 0,
        })),
      }),
    );
    for (const r of REGIONS) {
      await aws.route53().send(
        new CreateHealthCheckCommand({
          CallerReference: `hc-${r}`,
          HealthCheckConfig: {
            Type: 'HTTPS',
            FullyQualifiedDomainName: `${r}.${DOMAIN}`,
            ResourcePath: '/api/v2/buildinfo',
            Port: 443,
          },
        }),
      );
    }
  }, 90_000);

  afterAll(async () => {
    await knot?.stop();
    await Promise.all(Object.values(servers).map((s) => s.close()));
    await gh?.close();
    await oidc?.close();
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** curl-style overrides: the apex and `*.<domain>` at us-east-2, each region's names at its stand-in. */
  function resolveInput(): string {
    const lines = [
      `${DOMAIN}:443:127.0.0.1:${servers['us-east-2'].port}`,
      `*.${DOMAIN}:443:127.0.0.1:${servers['us-east-2'].port}`,
    ];
    for (const r of REGIONS) {
      lines.push(
        `${r}.${DOMAIN}:443:127.0.0.1:${servers[r].port}`,
        `*.${r}.${DOMAIN}:443:127.0.0.1:${servers[r].port}`,
      );
    }
    return lines.join('\n');
  }

  function scheduledRun(): Promise<ActionRun> {
    return runAction({
      action: 'verify-endpoints',
      eventName: 'schedule',
      event: { schedule: '*/15 * * * *' },
      cwd: join(work, 'workspace'),
      inputs: {
        region: 'all',
        'gitops-dir': 'gitops',
        'role-to-assume': ROLE,
        'allowed-account-ids': ACCOUNT,
        checks: 'https,tls,routing,health,cold-start,versions',
        resolve: resolveInput(),
        'ca-file': ca.certFile,
        nameserver: `${knot.host}:${knot.port}`,
        attempts: '2',
        'incident-issue': 'true',
        'github-token': 'ghs_standintoken0000000000000000000000',
      },
      env: {
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
        GITHUB_API_URL: gh.url,
      },
      timeoutMs: RUN_TIMEOUT_MS,
    });
  }

  async function reportOf(run: ActionRun): Promise<ReportFile> {
    expect(run.outputs['report-file']).toBeTruthy();
    return JSON.parse(await readFile(run.outputs['report-file']!, 'utf8')) as ReportFile;
  }

  test(
    'a failing run reports each finding with its status and opens exactly one incident issue',
    async () => {
      const run = await scheduledRun();
      const report = await reportOf(run);
      const r = report.results;
      if (process.env.E2E_PRINT) console.log(run.stdout, run.summary);

      // The step fails on the expiring certificate, and says so in one error line.
      expect(run.outputs.status).toBe('fail');
      expect(run.code).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(
        /tls \*?\.?us-west-2\.coderdemo\.io: .*expires in \d days? \(fail under 7\)/,
      );
      expect(run.stdout).toContain(`assumed ${ROLE} through GitHub OIDC (account ${ACCOUNT})`);

      // TLS: us-west-2's certificate 5 days from expiry fails on both its names; the others pass.
      for (const t of [`us-west-2.${DOMAIN}`, `*.us-west-2.${DOMAIN}`]) {
        const tls = find(r, 'tls', t);
        expect(tls.status).toBe('fail');
        expect(tls.details.daysToExpiry).toBeLessThanOrEqual(5);
      }
      for (const t of [DOMAIN, `*.${DOMAIN}`, `us-east-2.${DOMAIN}`, `eu-west-2.${DOMAIN}`]) {
        expect(find(r, 'tls', t).status).toBe('pass');
      }
      // HTTPS answers everywhere, with phase timings (the expiring certificate is still valid today).
      for (const t of [DOMAIN, `us-west-2.${DOMAIN}`, `*.eu-west-2.${DOMAIN}`]) {
        const https = find(r, 'https', t);
        expect(https.status).toBe('pass');
        expect(https.timings?.tls).toBeDefined();
        expect(https.timings?.total).toBeGreaterThan(0);
      }
      expect(find(r, 'versions', 'all regions').status).toBe('pass');

      // Aurora was read before anything touched it: paused, scaling from 0 ACU.
      const aurora = find(r, 'cold-start', `aurora ${AURORA} (us-east-2)`);
      expect(aurora.status).toBe('pass');
      expect(aurora.details).toMatchObject({ minCapacity: 0, maxCapacity: 16, stateBefore: 'paused' });
      // eu-west-2's slow first database request is the known cold start, within budget: not paged.
      const cold = find(r, 'cold-start', `eu-west-2.${DOMAIN}/api/v2/users/first`);
      expect(cold.status).toBe('pass');
      expect(cold.notes).toContain('known behaviour: Aurora cold start');
      expect(cold.details.coldMs).toBeGreaterThanOrEqual(1400);
      expect(report.known).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 'aurora-cold-start', target: `eu-west-2.${DOMAIN}` }),
        ]),
      );
      expect(find(r, 'cold-start', `us-east-2.${DOMAIN}/api/v2/users/first`).notes).not.toContain(
        'known behaviour: Aurora cold start',
      );

      // Routing: London answered by us-east-2 instead of eu-west-2 is degraded; the rest pass.
      for (const name of [DOMAIN, `*.${DOMAIN}`]) {
        const london = find(r, 'routing', `london → ${name}`);
        expect(london.status).toBe('degraded');
        expect(london.details).toMatchObject({ expectedRegion: 'eu-west-2', answeredRegion: 'us-east-2' });
        expect(find(r, 'routing', `oregon → ${name}`).details.answeredRegion).toBe('us-west-2');
        expect(find(r, 'routing', `ohio → ${name}`).status).toBe('pass');
      }
      expect(find(r, 'routing', 'route53 TestDNSAnswer').status).toBe('not-run');
      // Health from Route 53, per region.
      for (const region of REGIONS) expect(find(r, 'health', `${region}.${DOMAIN}`).status).toBe('pass');

      // `failing` lists the failing and degraded checks, nothing that passed.
      const failing = JSON.parse(run.outputs.failing!) as CheckResult[];
      expect(failing.map((f) => `${f.status} ${f.check} ${f.target}`).sort()).toEqual(
        [
          `degraded routing london → ${DOMAIN}`,
          `degraded routing london → *.${DOMAIN}`,
          `fail tls *.us-west-2.${DOMAIN}`,
          `fail tls us-west-2.${DOMAIN}`,
        ].sort(),
      );

      // The job summary: one table per family and the matrix with London's wrong answer.
      expect(run.summary).toContain('### TLS certificates');
      expect(run.summary).toMatch(/\| london \| 🟠 us\\?-east\\?-2 \(expected eu\\?-west\\?-2\) \|/);

      // One incident issue, for the failing check (degraded routing pages no one).
      expect(gh.issues).toHaveLength(1);
      const issue = gh.issues[0]!;
      expect(issue.state).toBe('open');
      expect(issue.title).toBe('coder-gitops incident: tls in us-west-2');
      expect(issue.labels).toEqual(['coder-gitops-incident']);
      expect(issue.body).toContain(`us-west-2.${DOMAIN}`);
      expect(report.incidents).toEqual({
        opened: [issue.number],
        updated: [],
        closed: [],
        issues: { 'tls:us-west-2': issue.number },
      });
      // What the status history records from this report: each failing key, linked to its issue.
      expect(historyLineFromReport(report, '1-1', report.incidents!.issues).incidents).toEqual({
        'routing:global': 0,
        'tls:us-west-2': issue.number,
      });
      // The token went to the API as a credential and nowhere into the log.
      expect(
        gh.requests.every((q) => q.authorization === 'token ghs_standintoken0000000000000000000000'),
      ).toBe(true);
      expect(
        run.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain('ghs_standintoken');

      // The next scheduled run while it still fails keeps the same issue: no duplicate.
      const again = await scheduledRun();
      expect(again.outputs.status).toBe('fail');
      expect(gh.issues).toHaveLength(1);
      expect(gh.issues[0]!.state).toBe('open');
    },
    2 * RUN_TIMEOUT_MS + 10_000,
  );

  test(
    'the next healthy run passes and closes the incident with the outage duration',
    async () => {
      // The fix: us-west-2 serves a renewed certificate; London is routed to eu-west-2 again.
      const renewed = await issueLeafCert(ca, {
        file: 'west-renewed',
        days: 90,
        names: [`us-west-2.${DOMAIN}`, `*.us-west-2.${DOMAIN}`],
      });
      await servers['us-west-2'].close();
      servers['us-west-2'] = await startCoderStandIn({
        certFile: renewed.certFile,
        keyFile: renewed.keyFile,
      });
      await knot.reload(zone('eu-west-2'));

      const run = await scheduledRun();
      const report = await reportOf(run);
      expect(run.code).toBe(0);
      expect(run.errors).toEqual([]);
      expect(run.stdout).not.toMatch(/^::warning::/m);
      expect(run.outputs.status).toBe('pass');
      expect(JSON.parse(run.outputs.failing!)).toEqual([]);
      expect(find(report.results, 'tls', `us-west-2.${DOMAIN}`).status).toBe('pass');
      expect(find(report.results, 'routing', `london → ${DOMAIN}`).details.answeredRegion).toBe('eu-west-2');

      expect(gh.issues).toHaveLength(1);
      const issue = gh.issues[0]!;
      expect(issue.state).toBe('closed');
      expect(report.incidents).toEqual({ opened: [], updated: [], closed: [issue.number], issues: {} });
      const closing = gh.comments.filter((c) => c.issue === issue.number).at(-1);
      expect(closing?.body).toMatch(/passes again\. Outage lasted \d+ (s|min)\b/);
      expect(closing?.body).toContain(`since ${issue.created_at}`);
    },
    RUN_TIMEOUT_MS + 10_000,
  );
});
