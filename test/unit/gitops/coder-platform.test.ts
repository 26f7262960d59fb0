/**
 * platform.yaml → `coder`: Coder's GitHub sign-in rule (cli/server.go, configureGithubOAuth2) and the
 * licence that decides built-in or external provisioners, carried to the cluster variables through
 * `{ field }` sources.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadGitops } from '../../../src/gitops/load-gitops.js';
import { resolveSource } from '../../../src/gitops/resolve-source.js';
import { ConfigurationErrors, errorMessage } from '../../../src/util/errors.js';
import type { GitopsConfig } from '../../../src/gitops/types.js';

const FIXTURE = path.resolve('test/fixtures/gitops-valid');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The valid fixture with this `coder:` in platform.yaml (or none). */
async function loadWith(coder: string | undefined): Promise<GitopsConfig> {
  const root = mkdtempSync(path.join(tmpdir(), 'coder-platform-'));
  dirs.push(root);
  cpSync(FIXTURE, root, { recursive: true });
  const file = path.join(root, 'gitops', 'platform.yaml');
  // The fixture's own `coder:` (the version its Coder chart takes) is replaced by the case's.
  const rest = readFileSync(file, 'utf8').replace(/\ncoder:\n(?: {2}.*\n)*/, '\n');
  writeFileSync(file, coder === undefined ? rest : `${rest}\n${coder}\n`);
  return loadGitops(path.join(root, 'gitops'));
}

async function messages(coder: string): Promise<string> {
  try {
    await loadWith(coder);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationErrors);
    return errorMessage(err);
  }
}

function field(config: GitopsConfig, name: string) {
  return resolveSource({ kind: 'field', field: name as never }, { config, region: config.regions[0]!, outputs: () => undefined });
}

describe('platform.yaml coder', () => {
  it('without the key: no licence, three built-in provisioners, GitHub fields unknown with the reason', async () => {
    const config = await loadWith(undefined);
    expect(config.platform.coder).toEqual({ license: 'none' });
    expect(field(config, 'coderProvisionerDaemons')).toEqual({ known: true, value: '3' });
    expect(field(config, 'coderGithubAllowedOrgs')).toEqual({ known: false, reason: expect.stringContaining('has no coder.github') });
  });

  it('allowed orgs reach the cluster variables comma-joined, allow-everyone false', async () => {
    const config = await loadWith('coder:\n  license: none\n  github:\n    allowedOrgs: [coderdemo, coder]');
    expect(field(config, 'coderGithubAllowedOrgs')).toEqual({ known: true, value: 'coderdemo,coder' });
    expect(field(config, 'coderGithubAllowEveryone')).toEqual({ known: true, value: 'false' });
  });

  it('allow-everyone gives an empty org list (Coder reads "" as no orgs)', async () => {
    const config = await loadWith('coder:\n  license: none\n  github:\n    allowEveryone: true');
    expect(field(config, 'coderGithubAllowedOrgs')).toEqual({ known: true, value: '' });
    expect(field(config, 'coderGithubAllowEveryone')).toEqual({ known: true, value: 'true' });
  });

  it('a licence turns the built-in provisioners off (external provisioners per region)', async () => {
    const config = await loadWith('coder:\n  license: premium\n  github:\n    allowedOrgs: [coderdemo]');
    expect(field(config, 'coderProvisionerDaemons')).toEqual({ known: true, value: '0' });
  });

  it.each([
    ['neither orgs nor allow-everyone', 'coder:\n  license: none\n  github: {}', /coder\.github.*allowed orgs is empty/s],
    [
      'both orgs and allow-everyone',
      'coder:\n  license: none\n  github:\n    allowedOrgs: [a]\n    allowEveryone: true',
      /cannot be used together/,
    ],
    ['an unknown licence', 'coder:\n  license: gold', /coder\.license.*premium/s],
    ['an org name with a slash (a team)', 'coder:\n  license: none\n  github:\n    allowedOrgs: [org/team]', /allowedOrgs\[0\]/],
  ])('refuses %s, naming the field', async (_name, yaml, pattern) => {
    const text = await messages(yaml);
    expect(text).toMatch(/platform\.yaml/);
    expect(text).toMatch(pattern);
  });
});
