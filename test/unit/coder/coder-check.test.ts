import { findInstalledLicense, licenseClaims } from '../../../src/apply/coder-license-step.js';
import type { HealthcheckReport, HealthSection, WorkspaceProxy } from '../../../src/coder/coder-types.js';
import { checkHealthReport, checkProvisioner, checkProxy } from '../../../src/verify/coder-check.js';

const proxy = (
  over: Partial<WorkspaceProxy> & { state?: WorkspaceProxy['status']['status'] },
): WorkspaceProxy => ({
  id: 'id-1',
  name: 'us-west-2',
  display_name: 'us-west-2',
  icon_url: '',
  healthy: over.state === 'ok',
  path_app_url: '',
  wildcard_hostname: '',
  derp_enabled: true,
  derp_only: false,
  status: { status: over.state ?? 'ok', report: { errors: [], warnings: [] }, checked_at: '' },
  created_at: '',
  updated_at: '',
  deleted: false,
  version: 'v2.27.3',
  ...over,
});

test.each([
  ['healthy on the same major.minor', proxy({ state: 'ok', version: 'v2.27.3' }), 'pass'],
  ['a patch apart is fine', proxy({ state: 'ok', version: 'v2.27.9' }), 'pass'],
  ['a build suffix within the skew is fine', proxy({ state: 'ok', version: 'v2.27.0-devel+abc' }), 'pass'],
  // Beyond the skew (coder-version.ts withinSkew) fails, as versions-check.ts fails it.
  ['a minor behind fails', proxy({ state: 'ok', version: 'v2.26.0' }), 'fail'],
  ['a minor ahead fails', proxy({ state: 'ok', version: 'v2.28.0' }), 'fail'],
  ['a version that does not parse fails', proxy({ state: 'ok', version: 'latest' }), 'fail'],
  [
    'unregistered fails, saying its server has not registered',
    proxy({ state: 'unregistered', version: '' }),
    'fail',
  ],
  ['unreachable fails', proxy({ state: 'unreachable' }), 'fail'],
])('proxy: %s', (_what, p, status) => {
  const r = checkProxy('us-west-2', [p], 'v2.27.1+abc');
  expect(r.status).toBe(status);
  if (p.status.status === 'unregistered') expect(r.summary).toContain('has not registered');
  if (p.healthy && status === 'fail')
    expect(r.summary).toContain(
      `beyond the allowed skew of the primary's v2.27.1+abc (same major.minor, 2.27.x)`,
    );
});

test("proxy: without the primary's version there is nothing to compare with", () => {
  expect(checkProxy('us-west-2', [proxy({ state: 'ok', version: 'v2.26.0' })], undefined).status).toBe(
    'pass',
  );
});

test('proxy: missing from the list fails', () => {
  expect(checkProxy('us-west-2', [proxy({ name: 'eu-west-2' })], 'v2.27.1').status).toBe('fail');
});

const ok: HealthSection = { healthy: true, severity: 'ok', warnings: [], dismissed: false };
const report = (over: Partial<HealthcheckReport>): HealthcheckReport => ({
  time: '',
  healthy: true,
  severity: 'ok',
  derp: ok,
  access_url: ok,
  websocket: ok,
  database: ok,
  workspace_proxy: ok,
  provisioner_daemons: ok,
  coder_version: 'v2.27.1',
  ...over,
});

test('health report: error fails naming the section, warning warns, ok passes', () => {
  const proxyError = {
    ...ok,
    healthy: false,
    severity: 'error' as const,
    error: 'EWP04: unhealthy: us-west-2',
  };
  const failing = checkHealthReport(
    report({ healthy: false, severity: 'error', workspace_proxy: proxyError }),
  );
  expect(failing.status).toBe('fail');
  expect(failing.summary).toContain('workspace_proxy error (EWP04: unhealthy: us-west-2)');
  const warn = { ...ok, severity: 'warning' as const, warnings: [{ code: 'EPD01', message: 'no daemons' }] };
  expect(checkHealthReport(report({ severity: 'warning', provisioner_daemons: warn })).status).toBe('warn');
  expect(checkHealthReport(report({})).status).toBe('pass');
  // The primary's gate leaves the proxies' section to each proxy's own gate.
  expect(
    checkHealthReport(report({ healthy: false, severity: 'error', workspace_proxy: proxyError }), [
      'workspace_proxy',
    ]).status,
  ).toBe('pass');
});

test('provisioner: a key tagged for the region with a daemon passes; untagged fails; no daemon is degraded', () => {
  const key = (tags: Record<string, string>, daemons = 1) => [
    {
      key: { name: 'region-us-west-2', tags },
      daemons: Array.from({ length: daemons }, (_, i) => ({ name: `d${i}` })),
    },
  ];
  expect(checkProvisioner('us-west-2', key({ region: 'us-west-2' })).status).toBe('pass');
  expect(checkProvisioner('us-west-2', key({})).status).toBe('fail');
  expect(checkProvisioner('us-west-2', key({ region: 'us-west-2' }, 0)).status).toBe('degraded');
  expect(checkProvisioner('us-west-2', []).status).toBe('fail');
});

test('licence: recognised by its jti (Coder stores it as uuid), or by its claims without one', () => {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${part({ alg: 'EdDSA' })}.${part({ jti: 'AAAAAAAA-0000-4000-8000-000000000001', x: 1 })}.sig`;
  const claims = licenseClaims(jwt)!;
  const installed = [{ id: 1, uuid: 'aaaaaaaa-0000-4000-8000-000000000001', uploaded_at: '', claims: {} }];
  expect(findInstalledLicense(installed, claims)?.id).toBe(1);
  expect(
    findInstalledLicense(installed, { ...claims, jti: 'bbbbbbbb-0000-4000-8000-000000000001' }),
  ).toBeUndefined();
  expect(findInstalledLicense([{ ...installed[0]!, claims: { x: 1 } }], { x: 1 })?.id).toBe(1);
  expect(findInstalledLicense([{ ...installed[0]!, claims: { x: 2 } }], { x: 1 })).toBeUndefined();
  expect(licenseClaims('not-a-jwt')).toBeUndefined();
});
