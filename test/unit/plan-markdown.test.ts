import {
  COMMENT_BUDGET,
  renderPlanMarkdown,
  renderPlanText,
  SUMMARY_BUDGET,
} from '../../src/report/plan-markdown.js';
import type { FluxObjectChange, PlanReport, ResourceChange } from '../../src/plan/plan-types.js';
import { planReport, regionPlan, stackPlan } from '../helpers/plan-report.js';

const MARKER = '<!-- coder-gitops:plan -->';

/** Lines outside fenced code blocks, and whether every fence was closed. */
function structure(md: string): { outside: string[]; fencesBalanced: boolean } {
  const outside: string[] = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    if (fence) {
      if (new RegExp(`^${fence}\`*\\s*$`).test(line)) fence = undefined;
      continue;
    }
    const m = /^(`{3,})/.exec(line);
    if (m) {
      fence = m[1];
      continue;
    }
    outside.push(line);
  }
  return { outside, fencesBalanced: fence === undefined };
}

function expectWellFormed(md: string): void {
  const { outside, fencesBalanced } = structure(md);
  expect(fencesBalanced).toBe(true);
  const opens = outside.filter((l) => /^<details/.test(l)).length;
  const closes = outside.filter((l) => /^<\/details>/.test(l)).length;
  expect(opens).toBe(closes);
  // A closing tag never comes before its opening one.
  let depth = 0;
  for (const l of outside) {
    if (/^<details/.test(l)) depth++;
    if (/^<\/details>/.test(l)) depth--;
    expect(depth).toBeGreaterThanOrEqual(0);
  }
}

function bigReport(): PlanReport {
  const regions = ['us-east-2', 'us-west-2', 'eu-west-2', 'ap-south-1'].map((region) => {
    const stacks = ['network', 'eks', 'aurora', 'certificates', 'dns'].map((stack) => {
      const changes: ResourceChange[] = Array.from({ length: 10 }, (_, i) => ({
        logicalId: `${stack}Resource${i}`,
        type: i === 0 ? 'AWS::IAM::Role' : 'AWS::EC2::SecurityGroupIngress',
        action: i % 3 === 0 ? 'Add' : 'Modify',
        replacement: i === 1 ? 'True' : 'False',
        details: [`Properties.Description: "old ${i}" → "new ${i}"`],
      }));
      const templateDiff = Array.from(
        { length: 300 },
        (_, i) => `${i % 2 ? '+' : '-'}  Resource${i}: { Type: AWS::EC2::Subnet, CidrBlock: 10.0.${i}.0/24 }`,
      ).join('\n');
      return stackPlan({
        region,
        stack,
        changes,
        templateDiff,
        risk: stack === 'aurora' ? 'high' : 'low',
        parameters: [
          { key: 'VpcId', before: 'vpc-1', known: false, reason: 'known after apply (network.VpcId)' },
        ],
      });
    });
    const flux: FluxObjectChange[] = Array.from({ length: 12 }, (_, i) => ({
      region,
      kustomization: 'apps',
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      name: `release-${i}`,
      namespace: 'coder',
      action: 'changed',
      fields: Array.from({ length: 30 }, (__, j) => ({
        path: `spec.values.key${j}`,
        before: `a${j}`,
        after: `b${j}`,
      })),
      chart: { name: `chart-${i}`, from: '1.0.0', to: '2.0.0' },
    }));
    return regionPlan({ region, stacks, flux, risk: 'high' });
  });
  return planReport({
    risk: 'high',
    regions,
    findings: [
      {
        level: 'high',
        rule: 'stateful-replacement',
        region: 'us-east-2',
        subject: 'coderdemo-us-east-2-aurora/DatabaseCluster',
        message: 'Aurora cluster is replaced: data is lost',
      },
    ],
  });
}

describe('renderPlanMarkdown', () => {
  it('keeps a plan of 200 changed resources under the comment limit, with its header, dangers and balanced structure', () => {
    const report = bigReport();
    expect(report.regions.flatMap((r) => r.stacks).flatMap((s) => s.changes)).toHaveLength(200);
    const out = renderPlanMarkdown(report, {
      budget: COMMENT_BUDGET,
      marker: MARKER,
      runUrl: 'https://github.com/o/r/actions/runs/1',
    });
    expect(Buffer.byteLength(out.markdown)).toBeLessThanOrEqual(COMMENT_BUDGET);
    expect(out.markdown.startsWith(`${MARKER}\n## 🔴 Plan: high risk`)).toBe(true);
    expect(out.markdown).toContain('**Blast radius:** 4 regions × 20 stacks changed · 20 replacements');
    expect(out.markdown).toContain('20 IAM changes · 48 Flux changes');
    expect(out.markdown).toContain('Aurora cluster is replaced');
    expect(out.truncated).toBe(true);
    expect(out.omitted.some((o) => o.includes('template diff'))).toBe(true);
    expect(out.markdown).toContain('see the job summary / JSON report');
    expect(out.markdown).toContain('[workflow run](https://github.com/o/r/actions/runs/1)');
    // Every region keeps its resource table: it has priority over diffs.
    for (const r of report.regions) expect(out.markdown).toContain(`<b>${r.region}</b>`);
    expect(out.markdown).toContain('`aurora` | update 🔴');
    expectWellFormed(out.markdown);
  });

  it('fits everything into the job summary budget', () => {
    const out = renderPlanMarkdown(bigReport(), { budget: SUMMARY_BUDGET, marker: MARKER });
    expect(out.truncated).toBe(false);
    expect(out.omitted).toEqual([]);
    expect(out.markdown).toContain('Resource299: { Type: AWS::EC2::Subnet');
    expectWellFormed(out.markdown);
  });

  it('still fits, balanced, with a tiny budget', () => {
    const out = renderPlanMarkdown(bigReport(), { budget: 6000, marker: MARKER });
    expect(Buffer.byteLength(out.markdown)).toBeLessThanOrEqual(6000);
    expect(out.markdown).toContain('Blast radius');
    expectWellFormed(out.markdown);
  });

  it('neutralises hostile text: fences, details, HTML, mentions, links', () => {
    const hostile =
      '```\n</details><details open><summary>x</summary>\n@octocat <img src=x onerror=alert(1)> [click](javascript:alert(1)) | ~~**';
    const report = planReport({
      risk: 'high',
      baseRef: 'evil`branch\n# heading @admins',
      offlineReason: hostile,
      mode: 'offline',
      errors: [{ message: hostile, file: 'gitops/regions/x.yaml', line: 3 }],
      findings: [{ level: 'high', rule: 'iam-broadening', subject: hostile, message: hostile }],
      regions: [
        regionPlan({
          region: 'us-west-2',
          stacks: [
            stackPlan({
              region: 'us-west-2',
              stack: 'network',
              status: 'failed',
              reason: hostile,
              changes: [{ logicalId: hostile, type: 'AWS::EC2::VPC', action: 'Modify', details: [hostile] }],
              parameters: [{ key: 'P', before: hostile, after: hostile, known: true }],
              templateDiff: `- a\n+ ${hostile}\n\`\`\`\`\`\``,
            }),
          ],
          flux: [
            {
              region: 'us-west-2',
              kustomization: 'apps',
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'x',
              action: 'changed',
              fields: [{ path: 'data.x', before: hostile, after: hostile }],
              images: [{ from: hostile, to: 'a' }],
            },
          ],
          dns: [
            { region: 'us-west-2', record: hostile, kind: 'region-alias', action: 'add', reason: hostile },
          ],
          clusterVars: [{ region: 'us-west-2', name: 'v', before: hostile, after: hostile, known: true }],
        }),
      ],
    });
    const { markdown } = renderPlanMarkdown(report, {
      budget: COMMENT_BUDGET,
      marker: MARKER,
      runUrl: 'javascript:alert(1)',
    });
    expectWellFormed(markdown);
    const { outside } = structure(markdown);
    // Code spans render their content literally (no HTML, no mentions, no links): look only outside them.
    const text = outside
      .join('\n')
      .replace(/\\`/g, '')
      .replace(/(`+)(?!`)[^\n]*?[^`]\1(?!`)/g, '<code>');
    expect(text).not.toMatch(/<img/);
    expect(text).not.toMatch(/@octocat|@admins/);
    expect(text).not.toMatch(/(?<!\\)\]\(javascript:/);
    expect(markdown).not.toContain('[workflow run](javascript');
    expect(outside.some((l) => /^#/.test(l) && !/^##+ /.test(l))).toBe(false);
    // The only line-start <details>/<summary> are ours: one per region.
    expect(outside.filter((l) => /^<details/.test(l))).toEqual([
      '<details><summary><b>us-west-2</b> · 🟢 low risk · 1 stack changed · 1 Flux · 1 DNS · 1 cluster vars</summary>',
    ]);
  });

  it('labels an offline plan and a plan without changes', () => {
    const out = renderPlanMarkdown(
      planReport({
        mode: 'offline',
        offlineReason: 'pull request from a fork',
        hasChanges: false,
        risk: 'none',
      }),
      {
        budget: COMMENT_BUDGET,
        marker: MARKER,
      },
    );
    expect(out.markdown).toContain('## ⚪ Plan: none risk · no changes');
    expect(out.markdown).toContain('**Offline plan** — pull request from a fork');
    expect(out.truncated).toBe(false);
  });

  it('shows known-after-apply parameters, prune deletions, chart bumps and DNS drains', () => {
    const report = planReport({
      regions: [
        regionPlan({
          region: 'eu-west-2',
          enabled: false,
          stacks: [
            stackPlan({
              region: 'eu-west-2',
              stack: 'eks',
              parameters: [
                { key: 'SubnetIds', known: false, reason: 'network.SystemSubnetIds in eu-west-2' },
              ],
            }),
          ],
          flux: [
            {
              region: 'eu-west-2',
              kustomization: 'infra-controllers',
              apiVersion: 'helm.toolkit.fluxcd.io/v2',
              kind: 'HelmRelease',
              name: 'external-dns',
              namespace: 'kube-system',
              action: 'removed',
              prunes: true,
              fields: [],
              chart: { name: 'external-dns', from: '1.14.0' },
            },
            {
              region: 'eu-west-2',
              kustomization: 'apps',
              apiVersion: 'helm.toolkit.fluxcd.io/v2',
              kind: 'HelmRelease',
              name: 'coder',
              namespace: 'coder',
              action: 'changed',
              fields: [{ path: 'spec.chart.spec.version', before: '2.27.1', after: '3.0.0' }],
              chart: { name: 'coder', from: '2.27.1', to: '3.0.0' },
            },
          ],
          dns: [
            {
              region: 'eu-west-2',
              record: 'coderdemo.io',
              kind: 'latency-alias',
              action: 'remove',
              reason: 'region disabled: drained from latency routing',
            },
          ],
        }),
      ],
    });
    const { markdown } = renderPlanMarkdown(report, { budget: COMMENT_BUDGET, marker: MARKER });
    expect(markdown).toContain(
      '| `eks` | `SubnetIds` |  | _known after apply_ (network.SystemSubnetIds in eu-west-2) |',
    );
    expect(markdown).toContain('**prune deletes it from the cluster**');
    expect(markdown).toContain('chart `coder` `2.27.1` → `3.0.0`');
    expect(markdown).toContain(
      '| `coderdemo.io` | latency-alias | **remove** | region disabled: drained from latency routing |',
    );
    expect(markdown).toContain('- spec.chart.spec.version: 2.27.1\n+ spec.chart.spec.version: 3.0.0');
  });
});

describe('renderPlanText', () => {
  it('prints a compact table per region with findings first', () => {
    const text = renderPlanText(bigReport());
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Plan \(online\) — risk HIGH — 4 regions × 20 stacks changed, 20 replacements/);
    expect(lines[1]).toMatch(/^ {2}HIGH {3}stateful-replacement \[us-east-2\]/);
    expect(text).toMatch(/ {2}aurora +update +4 +6 +0 +1 +1/);
    expect(text).toContain('    ~ apps: HelmRelease coder/release-0 chart 1.0.0 → 2.0.0');
  });
});
