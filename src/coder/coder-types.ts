/**
 * The Coder API shapes apply-region, verify and the sandbox's stand-in share, as JSON on the wire.
 * Encoded from Coder's source (fork roadgnar/coder, 2026-04): codersdk/workspaceproxy.go,
 * codersdk/licenses.go, codersdk/provisionerdaemons.go, codersdk/healthsdk/healthsdk.go,
 * coderd/healthcheck/health/model.go. Only the fields this project reads or the stand-in must send.
 */

/** codersdk.ProxyHealthStatus. */
export type ProxyHealthStatus = 'ok' | 'unreachable' | 'unhealthy' | 'unregistered' | 'unknown';

/** codersdk.WorkspaceProxy (Region inlined). The primary is listed first, named `primary`. */
export interface WorkspaceProxy {
  id: string;
  name: string;
  display_name: string;
  icon_url: string;
  healthy: boolean;
  path_app_url: string;
  wildcard_hostname: string;
  derp_enabled: boolean;
  derp_only: boolean;
  status: {
    status: ProxyHealthStatus;
    report: { errors: string[]; warnings: string[] };
    checked_at: string;
  };
  created_at: string;
  updated_at: string;
  deleted: boolean;
  version: string;
}

export interface RegionsResponse<R> {
  regions: R[];
}

/** codersdk.UpdateWorkspaceProxyResponse: the answer to create and to PATCH (token only when regenerated). */
export interface UpdateWorkspaceProxyResponse {
  proxy: WorkspaceProxy;
  proxy_token: string;
}

/** codersdk.License: the JWT's claims; `uuid` is the JWT's `jti` (enterprise/coderd/licenses.go postLicense). */
export interface License {
  id: number;
  uuid: string;
  uploaded_at: string;
  claims: Record<string, unknown>;
}

/** codersdk.ProvisionerKey. */
export interface ProvisionerKey {
  id: string;
  created_at: string;
  organization: string;
  name: string;
  tags: Record<string, string>;
}

export interface CreateProvisionerKeyResponse {
  key: string;
}

/** codersdk.ProvisionerDaemon, the fields read here. */
export interface ProvisionerDaemon {
  id: string;
  name: string;
  version: string;
  tags: Record<string, string>;
  key_name?: string | null;
  status?: 'offline' | 'idle' | 'busy' | null;
  last_seen_at?: string | null;
}

export interface ProvisionerKeyDaemons {
  key: ProvisionerKey;
  daemons: ProvisionerDaemon[];
}

/** health.Severity. */
export type HealthSeverity = 'ok' | 'warning' | 'error';

/** health.Message. */
export interface HealthMessage {
  code: string;
  message: string;
}

/** healthsdk.BaseReport plus `healthy`, as every section carries them. */
export interface HealthSection {
  healthy: boolean;
  severity: HealthSeverity;
  warnings: HealthMessage[];
  dismissed: boolean;
  error?: string;
}

/** healthsdk.HealthcheckReport (GET /api/v2/debug/health). */
export interface HealthcheckReport {
  time: string;
  healthy: boolean;
  severity: HealthSeverity;
  derp: HealthSection;
  access_url: HealthSection;
  websocket: HealthSection;
  database: HealthSection;
  workspace_proxy: HealthSection & { workspace_proxies?: RegionsResponse<WorkspaceProxy> };
  provisioner_daemons: HealthSection;
  coder_version: string;
}

/** The sections of a health report, in the order Coder's page shows them. */
export const HEALTH_SECTIONS = [
  'access_url',
  'database',
  'derp',
  'websocket',
  'workspace_proxy',
  'provisioner_daemons',
] as const;

/** codersdk.BuildInfoResponse, the fields read here. */
export interface BuildInfo {
  version: string;
  dashboard_url: string;
  workspace_proxy: boolean;
  external_url?: string;
}
