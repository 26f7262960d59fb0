import path from 'node:path';
import { RESOURCE_TIMINGS, resourceSeconds } from '../../../src/aws/timing-model.js';
import { parseTemplate } from '../../../src/gitops/cfn-yaml.js';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import type { GitopsConfig } from '../../../src/gitops/types.js';
import {
  estimateRegionRollout,
  modelStackExecution,
  createOps,
  templateResources,
  updateOps,
} from '../../../src/plan/rollout-estimate.js';
import type { RegionPlan, StackPlan } from '../../../src/plan/plan-types.js';
import { renderPlanMarkdown, SUMMARY_BUDGET } from '../../../src/report/plan-markdown.js';
import { renderRolloutEstimate } from '../../../src/report/rollout-estimate-text.js';
import { planReport } from '../../helpers/plan-report.js';

let config: GitopsConfig;
beforeAll(async () => {
  config = await loadGitops(path.resolve('gitops'));
});

function planOf(region: string, status: StackPlan['status'], changes: StackPlan['changes'] = []): RegionPlan {
  const r = config.regions.find((x) => x.name === region)!;
  return {
    region,
    enabled: true,
    stacks: r.stacks.map((s) => ({
      region,
      deployRegion: region,
      stack: s.name,
      stackName: `coderdemo-${region}-${s.name}`,
      template: s.template,
      status,
      changes: s.name === 'dns' ? changes : [],
      parameters: [],
      templateDiff: '',
      risk: 'none',
      findings: [],
    })),
    flux: [],
    dns: [],
    clusterVars: [],
    risk: 'none',
    findings: [],
  };
}

describe('the AWS timing model', () => {
  it('has create, update and delete figures with a source for every resource type under gitops/stacks', () => {
    const types = new Set<string>();
    for (const [name, body] of config.templates)
      for (const r of templateResources(parseTemplate(body, `stacks/${name}.yaml`))) types.add(r.type);
    expect(types.size).toBeGreaterThan(20);
    const missing = [...types].filter((t) => !RESOURCE_TIMINGS[t]);
    expect(missing).toEqual([]);
    for (const [type, t] of Object.entries(RESOURCE_TIMINGS)) {
      for (const op of ['create', 'update', 'delete'] as const) {
        expect(`${type} ${op}: ${t[op].source}`).toMatch(/: (measured|docs|assumption)|\((measured|docs)/);
        expect(t[op].seconds).toBeGreaterThan(0);
      }
    }
  });

  it('orders a stack’s resources by their references: the node group waits for the cluster', () => {
    const eks = templateResources(parseTemplate(config.templates.get('eks')!, 'stacks/eks.yaml'));
    const modeled = modelStackExecution(eks, createOps(eks));
    const cluster = modeled.resources.find((r) => r.type === 'AWS::EKS::Cluster')!;
    const nodes = modeled.resources.find((r) => r.type === 'AWS::EKS::Nodegroup')!;
    expect(nodes.startS).toBeGreaterThanOrEqual(cluster.endS);
    expect(modeled.executeS).toBeGreaterThanOrEqual(
      resourceSeconds('AWS::EKS::Cluster', 'create') + resourceSeconds('AWS::EKS::Nodegroup', 'create'),
    );
  });

  it('an update touches the resources reading a changed parameter, not the rest', () => {
    const template = parseTemplate(config.templates.get('dns')!, 'stacks/dns.yaml');
    const ops = updateOps(
      { template, parameters: { DomainName: 'a.example' } },
      { template, parameters: { DomainName: 'b.example' } },
    );
    expect([...ops.values()]).toEqual(['update']);
    expect(
      updateOps({ template, parameters: { DomainName: 'a' } }, { template, parameters: { DomainName: 'a' } })
        .size,
    ).toBe(0);
  });
});

describe('estimateRegionRollout', () => {
  it('a new hub takes its longest path (network, then the slower of eks and aurora), not the sum', () => {
    const e = estimateRegionRollout(config, planOf('us-east-2', 'create'));
    expect(e.kind).toBe('enable');
    const secs = (name: string) => e.stacks.find((s) => s.stack === name)!.seconds;
    const slower = secs('eks') > secs('aurora') ? 'eks' : 'aurora';
    expect(e.criticalPath).toEqual(['network', slower]);
    expect(e.seconds).toBeCloseTo(secs('network') + secs(slower), 5);
    expect(e.seconds).toBeLessThan(e.sequentialSeconds - Math.min(secs('eks'), secs('aurora')) + 1);
    expect(renderRolloutEstimate(e)).toMatch(
      new RegExp(
        `^enabling us-east-2: about \\d+ minutes \\(estimate from the AWS timing model: longest path network → ${slower}; \\d+ minutes if its stacks ran one after another; cluster step and DNS not included\\)$`,
      ),
    );
  });

  it('a spoke’s hub-side routes follow its network', () => {
    const e = estimateRegionRollout(config, planOf('eu-west-2', 'create'));
    expect(e.stacks.map((s) => s.stack)).toContain('hub-routes');
    expect(e.criticalPath[0]).toBe('network');
  });

  it('one changed health check is about a change set and a quick update; nothing to apply says nothing', () => {
    const e = estimateRegionRollout(
      config,
      planOf('us-west-2', 'no-changes').stacks.length
        ? {
            ...planOf('us-west-2', 'no-changes'),
            stacks: planOf('us-west-2', 'no-changes').stacks.map((s) =>
              s.stack === 'dns'
                ? {
                    ...s,
                    status: 'update',
                    changes: [
                      {
                        logicalId: 'HealthCheck',
                        type: 'AWS::Route53::HealthCheck',
                        action: 'Modify',
                        details: [],
                      },
                    ],
                  }
                : s,
            ),
          }
        : planOf('us-west-2', 'no-changes'),
    );
    expect(e.kind).toBe('change');
    expect(e.seconds).toBeLessThan(60);
    expect(renderRolloutEstimate(e)).toMatch(/^applying us-west-2: about 1 minute \(estimate/);
    expect(
      renderRolloutEstimate(estimateRegionRollout(config, planOf('us-west-2', 'no-changes'))),
    ).toBeUndefined();
  });
});

describe('the plan comment', () => {
  it('shows each region’s modeled rollout inside its section, labelled as an estimate', () => {
    const plan = planOf('eu-west-2', 'create');
    plan.estimate = estimateRegionRollout(config, plan);
    const { markdown } = renderPlanMarkdown(planReport({ regions: [plan] }), {
      budget: SUMMARY_BUDGET,
      marker: '<!-- m -->',
    });
    const section = markdown.slice(markdown.indexOf('<b>eu-west-2</b>'));
    expect(section).toMatch(/enabling eu-west-2: about \d+ minutes \(estimate from the AWS timing model: /);
    expect(section.indexOf('enabling eu-west-2')).toBeLessThan(section.indexOf('</details>'));
  });
});
