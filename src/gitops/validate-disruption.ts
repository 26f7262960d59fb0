import type { ConfigurationError } from '../util/errors.js';
import { list, objectError, rec, type LocatedObject, type RenderedGitops } from './validate-region-objects.js';

/**
 * Running workspaces must not be moved (issue 15, defect 8). From Karpenter v1's disruption docs
 * (karpenter.sh docs/concepts/disruption.md, v1.14): drift replaces every node whose AMI no longer
 * matches its selector, so `alias: <family>@latest` replaces all nodes on each AMI release;
 * `expireAfter` is forceful (an expired node is drained whatever `karpenter.sh/do-not-disrupt` or a
 * PodDisruptionBudget says, once terminationGracePeriod passes); `WhenEmptyOrUnderutilized`
 * consolidation moves pods off nodes that still run them; budgets are what limit voluntary
 * disruption. A NodePool runs workspaces when its name or a template label value says
 * "workspace" (gitops/README.md, "The validator").
 */

function isKind(o: LocatedObject, apiVersion: string, kind: string): boolean {
  return o.object.apiVersion === apiVersion && o.object.kind === kind;
}

function runsWorkspaces(o: LocatedObject): boolean {
  const name = String(rec(o.object.metadata)?.name ?? '');
  const labels = rec(rec(rec(rec(o.object.spec)?.template)?.metadata)?.labels) ?? {};
  return /workspace/.test(name) || Object.values(labels).some((v) => typeof v === 'string' && /workspace/.test(v));
}

function pinnedAmis(o: LocatedObject): ConfigurationError[] {
  return list(rec(o.object.spec)?.amiSelectorTerms).flatMap((t, i) => {
    const alias = rec(t)?.alias;
    if (typeof alias !== 'string' || !/@latest$/.test(alias)) return [];
    const family = alias.split('@')[0]!;
    return [
      objectError(
        o,
        `spec.amiSelectorTerms[${i}].alias`,
        `alias ${alias} drifts: every new EKS AMI release replaces every node of this class, running workspaces included. ` +
          `Pin a release, e.g. ${family}@v20251117 (the version part of an EKS optimized AMI name), and move it forward in a reviewed change`,
      ),
    ];
  });
}

function workspacePool(o: LocatedObject): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const spec = rec(o.object.spec) ?? {};
  const tspec = rec(rec(spec.template)?.spec) ?? {};
  const disruption = rec(spec.disruption) ?? {};
  const name = String(rec(o.object.metadata)?.name ?? '');
  if (tspec.expireAfter !== 'Never') {
    out.push(
      objectError(
        o,
        'spec.template.spec.expireAfter',
        `NodePool ${name} runs workspaces, but expireAfter is ${tspec.expireAfter === undefined ? 'unset (Karpenter defaults to 720h)' : String(tspec.expireAfter)}: ` +
          'expiry is forceful and drains running workspaces whatever karpenter.sh/do-not-disrupt says. Set expireAfter: Never (nodes are replaced by emptying them)',
      ),
    );
  }
  if (disruption.consolidationPolicy !== 'WhenEmpty') {
    out.push(
      objectError(
        o,
        'spec.disruption.consolidationPolicy',
        `NodePool ${name} runs workspaces: consolidationPolicy ${String(disruption.consolidationPolicy ?? 'WhenEmptyOrUnderutilized (the default)')} moves running workspaces to pack nodes; set WhenEmpty`,
      ),
    );
  }
  if (list(disruption.budgets).length === 0) {
    out.push(
      objectError(
        o,
        'spec.disruption',
        `NodePool ${name} runs workspaces but declares no disruption budgets (Karpenter's default lets 10% of nodes go at once, drift included): ` +
          'add spec.disruption.budgets, e.g. [{ nodes: "0", reasons: [Drifted] }, { nodes: "10%" }]',
      ),
    );
  }
  return out;
}

/** Karpenter AMI and disruption rules that keep running workspaces where they are. */
export function validateDisruption(rendered: RenderedGitops): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  for (const region of rendered.regions) {
    for (const o of region.objects) {
      if (isKind(o, 'karpenter.k8s.aws/v1', 'EC2NodeClass')) out.push(...pinnedAmis(o));
      if (isKind(o, 'karpenter.sh/v1', 'NodePool') && runsWorkspaces(o)) out.push(...workspacePool(o));
    }
  }
  return out;
}
