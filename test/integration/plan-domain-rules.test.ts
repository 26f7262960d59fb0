import { rmSync } from 'node:fs';
import path from 'node:path';
import { checkoutBase } from '../../src/plan/base-checkout.js';
import { changedFiles } from '../../src/gitops/changed-regions.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport, RiskFinding } from '../../src/plan/plan-types.js';
import { allFindings, renderPlanMarkdown } from '../../src/report/plan-markdown.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { makeGitopsWorkspace } from '../helpers/gitops-workspace.js';
import { CORPUS, edit } from '../helpers/domain-rule-corpus.js';

/*
 * A corpus of planted pull requests, one per domain rule, written the way a new contributor would:
 * each is planned offline (base checkout → head) and must get its rule and its risk.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function planPr(change: (gitopsDir: string) => void): Promise<PlanReport> {
  const ws = makeGitopsWorkspace(change);
  dirs.push(ws.dir);
  const baseDir = await checkoutBase(ws.dir, ws.baseSha, path.join(ws.dir, '.base'), 'gitops');
  return runPlan({
    gitopsDir: ws.gitopsDir,
    baseDir,
    regions: 'changed',
    changedFiles: await changedFiles(ws.dir, ws.baseSha, ws.headSha),
    gitopsPath: 'gitops',
    headSha: ws.headSha,
    baseRef: ws.baseSha,
    offlineReason: 'pull request from a fork',
    logger: new MemoryLogger(),
  });
}

function ofRule(report: PlanReport, rule: string): RiskFinding[] {
  return allFindings(report).filter((f) => f.rule === rule);
}

describe('planted pull requests: each gets its domain rule and its risk (offline)', () => {
  it.each(CORPUS)('$name → $rule ($level)', async ({ rule, level, message, change, refusedByValidate }) => {
    const report = await planPr(change);
    if (refusedByValidate) {
      // validate (issue 15) refuses this outright, with file and line: the plan stops before any rule.
      // The domain rule is the second line for content validate lets through (unit-tested on its own).
      expect(report.errors.map((e) => e.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(refusedByValidate)]),
      );
      return;
    }
    expect(report.errors).toEqual([]);
    const hits = ofRule(report, rule);
    expect(hits.map((f) => f.message)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    expect(hits.every((f) => f.level === level)).toBe(true);
    const order = ['none', 'low', 'medium', 'high'];
    expect(order.indexOf(report.risk)).toBeGreaterThanOrEqual(order.indexOf(level));
    // Dangers and warnings carry the rule's why and what to check.
    const md = renderPlanMarkdown(report, { budget: 65000, marker: '<!-- plan -->' }).markdown;
    expect(md).toContain(`**${rule}**`);
    expect(md).toMatch(/Why: .+ Check: /);
  });

  it('a database port open to the internet is a network opening, not "IAM permissions broadened"', async () => {
    const report = await planPr(CORPUS.find((c) => c.rule === 'network-opening')!.change);
    expect(ofRule(report, 'iam-broadening')).toEqual([]);
  });

  it("a source URL moved outside main's allow-list is issue 13's new-source (high), not repeated", async () => {
    const report = await planPr((g) => {
      // Written as a contributor would: the head's allowedSources lists it too (validate demands that).
      edit(g, 'platform.yaml', 'allowedSources:\n', 'allowedSources:\n  - https://charts.example.net\n');
      edit(
        g,
        'infrastructure/controllers/external-secrets.yaml',
        'url: https://charts.external-secrets.io',
        'url: https://charts.example.net/external-secrets',
      );
    });
    expect(report.errors).toEqual([]);
    expect(ofRule(report, 'new-source').map((f) => f.level)).toEqual(['high', 'medium']);
    expect(ofRule(report, 'flux-source-url')).toEqual([]);
  });

  it('ingress from anywhere on the load balancer listener port (platform.yaml) is not flagged', async () => {
    const report = await planPr((g) =>
      edit(
        g,
        'stacks/aurora.yaml',
        '  Ingress0:\n',
        '  HttpsIngress:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref SecurityGroup\n      IpProtocol: tcp\n      FromPort: 443\n      ToPort: 443\n      CidrIp: 0.0.0.0/0\n  Ingress0:\n',
      ),
    );
    expect(ofRule(report, 'network-opening')).toEqual([]);
    expect(report.risk).toBe('low');
  });

  it('enabling a region offline plans every one of its stacks as a creation', async () => {
    const report = await planPr(CORPUS.find((c) => c.rule === 'region-enabled')!.change);
    const eu = report.regions.find((r) => r.region === 'eu-west-2')!;
    expect(eu.stacks.length).toBeGreaterThan(3);
    for (const s of eu.stacks) {
      // Offline: no change set (status offline), every resource an addition, and the reason says why.
      expect(s.status).toBe('offline');
      expect(s.reason).toMatch(/not deployed from main .*every resource is a creation/);
      expect(s.changes.length).toBeGreaterThan(0);
      expect(s.changes.every((c) => c.action === 'Add')).toBe(true);
    }
  });

  it('a plan that adds a proxy carries the what-if table in the comment and JSON: the apex answers stay', async () => {
    // eu-west-2 is a workspace proxy (gitops/regions/eu-west-2.yaml): not in the apex latency set
    // (coder-topology.ts servesApex), so no vantage point's apex answer moves; the table says why.
    // A replica's table (answers that move) is unit-tested in test/unit/what-if-routing.test.ts.
    const report = await planPr(CORPUS.find((c) => c.rule === 'region-enabled')!.change);
    const w = report.whatIfRouting!;
    expect(w).toMatchObject({
      today: ['us-east-2'],
      after: ['us-east-2'],
      proxiesAfter: ['eu-west-2', 'us-west-2'],
    });
    expect(w.model).toMatch(/modelled, not measured: .*workspace proxies are not in it.*expectedRegions/);
    // Offline, "today" is the base commit's enabled regions, and the table says so.
    expect(w.todaySource).toBe('base-commit');
    expect(w.model).toContain("'today' is the base commit's enabled regions (offline: Route 53 is not read)");
    for (const row of w.rows) expect(row.after).toBe(row.today);
    const london = w.rows.find((r) => r.vantagePoint === 'london')!;
    expect(london).toMatchObject({ today: 'us-east-2', after: 'us-east-2', expectedAfter: true });
    // With the primary down nothing serves the apex: the proxies do not stand in for it.
    expect(london.ifDown).toEqual({ 'us-east-2': undefined });
    expect(JSON.parse(JSON.stringify(report)).whatIfRouting.rows).toHaveLength(3);
    const md = renderPlanMarkdown(report, { budget: 65000, marker: '<!-- plan -->' }).markdown;
    expect(md).toContain('### What-if routing');
    expect(md).toContain(
      'Apex latency set today: us-east-2 → after: us-east-2 (unchanged: the apex answers stay as they are).',
    );
    expect(md).toMatch(/Workspace proxies, not in the apex set .*: eu-west-2, us-west-2\./);
    expect(md).toContain('| london (3.8.0.0/24) | us-east-2 | us-east-2 | — (none) |');
    expect(md).toContain('modelled, not measured');
    expect(md).toContain('| Vantage point | Today (base commit) | After this PR |');
  });

  it('a plan that drains a proxy leaves the apex answers; one that changes no region has no table', async () => {
    const drained = await planPr(CORPUS.find((c) => c.rule === 'region-disabled')!.change);
    const w = drained.whatIfRouting!;
    expect(w).toMatchObject({ today: ['us-east-2'], after: ['us-east-2'], proxiesAfter: [] });
    // Oregon's apex answer was the primary already: us-west-2 (a proxy) served only its own names.
    const oregon = w.rows.find((r) => r.vantagePoint === 'oregon')!;
    expect(oregon).toMatchObject({ today: 'us-east-2', after: 'us-east-2', expectedAfter: true });
    const none = await planPr(CORPUS.find((c) => c.rule === 'health-check-change')!.change);
    expect(none.whatIfRouting).toBeUndefined();
  });

  it('a changed default no region overrides changes the resources that use it, with replacement impact', async () => {
    const report = await planPr(CORPUS[0]!.change);
    const eks = report.regions.flatMap((r) => r.stacks).filter((s) => s.stack === 'eks');
    expect(eks.length).toBeGreaterThan(0);
    for (const s of eks) {
      const cluster = s.changes.find((c) => c.type === 'AWS::EKS::Cluster');
      expect(cluster).toMatchObject({ action: 'Modify' });
      expect(cluster!.details.join('\n')).toMatch(/Properties\.Version: 1\.36 → 1\.37/);
    }
  });
});
