/**
 * The validator's rules one by one, each on a copy of the repository's gitops/ with one edit: what
 * each rule catches, where it points and what it says to do (src/gitops/validate-*.ts).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationErrors } from '../../../src/util/errors.js';
import { loadValidatedGitops } from '../../../src/gitops/validate-gitops.js';
import { makeGitopsWorkspace } from '../../helpers/gitops-workspace.js';

type Edit = (edit: (rel: string, change: (text: string) => string) => void) => void;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const replace = (from: string | RegExp, to: string) => (text: string) => {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`edit did nothing: ${String(from)}`);
  return out;
};
const regions = ['us-east-2', 'us-west-2', 'eu-west-2'];

async function problems(edit: Edit): Promise<string[]> {
  const ws = makeGitopsWorkspace((gitopsDir) =>
    edit((rel, change) => {
      const abs = path.join(gitopsDir, rel);
      writeFileSync(abs, change(existsSync(abs) ? readFileSync(abs, 'utf8') : ''));
    }),
  );
  dirs.push(ws.dir);
  try {
    await loadValidatedGitops(ws.gitopsDir);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationErrors);
    return (err as ConfigurationErrors).errors.map((e) => e.message);
  }
}

const CASES: [string, Edit, RegExp][] = [
  [
    'an unknown field, with the closest known one',
    (f) => f('infrastructure/controllers/metrics-server.yaml', replace('  interval: 30m\n', '  interval: 30m\n  intervall: 1m\n')),
    /metrics-server\.yaml:\d+ \(spec\.intervall\): HelmRelease \(schema: @kubernetes-models\/flux-cd\): unknown field "intervall" in spec.*Did you mean "interval"\?/,
  ],
  [
    'a placeholder checked as the value its declared type stands for',
    (f) =>
      regions.forEach((r) =>
        f(`regions/${r}.yaml`, replace('{ output: eks.ClusterSecurityGroupId, type: security-group-id }', '{ output: eks.ClusterSecurityGroupId, type: iam-role-arn }')),
      ),
    /karpenter-coder-server\.yaml:\d+ \(spec\.securityGroupSelectorTerms\[0\]\.id\): .*does not match the pattern sg-\[0-9a-z\]\+.*\$\{cluster_security_group_id\} is declared iam-role-arn/,
  ],
  [
    'a known value that is not of its declared type',
    (f) => f('regions/us-west-2.yaml', replace('{ value: https://us-west-2.coderdemo.io, type: https-url }', '{ value: us-west-2.coderdemo.io, type: https-url }')),
    /us-west-2\.yaml:\d+ \(clusterVars\.coder_access_url\.type\): coder_access_url is declared as https-url: expected an https:\/\/ URL/,
  ],
  [
    'a cluster variable without a type',
    (f) => f('regions/us-west-2.yaml', replace('{ output: network.VpcId, type: vpc-id }', '{ output: network.VpcId }')),
    /us-west-2\.yaml:\d+ \(clusterVars\.vpc_id\): declare the variable's type: .*vpc-id/,
  ],
  [
    'a CRD CEL rule: role and instanceProfile together',
    (f) => f('infrastructure/configs/karpenter-coder-server.yaml', replace('  instanceProfile: ${karpenter_instance_profile}\n', '  instanceProfile: ${karpenter_instance_profile}\n  role: KarpenterNodeRole\n')),
    /karpenter-coder-server\.yaml:\d+ \(spec\): set exactly one of role and instanceProfile/,
  ],
  [
    'a remote secret without a producer',
    (f) => f('remote-secrets.yaml', replace(/ {2}- name: github-oauth\n( {4}.*\n)+?(?= {2}- name)/, '')),
    /external-secret-github-oauth\.yaml:\d+ \(spec\.data\[0\]\.remoteRef\.key\): remote secret \$\{github_oauth_secret_name\} has no producer in gitops\/remote-secrets\.yaml/,
  ],
  [
    "an access URL neither Route 53 nor the region's certificate has",
    (f) => f('regions/us-west-2.yaml', replace('{ value: https://us-west-2.coderdemo.io, type: https-url }', '{ value: https://coder.us-west-2.coderdemo.io, type: https-url }')),
    /CODER_ACCESS_URL host coder\.us-west-2\.coderdemo\.io has no Route 53 record for us-west-2; apply-region writes us-west-2\.coderdemo\.io/,
  ],
  [
    'HA replicas without a licence',
    (f) => {
      f('platform.yaml', replace('  license: premium\n', '  license: none\n'));
      f('apps/base/coder/helm-release.yaml', replace('replicaCount: ${coder_replica_count}', 'replicaCount: 2'));
    },
    /helm-release\.yaml:\d+ \(spec\.values\.coder\.replicaCount\): needs a Coder licence \(feature high_availability\)/,
  ],
  [
    'a database URL that does not require TLS',
    (f) => f('infrastructure/configs/external-secret-coder-db.yaml', replace('/coder?sslmode=require', '/coder')),
    /external-secret-coder-db\.yaml:\d+ \(spec\.target\.template\.data\.url\): the database URL must require TLS: add sslmode=require/,
  ],
  [
    'an object no region syncs yet is still checked',
    (f) => f('apps/provisioners/helm-release.yaml', replace('      keySecretKey: key\n', '      keySecretKey: key\n  suspendd: true\n')),
    /apps\/provisioners\/helm-release\.yaml:\d+ \(spec\.suspendd\): HelmRelease .*unknown field "suspendd".*Did you mean "suspend"\?/,
  ],
  [
    'a kind without a schema',
    (f) =>
      f('infrastructure/configs/namespaces.yaml', (t) => `${t}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: coder\n  namespace: coder\n`),
    /namespaces\.yaml:\d+ \(kind\): no schema for monitoring\.coreos\.com\/v1 ServiceMonitor/,
  ],
];

test.each(CASES)('%s', async (_name, edit, want) => {
  const messages = await problems(edit);
  expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(want)]));
});
