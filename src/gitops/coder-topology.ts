import type { CoderMode, GitopsConfig, RegionConfig } from './types.js';

/*
 * The decisions Coder's topology makes across regions, in one place (types.ts CoderMode): which region
 * is the control plane, how the others reach it, which Flux app folder each mode syncs, and which
 * regions serve the apex.
 */

/** The region declared `coder: primary`, the hub when none is (validate refuses that case). */
export function primaryRegion(config: GitopsConfig): RegionConfig | undefined {
  const primaries = config.regions.filter((r) => r.coder === 'primary');
  return primaries.find((r) => r.enabled) ?? primaries[0] ?? config.regions.find((r) => r.name === config.platform.hubRegion);
}

/**
 * How proxies, provisioners and apply-region reach the primary: its own name `https://<primary>.<domain>`,
 * never the apex, which may not route yet (a first rollout) or not to the primary (a drained apex).
 */
export function primaryAccessUrl(config: GitopsConfig): string {
  const primary = primaryRegion(config)?.name ?? config.platform.hubRegion;
  return `https://${primary}.${config.platform.domain}`;
}

/** The Flux folder a region's `apps` Kustomization syncs for each mode (clusters/<region>/apps.yaml). */
export const APP_PATHS: Record<CoderMode, string> = {
  primary: 'gitops/apps/base',
  replica: 'gitops/apps/base', // the same full server, on the same database
  proxy: 'gitops/apps/proxy',
};

/**
 * What the region's Route 53 health check probes (stacks/dns.yaml HealthCheckPath): a server's check must
 * fail when it lost the database (/api/v2/updatecheck, validate-coder.ts HEALTH_PATHS); a workspace proxy
 * has no database and no such route, only /healthz (enterprise/wsproxy/wsproxy.go), which answers while
 * the proxy process serves.
 */
export function healthCheckPath(region: Pick<RegionConfig, 'coder'>): string {
  return region.coder === 'proxy' ? '/healthz' : '/api/v2/updatecheck';
}

/**
 * Whether the region joins the apex and `*.<domain>` latency sets. Only regions that serve the dashboard
 * and API do (primary, replicas): a workspace proxy serves only workspace apps, terminals and DERP
 * (enterprise/wsproxy/wsproxy.go routes), has no /api/v2/updatecheck for the health check, and the
 * dashboard already picks the nearest proxy itself by measuring each proxy's /latency-check from the
 * browser, so DNS latency routing to a proxy would only bounce users back to the primary.
 */
export function servesApex(region: Pick<RegionConfig, 'coder'>): boolean {
  return region.coder !== 'proxy';
}
