import { servesApex } from '../gitops/coder-topology.js';
import type { GitopsConfig, VantagePoint } from '../gitops/types.js';

/*
 * Which region answers each vantage point: today, after the pull request, and with each region of the
 * new latency set drained or unhealthy. A model, not a measurement: Route 53 answers from its latency
 * table, which nobody can read; the model is the vantage point's `expectedRegions` (platform.yaml,
 * nearest first) over the latency set, the first one in the set answering, else the hub (or the
 * first region in the set), the same model the sandbox's DNS stand-in serves (src/sandbox/knot-zone.ts).
 * A failing health check takes a region out of the answers like a drain does, so both are one column.
 * The latency set is the apex one: only regions that serve the dashboard and API (coder: primary or
 * replica, coder-topology.ts servesApex, the rule apply-region's DNS step and verify's routing check use)
 * join it; a workspace proxy keeps its own `<region>.<domain>` names, so enabling or draining one leaves
 * the apex answers as they are, and the table lists it apart.
 */

export interface WhatIfRow {
  vantagePoint: string;
  clientSubnet: string;
  /** Undefined: no region answers (an empty latency set). */
  today?: string;
  after?: string;
  /** Region drained or unhealthy → who answers then. */
  ifDown: Record<string, string | undefined>;
  /** Whether the answer came from `expectedRegions` (false: the hub fallback, a guess). */
  expectedAfter: boolean;
  /** Regions whose "down" answer is the fallback (none of the expected regions left, some other region): a guess. */
  fallbackIfDown: string[];
}

export interface WhatIfRouting {
  /** How the table is modelled, said with it. */
  model: string;
  /** Regions in latency routing today and after the merge. */
  today: string[];
  /** Where "today" comes from: the hosted zone's latency records (online), or the base commit's enabled regions. */
  todaySource: 'route53' | 'base-commit';
  after: string[];
  /** Enabled workspace proxies after the merge: not in the apex set (their own `<region>.<domain>` names only). */
  proxiesAfter: string[];
  rows: WhatIfRow[];
}

const MODEL =
  "modelled, not measured: the apex latency set holds only regions that serve the dashboard and API (coder: primary or replica); workspace proxies are not in it (they answer only their own <region>.<domain> names); each vantage point's expectedRegions (platform.yaml, nearest first) over the latency set, the first in the set answering, else the hub; an unhealthy region (failing health check) answers like a drained one";

/** How the table is modelled, and where its "today" comes from. */
export function whatIfModel(todaySource: WhatIfRouting['todaySource']): string {
  return `${MODEL}; 'today' is ${
    todaySource === 'route53'
      ? "the latency set in Route 53 now (the hosted zone's latency records, read with the plan's credentials)"
      : "the base commit's enabled regions (offline: Route 53 is not read)"
  }`;
}

/** Who answers a vantage point from a latency set: its first expected region in the set, else the hub or the first. */
export function answeringRegion(
  vp: Pick<VantagePoint, 'expectedRegions'>,
  latencySet: readonly string[],
  hub: string,
): { region?: string; expected: boolean } {
  const chosen = vp.expectedRegions.find((r) => latencySet.includes(r));
  if (chosen) return { region: chosen, expected: true };
  return { region: latencySet.includes(hub) ? hub : latencySet[0], expected: false };
}

function enabledRegions(
  config: GitopsConfig,
  which: (r: GitopsConfig['regions'][number]) => boolean = () => true,
): string[] {
  return config.regions
    .filter((r) => r.enabled && which(r))
    .map((r) => r.name)
    .sort();
}

/** The enabled regions in the apex and `*.<domain>` latency sets (coder-topology.ts servesApex). */
export function apexRegions(config: GitopsConfig): string[] {
  return enabledRegions(config, servesApex);
}

/**
 * The what-if table for a pull request that adds or drains a region (the enabled sets differ, a proxy
 * included: the table then says the apex answers stay as they are); undefined otherwise, or without a
 * base to compare with.
 */
export function whatIfRouting(
  config: GitopsConfig,
  baseConfig: GitopsConfig | undefined,
  /** The latency set Route 53 holds now (online); without it, today is the base commit's. */
  route53Today?: readonly string[],
): WhatIfRouting | undefined {
  if (!baseConfig) return undefined;
  if (enabledRegions(baseConfig).join(',') === enabledRegions(config).join(',')) return undefined;
  const after = apexRegions(config);
  const proxiesAfter = enabledRegions(config, (r) => !servesApex(r));
  const todaySource = route53Today ? 'route53' : 'base-commit';
  const today = route53Today ? [...route53Today].sort() : apexRegions(baseConfig);
  const hub = config.platform.hubRegion;
  const rows = config.platform.vantagePoints.map((vp): WhatIfRow => {
    const a = answeringRegion(vp, after, hub);
    const ifDown: Record<string, string | undefined> = {};
    const fallbackIfDown: string[] = [];
    for (const r of after) {
      const down = answeringRegion(
        vp,
        after.filter((x) => x !== r),
        hub,
      );
      ifDown[r] = down.region;
      // An empty set answers nothing: no guess to flag (the table says "none").
      if (!down.expected && down.region) fallbackIfDown.push(r);
    }
    return {
      vantagePoint: vp.name,
      clientSubnet: vp.clientSubnet,
      today: answeringRegion(vp, today, baseConfig.platform.hubRegion).region,
      after: a.region,
      ifDown,
      expectedAfter: a.expected,
      fallbackIfDown,
    };
  });
  return { model: whatIfModel(todaySource), today, todaySource, after, proxiesAfter, rows };
}
