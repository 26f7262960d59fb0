/**
 * Coder's topology across regions (regions/<region>.yaml coder: primary | proxy | replica), each rule on
 * a copy of the repository's gitops/ with one planted defect: what validate refuses, where it points
 * and what it says is right (src/gitops/validate-coder-topology.ts and friends).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationErrors, type ConfigurationError } from '../../../src/util/errors.js';
import { ConfigLines } from '../../../src/gitops/config-lines.js';
import { loadValidatedGitops } from '../../../src/gitops/validate-gitops.js';
import { licenceNeeds } from '../../../src/gitops/validate-rendered.js';
import { makeGitopsWorkspace } from '../../helpers/gitops-workspace.js';

type Edit = (edit: (rel: string, change: (text: string) => string) => void) => void;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const replace = (from: string | RegExp, to: string) => (text: string) => {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`edit did nothing: ${String(from)}`);
  return out;
};

function workspace(edit: Edit): string {
  const ws = makeGitopsWorkspace((gitopsDir) =>
    edit((rel, change) => {
      const abs = path.join(gitopsDir, rel);
      writeFileSync(abs, change(existsSync(abs) ? readFileSync(abs, 'utf8') : ''));
    }),
  );
  dirs.push(ws.dir);
  return ws.gitopsDir;
}

/** Every problem as `file:line (path): message`, or [] when valid. */
async function problems(edit: Edit): Promise<string[]> {
  try {
    await loadValidatedGitops(workspace(edit));
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationErrors);
    return (err as ConfigurationErrors).errors.map((e: ConfigurationError) => e.message);
  }
}

/** us-west-2 as a full server: the server's app folder and the sign-in variables it needs back. */
const asServer: Edit = (f) => {
  f('clusters/us-west-2/apps.yaml', replace('path: ./gitops/apps/proxy', 'path: ./gitops/apps/base'));
  f(
    'regions/us-west-2.yaml',
    replace(
      '  coder_primary_access_url:',
      [
        '  coder_github_allowed_orgs: { field: coderGithubAllowedOrgs, type: name-list }',
        '  coder_github_allow_everyone: { field: coderGithubAllowEveryone, type: boolean }',
        '  coder_irsa_role_arn: { output: eks.CoderRoleArn, type: iam-role-arn }',
        '  coder_provisioner_daemons: { field: coderProvisionerDaemons, type: integer }',
        '  coder_replica_count: { value: "1", type: integer }',
        '  coder_primary_access_url:',
      ].join('\n'),
    ),
  );
};

/** The replica mesh: 8080 open both ways (stacks/coder-mesh.yaml). */
const mesh = [
  '  - name: coder-mesh',
  '    dependsOn: [eks]',
  '    parameters:',
  '      SecurityGroupId: { output: eks.ClusterSecurityGroupId }',
  '      PeerCidr: { field: hubVpcCidr }',
  '  - name: hub-coder-mesh',
  '    template: coder-mesh',
  '    deployRegion: hub',
  '    parameters:',
  '      SecurityGroupId: { output: eks.ClusterSecurityGroupId, region: hub }',
  '      PeerCidr: { field: vpcCidr }',
  '  - name: dns',
].join('\n');

const CASES: [string, Edit, RegExp[]][] = [
  [
    'two primaries',
    (f) => {
      f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: primary'));
    },
    [
      /two Coder primaries \(us-east-2, us-west-2\): Coder has one control plane.*make us-west-2 coder: proxy \(a workspace proxy\) or coder: replica/,
      /the Coder primary must run next to the shared database, in the hub \(us-east-2/,
    ],
  ],
  [
    'no primary among the enabled regions',
    (f) => f('regions/us-east-2.yaml', replace('coder: primary', 'coder: replica')),
    [/no enabled region is the Coder primary \(enabled: us-east-2 replica, us-west-2 proxy\).*set coder: primary in the hub's file/],
  ],
  [
    'a replica without a licence',
    (f) => {
      asServer(f);
      f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: replica'));
      f('regions/us-west-2.yaml', replace('  - name: dns', mesh));
      f('platform.yaml', replace('  license: premium\n', '  license: none\n'));
    },
    [/us-west-2 is a Coder replica \(high availability\), an Enterprise\/Premium feature.*Declare coder\.license: premium or enterprise in gitops\/platform\.yaml/],
  ],
  [
    'a replica without the mesh rule',
    (f) => {
      asServer(f);
      f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: replica'));
    },
    [
      /us-west-2 is a Coder replica, and replicas relay to each other on their pod IPs at port 8080.*open tcp 8080 in us-west-2 from the hub's VPC 10\.0\.0\.0\/16 .* and in the hub from us-west-2's VPC 10\.1\.0\.0\/16/,
    ],
  ],
  [
    'a replica whose mesh opens the wrong port',
    (f) => {
      asServer(f);
      f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: replica'));
      f('regions/us-west-2.yaml', replace('  - name: dns', mesh));
      f('stacks/coder-mesh.yaml', (t) => t.replace('FromPort: 8080', 'FromPort: 443').replace('ToPort: 8080', 'ToPort: 443'));
    },
    [/us-west-2 is a Coder replica, and replicas relay .* port 8080/],
  ],
  [
    "a proxy's token read through the hub's secret store",
    (f) =>
      f(
        'apps/proxy/coder-proxy/external-secret-proxy-token.yaml',
        replace('name: aws-secrets-manager-regional', 'name: aws-secrets-manager'),
      ),
    [
      /coder-proxy-token lives in us-west-2's Secrets Manager \(apply-region writes it in the region itself\), but ClusterSecretStore aws-secrets-manager reads us-east-2 .*spec\.provider\.aws\.region is \$\{aws_region\}/,
    ],
  ],
  [
    "the database secret read through the region's own store",
    (f) =>
      f(
        'infrastructure/configs/external-secret-coder-db.yaml',
        replace('name: aws-secrets-manager', 'name: aws-secrets-manager-regional'),
      ),
    [/coder-database lives in us-east-2's Secrets Manager \(the hub region\), but ClusterSecretStore aws-secrets-manager-regional reads us-west-2/],
  ],
  [
    'a proxy without its wildcard certificate',
    (f) => f('stacks/certificates.yaml', replace('        - !Sub "*.${AWS::Region}.${DomainName}"\n', '')),
    [/us-west-2 is a workspace proxy and its certificate \(stack certificates: .*\) does not cover \*\.us-west-2\.coderdemo\.io: workspace apps on the proxy would fail TLS; add \*\.us-west-2\.coderdemo\.io to SubjectAlternativeNames/],
  ],
  [
    'a proxy region that syncs the full server',
    (f) => f('clusters/us-west-2/apps.yaml', replace('path: ./gitops/apps/proxy', 'path: ./gitops/apps/base')),
    [/\.\/gitops\/apps\/base deploys the full Coder server .*regions\/us-west-2\.yaml says coder: proxy; its clusters\/us-west-2\/ must sync \.\/gitops\/apps\/proxy/],
  ],
  [
    'a proxy pointed at the apex instead of the primary',
    (f) => f('apps/proxy/coder-proxy/helm-release.yaml', replace('value: ${coder_primary_access_url}', 'value: https://coderdemo.io')),
    [/CODER_PRIMARY_ACCESS_URL is https:\/\/coderdemo\.io, expected the primary by its own name, https:\/\/us-east-2\.coderdemo\.io/],
  ],
  [
    'a proxy without its session token',
    (f) => f('apps/proxy/coder-proxy/helm-release.yaml', replace(/ {8}- name: CODER_PROXY_SESSION_TOKEN\n( {10}.*\n)+?(?= {8}#)/, '')),
    [/a workspace proxy needs CODER_PROXY_SESSION_TOKEN \(required by coder wsproxy server\)/],
  ],
  [
    "a proxy's health check on a server-only path",
    (f) => f('regions/us-west-2.yaml', replace('HealthCheckPath: { field: coderHealthCheckPath }', 'HealthCheckPath: /api/v2/updatecheck')),
    [/us-west-2 is a workspace proxy \(gitops\/regions\/us-west-2\.yaml coder: proxy\): its health check must probe \/healthz, not \/api\/v2\/updatecheck/],
  ],
  [
    'provisioners without a region tag',
    (f) => f('remote-secrets.yaml', replace('    keyTags: { region: <region> }\n', '')),
    [/the provisioner in us-east-2 authenticates with the key coder-provisioner-key, whose tags \(gitops\/remote-secrets\.yaml: keyTags\) have no region.*Set keyTags: \{ region: <region> \}/],
  ],
  [
    "provisioners tagged with another region's name",
    (f) => f('remote-secrets.yaml', replace('keyTags: { region: <region> }', 'keyTags: { region: us-east-2 }')),
    [/the provisioner in us-west-2 authenticates with the key coder-provisioner-key, whose tags .* say region=us-east-2/],
  ],
  [
    "a provisioner pointed at its region's proxy",
    (f) => f('apps/provisioners/helm-release.yaml', replace('value: ${coder_primary_access_url}', 'value: ${coder_access_url}')),
    [/CODER_URL is https:\/\/us-west-2\.coderdemo\.io: provisioners talk to the primary's API .*set it to https:\/\/us-east-2\.coderdemo\.io/],
  ],
  [
    'a proxy rolled out in the same wave as the primary',
    (f) => f('regions/us-west-2.yaml', replace(/^wave: 2$/m, 'wave: 1')),
    [/coder-proxy-token is issued by the Coder primary \(us-east-2, wave 1\) .* but us-west-2 is in wave 1: the primary is not up yet.*wave: 2\)/],
  ],
  [
    'the proxy token read in the primary region',
    (f) => {
      f('apps/base/coder/kustomization.yaml', replace('  - service.yaml\n', '  - service.yaml\n  - external-secret-proxy-token.yaml\n'));
      f('apps/base/coder/external-secret-proxy-token.yaml', () => readFileSync(path.resolve('gitops/apps/proxy/coder-proxy/external-secret-proxy-token.yaml'), 'utf8'));
      f('regions/us-east-2.yaml', replace('  coder_primary_access_url:', '  proxy_token_secret_name: { value: coderdemo/coder-proxy-token, type: secret-name }\n  coder_primary_access_url:'));
    },
    [/coder-proxy-token exists only in workspace-proxy regions \(gitops\/remote-secrets\.yaml: scope proxy-regions\), but us-east-2 is coder: primary/],
  ],
];

test("today's gitops/ (us-east-2 primary, us-west-2 and eu-west-2 proxies) passes", async () => {
  expect(await problems(() => undefined)).toEqual([]);
});

test.each(CASES)('refused: %s', async (_name, edit, wants) => {
  const messages = await problems(edit);
  for (const want of wants) {
    expect({ messages, found: messages.some((m) => want.test(m)) }).toEqual({ messages, found: true });
  }
});

test('the errors name the region file and the field', async () => {
  const gitopsDir = workspace((f) => f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: primary')));
  const err = await loadValidatedGitops(gitopsDir).catch((e: unknown) => e);
  const two = (err as ConfigurationErrors).errors.find((e) => e.message.includes('two Coder primaries'))!;
  expect(two.location).toMatchObject({ file: 'gitops/regions/us-west-2.yaml', path: 'coder' });
  const lines = readFileSync(path.join(gitopsDir, 'regions/us-west-2.yaml'), 'utf8').split('\n');
  expect(lines[two.location!.line! - 1]).toBe('coder: primary');
});

test('a replica with the licence and the mesh both ways is accepted', async () => {
  const messages = await problems((f) => {
    asServer(f);
    f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: replica'));
    f('regions/us-west-2.yaml', replace('  - name: dns', mesh));
  });
  expect(messages.filter((m) => /replica|primary|8080/.test(m))).toEqual([]);
});

describe('what validate says needs the licence', () => {
  it('primary + proxies: workspace proxies and external provisioners, and no HA warning', async () => {
    const config = await loadValidatedGitops(workspace(() => undefined));
    const needs = licenceNeeds(config, new ConfigLines(config));
    expect([...new Set(needs.map((n) => n.feature))].sort()).toEqual(['external_provisioner_daemons', 'workspace_proxy']);
    expect(needs.map((n) => n.why).join('\n')).not.toMatch(/multiple replicas/);
  });

  it('a replica adds high availability', async () => {
    const config = await loadValidatedGitops(
      workspace((f) => {
        asServer(f);
        f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: replica'));
        f('regions/us-west-2.yaml', replace('  - name: dns', mesh));
      }),
    );
    const ha = licenceNeeds(config, new ConfigLines(config)).find((n) => n.feature === 'high_availability');
    expect(ha?.why).toMatch(/us-east-2, us-west-2.*full Coder server on the one shared database/);
  });
});
