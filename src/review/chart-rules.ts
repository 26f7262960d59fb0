import type { ChartRelease, ChartsPlan, FluxObjectChange, RiskFinding } from '../plan/plan-types.js';
import { assessFlux, RULES } from './risk-rules.js';

/*
 * What the rendered charts mean for a reviewer. Medium: something Helm or Flux will do that the
 * HelmRelease diff does not show, or a chart the plan could not check (never a silent pass).
 */

export const CHART_RULES = {
  notRendered: 'chart-not-rendered',
  sourceNotAllowed: 'chart-source-not-allowed',
  sourceUnreachable: 'chart-source-unreachable',
  unknownValuesKey: 'unknown-values-key',
  crdChange: 'chart-crd-change',
  tagMoved: 'oci-tag-moved',
  unpinned: 'oci-chart-unpinned',
} as const;

/** Findings of one region's rendered charts. */
export function assessCharts(charts: ChartsPlan | undefined): RiskFinding[] {
  if (!charts) return [];
  const out: RiskFinding[] = [];
  for (const r of charts.releases) {
    const base = { region: r.region, subject: `HelmRelease ${r.release}` };
    if (r.status === 'not-rendered' && r.problem !== 'helm-missing') {
      const rule =
        r.problem === 'not-allowed'
          ? CHART_RULES.sourceNotAllowed
          : r.problem === 'unreachable'
            ? CHART_RULES.sourceUnreachable
            : CHART_RULES.notRendered;
      out.push({
        ...base,
        level: 'medium',
        rule,
        message: `chart not rendered: ${r.reason ?? 'unknown reason'}`,
      });
    }
    for (const path of r.unknownValues) {
      out.push({
        ...base,
        level: 'medium',
        rule: CHART_RULES.unknownValuesKey,
        message: `values key ${path} is not in the values.yaml of chart ${r.after?.chart ?? '?'} ${r.after?.version ?? ''}: Helm ignores it (a typo, or a key the chart renamed)`,
      });
    }
    if (r.crds.length > 0) {
      out.push({
        ...base,
        level: 'medium',
        rule: CHART_RULES.crdChange,
        message: `the chart's CRDs change: ${r.crds.join(', ')}${crdPolicyNote(r)}`,
      });
    }
    if (r.tagMoved) {
      out.push({
        ...base,
        level: 'medium',
        rule: CHART_RULES.tagMoved,
        message: `${r.tagMoved.source}: tag ${r.tagMoved.tag} now resolves to ${r.tagMoved.now}, not the pinned ${r.tagMoved.pinned}: the same tag is another chart now (the pin keeps Flux on the reviewed one)`,
      });
    }
    if (r.unpinned) {
      out.push({
        ...base,
        level: 'medium',
        rule: CHART_RULES.unpinned,
        message: `${r.unpinned.source} is pinned by ${r.unpinned.ref} only, not by digest: a moved tag changes what Flux installs without a pull request${r.unpinned.digest ? ` (pin ref.digest: ${r.unpinned.digest}, what it resolves to now)` : ''}`,
      });
    }
    // The rendered objects meet the same rules as Flux objects (immutable fields, suspend flips); removals
    // are Helm's to make, so the prune rule (a Kustomization's) does not apply to them.
    out.push(
      ...assessFlux(r.changes.filter((c) => c.action === 'changed')).filter(
        (f) => f.rule !== RULES.fluxChange,
      ),
    );
  }
  return out;
}

/** One plan-level finding when helm was missing for charts that changed (named once, with the regions). */
export function assessHelmMissing(releases: ChartRelease[]): RiskFinding[] {
  const missing = releases.filter((r) => r.problem === 'helm-missing');
  if (missing.length === 0) return [];
  const regions = [...new Set(missing.map((r) => r.region))];
  return [
    {
      level: 'medium',
      rule: CHART_RULES.notRendered,
      subject: `${missing.length} HelmRelease change${missing.length === 1 ? '' : 's'} (${regions.join(', ')})`,
      message: missing[0]!.reason ?? 'charts not rendered: helm not found',
    },
  ];
}

/**
 * Flux applies a chart's CRDs on install (`install.crds: Create`) but not on upgrade unless asked
 * (`upgrade.crds` defaults to `Skip`: helm-controller api/v2 HelmRelease Upgrade.CRDs).
 */
function crdPolicyNote(r: ChartRelease): string {
  if (!r.before) return '';
  const policy = r.upgradeCrds ?? 'Skip';
  return policy === 'Create' || policy === 'CreateReplace'
    ? ` (upgrade.crds: ${policy}: Flux applies them on upgrade)`
    : ` (upgrade.crds: ${r.upgradeCrds ?? 'unset, Skip by default'}: Flux does NOT apply them on upgrade)`;
}

/** Every rendered object change of a region's charts (for counts). */
export function renderedChanges(charts: ChartsPlan | undefined): FluxObjectChange[] {
  return charts?.releases.flatMap((r) => r.changes) ?? [];
}
