import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isSupportedHelm, locateHelm, parseHelmVersion } from '../../../src/helm/locate-helm.js';
import { testHelm } from '../../helpers/helm-binary.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'locate-helm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in helm that prints `version` the way `helm version --template {{.Version}}` does. */
function fakeHelm(name: string, version: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\nprintf '%s' '${version}'\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('locateHelm', () => {
  it('finds the test helm 4 and prints its version', async () => {
    const helm = await locateHelm({ explicit: testHelm() });
    expect(helm).toEqual({ found: true, path: testHelm(), version: expect.stringMatching(/^v4\.\d+\.\d+/) });
  });

  it('takes HELM from the environment when no input names one', async () => {
    const fake = fakeHelm('helm3', 'v3.14.4');
    expect(await locateHelm({ env: { ...process.env, HELM: fake } })).toEqual({
      found: true,
      path: fake,
      version: 'v3.14.4',
    });
  });

  it.each([
    ['v3.7.2', /helm v3\.7\.2 at .* is not supported: need >=3\.8\.0 <5\.0\.0/],
    ['v5.0.0', /helm v5\.0\.0 at .* is not supported/],
    ['v2.17.0', /is not supported/],
    ['nonsense', /printed an unknown version 'nonsense'/],
  ])('refuses %s with a reason naming the range', async (version, reason) => {
    const helm = await locateHelm({ explicit: fakeHelm(`helm-${version}`, version) });
    expect(helm).toEqual({ found: false, reason: expect.stringMatching(reason) });
  });

  it('says helm was not found (the plan turns it into a warning)', async () => {
    expect(await locateHelm({ env: { PATH: dir } })).toEqual({
      found: false,
      reason: expect.stringMatching(/^helm not found \(no helm on PATH; install helm >=3\.8\.0 <5\.0\.0/),
    });
    expect(await locateHelm({ explicit: path.join(dir, 'missing') })).toEqual({
      found: false,
      reason: expect.stringMatching(/^helm not found \(HELM=.*missing is not an executable/),
    });
  });
});

describe('the supported range', () => {
  it.each<[string, boolean]>([
    ['v3.8.0', true],
    ['v3.19.1', true],
    ['v4.1.4+g05fa379', true],
    ['v3.7.9', false],
    ['v5.0.0-rc.1', false],
  ])('%s → %s', (v, ok) => {
    expect(isSupportedHelm(parseHelmVersion(v)!)).toBe(ok);
  });
});
