import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  type Change,
} from '@aws-sdk/client-route-53';
import { runApply } from '../../src/apply/apply-engine.js';
import { servesApex } from '../../src/gitops/coder-topology.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { resolveCredentials } from '../../src/aws/oidc-credentials.js';
import { changedFiles } from '../../src/gitops/changed-regions.js';
import { loadGitops } from '../../src/gitops/load-gitops.js';
import { checkoutBase } from '../../src/plan/base-checkout.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport, RiskFinding } from '../../src/plan/plan-types.js';
import { allFindings, renderPlanMarkdown } from '../../src/report/plan-markdown.js';
import { startOidcTokenServer, type OidcTokenServer } from '../../src/sandbox/oidc-token-server.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { CORPUS, edit } from '../helpers/domain-rule-corpus.js';
import { githubSubjects } from '../helpers/github-subjects.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { REPO_ROOT } from '../helpers/run-action.js';

/*
 * The corpus of planted pull requests (test/helpers/domain-rule-corpus.ts) planned online: moto with IAM
 * enforced, the account bootstrapped from github-oidc, main deployed by an administrator and its enabled
 * regions in latency routing; each pull request is planned with the plan role's credentials (assumed
 * through the OIDC stand-in), as plan.yml does. Each must get its rule and its risk, as offline.
 */

const ACCOUNT = /accountId:\s*"?(\d{12})"?/.exec(
  readFileSync(path.join(REPO_ROOT, 'gitops', 'platform.yaml'), 'utf8'),
)![1]!;
const REPOSITORY = 'coder/coderdemo-gitops';
const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/coderdemo-github-plan`;

let moto: MotoServer;
let oidc: OidcTokenServer;
let tmp: string;
let mainRepo: string;
let baseSha: string;
let planAws: () => Promise<AwsClientFactory>;
let cases = 0;
let zone = '';
let admin: AwsClientFactory;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'domain-rules-online-'));
  [moto, oidc] = await Promise.all([
    startMoto(ACCOUNT, { workflowRoles: { repository: REPOSITORY } }),
    startOidcTokenServer({ subject: githubSubjects(REPOSITORY).pullRequest, repository: REPOSITORY }),
  ]);
  admin = new AwsClientFactory();
  // Real hosted zone ids start with Z (the validator requires it); moto's may not.
  let zoneId = '';
  for (let i = 0; !zoneId.startsWith('Z'); i++) {
    if (zoneId) await admin.route53().send(new DeleteHostedZoneCommand({ Id: zoneId }));
    const z = await admin
      .route53()
      .send(new CreateHostedZoneCommand({ Name: 'coderdemo.io', CallerReference: `domain-rules-${i}` }));
    zoneId = z.HostedZone!.Id!.replace('/hostedzone/', '');
  }
  zone = zoneId;
  mainRepo = path.join(tmp, 'main');
  cpSync(path.join(REPO_ROOT, 'gitops'), path.join(mainRepo, 'gitops'), { recursive: true });
  const platform = path.join(mainRepo, 'gitops', 'platform.yaml');
  writeFileSync(
    platform,
    readFileSync(platform, 'utf8').replace(/^hostedZoneId: .*$/m, `hostedZoneId: ${zoneId}`),
  );
  git(mainRepo, 'init', '-q', '-b', 'main');
  git(mainRepo, 'add', '.');
  git(mainRepo, 'commit', '-qm', 'main');
  baseSha = git(mainRepo, 'rev-parse', 'HEAD');

  // Main as deployed: the regions applied by an administrator (eu-west-2, switched off, gets none), and
  // the enabled regions' alias records as apply-region writes them once verified.
  const config = await loadGitops(path.join(mainRepo, 'gitops'));
  const applied = await runApply({
    config,
    gitopsDir: config.dir,
    regions: config.regions.map((r) => r.name),
    account: false,
    headSha: baseSha,
    dryRun: false,
    dns: 'hold',
    cluster: 'skip',
    allowDestructive: false,
    timeoutMinutes: 10,
    verify: {},
    aws: admin,
    logger: new MemoryLogger(),
    sleep: () => Promise.resolve(),
    pollIntervalMs: 0,
  });
  if (applied.errors.length) throw new Error(`could not deploy main: ${applied.errors.join('; ')}`);
  const domain = config.platform.domain;
  const changes: Change[] = config.regions
    .filter((r) => r.enabled)
    .flatMap((r) => {
      const alias = {
        HostedZoneId: 'Z3AADJGX6KTTL2',
        DNSName: `coder-${r.name}.elb.${r.name}.amazonaws.com`,
        EvaluateTargetHealth: true,
      };
      return [
        // The apex latency set: only regions serving the dashboard and API (servesApex: no proxies).
        ...(servesApex(r) ? [domain, `*.${domain}`] : []).map((Name) => ({
          Name,
          SetIdentifier: r.name,
          Region: r.name,
        })),
        ...[`${r.name}.${domain}`, `*.${r.name}.${domain}`].map((Name) => ({ Name })),
      ].map((rr) => ({
        Action: 'UPSERT' as const,
        ResourceRecordSet: { ...rr, Type: 'A' as const, AliasTarget: alias },
      }));
    });
  await admin
    .route53()
    .send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));

  planAws = async () => {
    const creds = await resolveCredentials({
      roleToAssume: PLAN_ROLE,
      region: config.platform.hubRegion,
      actionName: 'plan-region',
      runId: 'domain-rules',
      allowedAccountIds: [ACCOUNT],
      logger: new MemoryLogger(),
      env: {
        ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      },
    });
    expect(creds.arn).toContain('assumed-role/coderdemo-github-plan/');
    return new AwsClientFactory({ credentials: creds.provider });
  };
}, 180_000);

afterAll(async () => {
  await Promise.all([oidc?.close(), moto?.stop()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Clone main, apply the pull request's change, plan it online with the plan role. */
async function planPrOnline(change: (gitopsDir: string) => void): Promise<PlanReport> {
  const dir = path.join(tmp, `pr-${++cases}`);
  execFileSync('git', ['clone', '-q', mainRepo, dir]);
  change(path.join(dir, 'gitops'));
  git(dir, 'commit', '-qam', 'change');
  const head = git(dir, 'rev-parse', 'HEAD');
  const baseDir = await checkoutBase(dir, baseSha, path.join(dir, '.base'), 'gitops');
  return runPlan({
    gitopsDir: path.join(dir, 'gitops'),
    baseDir,
    regions: 'changed',
    changedFiles: await changedFiles(dir, baseSha, head),
    gitopsPath: 'gitops',
    headSha: head,
    baseRef: baseSha,
    aws: await planAws(),
    logger: new MemoryLogger(),
    sleep: () => new Promise((r) => setTimeout(r, 50)),
  });
}

function ofRule(report: PlanReport, rule: string): RiskFinding[] {
  return allFindings(report).filter((f) => f.rule === rule);
}

const ORDER = ['none', 'low', 'medium', 'high'];

describe('planted pull requests: each gets its domain rule and its risk (online, moto, plan role)', () => {
  it.each(CORPUS.filter((c) => !c.refusedByValidate))(
    '$name → $rule ($level)',
    async ({ rule, level, message, change }) => {
      const report = await planPrOnline(change);
      expect(report.mode).toBe('online');
      expect(report.errors).toEqual([]);
      const hits = ofRule(report, rule);
      expect(hits.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
      expect(hits.every((f) => f.level === level)).toBe(true);
      expect(ORDER.indexOf(report.risk)).toBeGreaterThanOrEqual(ORDER.indexOf(level));
      const md = renderPlanMarkdown(report, { budget: 65000, marker: '<!-- plan -->' }).markdown;
      expect(md).toContain(`**${rule}**`);
      expect(md).toMatch(/Why: .+ Check: /);
    },
    120_000,
  );

  it('enabling a region online plans every one of its stacks as a creation', async () => {
    const report = await planPrOnline((g) =>
      edit(g, 'regions/eu-west-2.yaml', 'enabled: false', 'enabled: true'),
    );
    expect(report.errors).toEqual([]);
    const eu = report.regions.find((r) => r.region === 'eu-west-2')!;
    expect(eu.stacks.length).toBeGreaterThan(3);
    for (const s of eu.stacks) {
      // Online: a CREATE change set, or blocked until the stacks it reads outputs from exist; either way
      // nothing is deployed there, so every resource is an addition.
      expect(['create', 'blocked']).toContain(s.status);
      expect(s.changes.length).toBeGreaterThan(0);
      expect(s.changes.every((c) => c.action === 'Add')).toBe(true);
    }
    expect(eu.stacks.some((s) => s.status === 'create')).toBe(true);
  }, 120_000);

  const ENABLE_EU = (g: string) => edit(g, 'regions/eu-west-2.yaml', 'enabled: false', 'enabled: true');

  it('a plan that adds a proxy carries the what-if table, "today" read from Route 53, in the comment and JSON', async () => {
    const report = await planPrOnline(ENABLE_EU);
    const w = report.whatIfRouting!;
    // eu-west-2 is a workspace proxy: not in the apex set, the apex answers stay (the table says so).
    expect(w).toMatchObject({
      todaySource: 'route53',
      today: ['us-east-2'],
      after: ['us-east-2'],
      proxiesAfter: ['eu-west-2', 'us-west-2'],
    });
    expect(w.model).toContain("'today' is the latency set in Route 53 now");
    expect(JSON.parse(JSON.stringify(report)).whatIfRouting.todaySource).toBe('route53');
    const md = renderPlanMarkdown(report, { budget: 65000, marker: '<!-- plan -->' }).markdown;
    expect(md).toContain('### What-if routing');
    expect(md).toContain('(unchanged: the apex answers stay as they are)');
    expect(md).toContain('| Vantage point | Today (Route 53) | After this PR |');
    expect(md).toContain('| london (3.8.0.0/24) | us-east-2 | us-east-2 |');
  }, 120_000);

  // Last: it changes the zone the other plans read.
  it('"today" is what Route 53 holds, not what main says: a proxy left in the apex set by hand answers today', async () => {
    const domain = 'coderdemo.io';
    const alias = {
      HostedZoneId: 'Z3AADJGX6KTTL2',
      DNSName: 'coder-us-west-2.elb.us-west-2.amazonaws.com',
      EvaluateTargetHealth: true,
    };
    await admin.route53().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: [domain, `*.${domain}`].map((Name) => ({
            Action: 'UPSERT' as const,
            ResourceRecordSet: {
              Name,
              Type: 'A' as const,
              SetIdentifier: 'us-west-2',
              Region: 'us-west-2' as const,
              AliasTarget: alias,
            },
          })),
        },
      }),
    );
    const report = await planPrOnline(ENABLE_EU);
    const w = report.whatIfRouting!;
    expect(w.today).toEqual(['us-east-2', 'us-west-2']);
    // After the merge the apex set is main's rule (no proxies): apply-region's DNS step removes it.
    expect(w.after).toEqual(['us-east-2']);
    expect(w.rows.find((r) => r.vantagePoint === 'oregon')).toMatchObject({
      today: 'us-west-2',
      after: 'us-east-2',
    });
  }, 120_000);
});
