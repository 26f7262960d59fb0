import type { WorkspaceProxy } from '../../src/coder/coder-types.js';
import { checkProxy } from '../../src/verify/coder-check.js';
import type { HttpsProbeRecord } from '../../src/verify/https-check.js';
import { checkVersions } from '../../src/verify/versions-check.js';

/*
 * The version check (each region's buildinfo) and the Coder check (the proxy as the primary lists it)
 * apply one skew rule (coder-version.ts withinSkew) with one severity: beyond it, both fail.
 */

const probe = (region: string, version: string): HttpsProbeRecord => ({
  target: { host: `${region}.coderdemo.io`, label: `${region}.coderdemo.io`, kind: 'region', region },
  probe: { statusCode: 200 } as HttpsProbeRecord['probe'],
  version,
});

const proxy = (version: string): WorkspaceProxy => ({
  id: 'id-1',
  name: 'us-west-2',
  display_name: 'us-west-2',
  icon_url: '',
  healthy: true,
  path_app_url: '',
  wildcard_hostname: '',
  derp_enabled: true,
  derp_only: false,
  status: { status: 'ok', report: { errors: [], warnings: [] }, checked_at: '' },
  created_at: '',
  updated_at: '',
  deleted: false,
  version,
});

const PRIMARY = 'v2.27.1+abc1234';

test.each([
  ['the same version', 'v2.27.1+abc1234', 'pass'],
  ['a patch behind', 'v2.27.0+def5678', 'pass'],
  ['a minor behind', 'v2.26.3+def5678', 'fail'],
  ['a minor ahead', 'v2.28.0+def5678', 'fail'],
  ['a major apart', 'v3.27.1+def5678', 'fail'],
])('a proxy on %s: both checks say %s', (_what, version, status) => {
  const versions = checkVersions(
    [probe('us-east-2', PRIMARY), probe('us-west-2', version)],
    ['us-east-2', 'us-west-2'],
    'us-east-2',
  );
  expect(versions.status).toBe(status);
  expect(checkProxy('us-west-2', [proxy(version)], PRIMARY).status).toBe(status);
  if (status === 'fail')
    expect(versions.reason).toContain(
      `us-west-2 ${version} beyond the allowed skew of the primary us-east-2`,
    );
});

test('without the primary answering, differing versions are degraded (nothing to measure the skew from)', () => {
  const r = checkVersions(
    [probe('us-west-2', 'v2.27.1'), probe('eu-west-2', 'v2.26.0')],
    ['us-east-2', 'us-west-2', 'eu-west-2'],
    'us-east-2',
  );
  expect(r.status).toBe('degraded');
  expect(r.notes).toEqual(['no buildinfo from us-east-2 (see https)']);
});
