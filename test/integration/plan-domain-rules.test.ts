import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkoutBase } from '../../src/plan/base-checkout.js';
import { changedFiles } from '../../src/gitops/changed-regions.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport, RiskFinding } from '../../src/plan/plan-types.js';
import { allFindings, renderPlanMarkdown } from '../../src/report/plan-markdown.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { makeGitopsWorkspace } from '../helpers/gitops-workspace.js';

/*
 * A corpus of planted pull requests, one per domain rule, written the way a new contributor would:
 * each is planned offline (base checkout → head) and must get its rule and its risk.
 */

function edit(gitopsDir: string, rel: string, from: string, to: string): void {
  const file = path.join(gitopsDir, rel);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} does not contain ${from}`);
  writeFileSync(file, text.replace(from, to));
}

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

const KARPENTER_SERVER = 'infrastructure/configs/karpenter-coder-server.yaml';

const CORPUS: {
  name: string;
  rule: string;
  level: 'high' | 'medium';
  message: RegExp;
  change: (g: string) => void;
  /** validate refuses this content outright (a defect of issue 15): the expected error. */
  refusedByValidate?: RegExp;
}[] = [
  {
    name: 'EKS 1.36 → 1.37 through the template default no region overrides',
    rule: 'eks-version-change',
    level: 'high',
    message: /1\.36 → 1\.37: one minor step, irreversible/,
    change: (g) => edit(g, 'stacks/eks.yaml', 'Default: "1.36"', 'Default: "1.37"'),
  },
  {
    name: 'EKS 1.36 → 1.38 skips a minor version',
    rule: 'eks-version-change',
    level: 'high',
    message: /skips 1 minor version, which EKS refuses/,
    change: (g) => edit(g, 'stacks/eks.yaml', 'Default: "1.36"', 'Default: "1.38"'),
  },
  {
    name: 'Aurora engine 15.8 → 16.4',
    rule: 'aurora-engine-version',
    level: 'high',
    message: /15\.8 → 16\.4 \(major upgrade: irreversible\)/,
    change: (g) => edit(g, 'stacks/aurora.yaml', 'EngineVersion: "15.8"', 'EngineVersion: "16.4"'),
  },
  {
    name: 'Aurora MinCapacity default 0.5 → 2',
    rule: 'aurora-capacity',
    level: 'medium',
    message: /MinCapacity 0\.5 → 2: billed around the clock/,
    change: (g) => edit(g, 'stacks/aurora.yaml', 'Default: 0.5', 'Default: 2'),
  },
  {
    name: 'Aurora MaxCapacity default 16 → 4',
    rule: 'aurora-capacity',
    level: 'medium',
    message: /MaxCapacity 16 → 4/,
    change: (g) => edit(g, 'stacks/aurora.yaml', 'Default: 16', 'Default: 4'),
  },
  {
    name: 'eu-west-2 enabled',
    rule: 'region-enabled',
    level: 'high',
    message: /eu-west-2 is enabled: all \d+ of its stacks are created/,
    change: (g) => edit(g, 'regions/eu-west-2.yaml', 'enabled: false', 'enabled: true'),
  },
  {
    name: 'us-west-2 disabled',
    rule: 'region-disabled',
    level: 'high',
    message: /us-west-2 is disabled/,
    change: (g) => edit(g, 'regions/us-west-2.yaml', 'enabled: true', 'enabled: false'),
  },
  {
    name: 'database port open to the internet',
    rule: 'network-opening',
    level: 'high',
    message: /ingress from 0\.0\.0\.0\/0 on tcp port 5432 \(the load balancer listens on 443 only\)/,
    change: (g) =>
      edit(
        g,
        'stacks/aurora.yaml',
        '  Ingress0:\n',
        '  OpenIngress:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref SecurityGroup\n      IpProtocol: tcp\n      FromPort: 5432\n      ToPort: 5432\n      CidrIp: 0.0.0.0/0\n  Ingress0:\n',
      ),
  },
  {
    name: 'health check path changed',
    rule: 'health-check-change',
    level: 'medium',
    // The path itself is validate's (only a path that reads the database passes): change the port.
    message: /Port 443 → 8443/,
    change: (g) => edit(g, 'stacks/dns.yaml', '        Port: 443\n', '        Port: 8443\n'),
  },
  {
    name: 'IMDS hop limit raised',
    rule: 'imds-hop-limit',
    level: 'high',
    message: /IMDS hop limit 2 → 3/,
    change: (g) => edit(g, 'stacks/eks.yaml', 'HttpPutResponseHopLimit: 2', 'HttpPutResponseHopLimit: 3'),
  },
  {
    name: 'NLB TLS policy weakened',
    rule: 'nlb-tls-policy',
    level: 'high',
    message: /ELBSecurityPolicy-TLS13-1-2-2021-06 → ELBSecurityPolicy-2016-08/,
    refusedByValidate: /service\.yaml:\d+ .*allows protocols older than TLS 1\.2/,
    change: (g) =>
      edit(
        g,
        'apps/base/coder/service.yaml',
        'ELBSecurityPolicy-TLS13-1-2-2021-06',
        'ELBSecurityPolicy-2016-08',
      ),
  },
  {
    name: 'Karpenter AMI alias @latest',
    rule: 'karpenter-ami-latest',
    level: 'high',
    message: /al2023@v20260714 → al2023@latest/,
    refusedByValidate: /karpenter-coder-server\.yaml:\d+ .*alias al2023@latest drifts/,
    change: (g) => edit(g, KARPENTER_SERVER, 'alias: al2023@v20260714', 'alias: al2023@latest'),
  },
  {
    name: 'Karpenter disruption budgets removed',
    rule: 'karpenter-budgets-removed',
    level: 'high',
    message: /disruption budgets removed/,
    change: (g) => edit(g, KARPENTER_SERVER, '    budgets:\n      - nodes: "1"\n', ''),
  },
  {
    name: 'Karpenter expireAfter shortened',
    rule: 'karpenter-expire-shortened',
    level: 'medium',
    message: /expireAfter 720h → 24h/,
    change: (g) => edit(g, KARPENTER_SERVER, 'expireAfter: 720h', 'expireAfter: 24h'),
  },
  {
    name: 'Flux source URL changed (still under an allowed prefix)',
    rule: 'flux-source-url',
    level: 'medium',
    message: /https:\/\/charts\.external-secrets\.io → https:\/\/charts\.external-secrets\.io\/mirror/,
    change: (g) =>
      edit(
        g,
        'infrastructure/controllers/external-secrets.yaml',
        'url: https://charts.external-secrets.io',
        'url: https://charts.external-secrets.io/mirror',
      ),
  },
];

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

  it('a plan that adds a region carries the what-if routing table in the comment and the JSON report', async () => {
    const report = await planPr(CORPUS.find((c) => c.rule === 'region-enabled')!.change);
    const w = report.whatIfRouting!;
    expect(w).toMatchObject({
      today: ['us-east-2', 'us-west-2'],
      after: ['eu-west-2', 'us-east-2', 'us-west-2'],
    });
    expect(w.model).toMatch(/modelled, not measured: .*expectedRegions/);
    const london = w.rows.find((r) => r.vantagePoint === 'london')!;
    expect(london).toMatchObject({ today: 'us-east-2', after: 'eu-west-2' });
    expect(london.ifDown).toEqual({
      'eu-west-2': 'us-east-2',
      'us-east-2': 'eu-west-2',
      'us-west-2': 'eu-west-2',
    });
    const ohio = w.rows.find((r) => r.vantagePoint === 'ohio')!;
    // Ohio lists only us-east-2: with it down the model falls back to the first of the set, and says so.
    expect(ohio.ifDown['us-east-2']).toBe('eu-west-2');
    expect(ohio.fallbackIfDown).toEqual(['us-east-2']);
    expect(london.fallbackIfDown).toEqual([]);
    expect(JSON.parse(JSON.stringify(report)).whatIfRouting.rows).toHaveLength(3);
    const md = renderPlanMarkdown(report, { budget: 65000, marker: '<!-- plan -->' }).markdown;
    expect(md).toContain('### What-if routing');
    expect(md).toContain(
      '| london (3.8.0.0/24) | us-east-2 | eu-west-2 | us-east-2 | eu-west-2 | eu-west-2 |',
    );
    expect(md).toContain('modelled, not measured');
    expect(md).toMatch(
      /\| ohio \(3\.128\.0\.0\/24\) \| us-east-2 \| us-east-2 \| us-east-2 \| eu-west-2 \(hub fallback\) \|/,
    );
  });

  it('a plan that drains a region shows who answers instead; one that changes no region has no table', async () => {
    const drained = await planPr(CORPUS.find((c) => c.rule === 'region-disabled')!.change);
    const oregon = drained.whatIfRouting!.rows.find((r) => r.vantagePoint === 'oregon')!;
    expect(oregon).toMatchObject({ today: 'us-west-2', after: 'us-east-2', expectedAfter: true });
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
