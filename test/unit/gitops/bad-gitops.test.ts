/**
 * The corpus of broken configurations: each case is the valid fixture with one edit, and must fail with its
 * own clear message (file, line, field, what is right) and never a stack trace.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigurationErrors, errorMessage } from '../../../src/util/errors.js';
import { loadValidatedGitops } from '../../../src/gitops/validate-gitops.js';

const FIXTURE = path.resolve('test/fixtures/gitops-valid');

type Edit = (file: (rel: string, change: (text: string) => string) => void) => void;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Copies the valid fixture, applies the edit, and returns every problem message (or [] when valid). */
async function problems(edit: Edit): Promise<string[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'bad-gitops-'));
  dirs.push(root);
  cpSync(FIXTURE, root, { recursive: true });
  const gitops = path.join(root, 'gitops');
  edit((rel, change) => {
    const abs = path.join(gitops, rel);
    let text = '';
    try {
      text = readFileSync(abs, 'utf8');
    } catch {
      // a new file
    }
    writeFileSync(abs, change(text));
  });
  try {
    await loadValidatedGitops(gitops);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationErrors);
    const messages = (err as ConfigurationErrors).errors.map((e) => e.message);
    expect(errorMessage(err)).not.toContain('    at ');
    for (const m of messages) expect(m).not.toContain('    at ');
    return messages;
  }
}

const replace = (from: string | RegExp, to: string) => (text: string) => {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`fixture edit did nothing: ${String(from)}`);
  return out;
};

describe('the broken-configuration corpus', () => {
  it('the unedited fixture is valid', async () => {
    expect(await problems(() => undefined)).toEqual([]);
  });

  const cases: [string, Edit, (string | RegExp)[]][] = [
    [
      'bad YAML gives the parser line and column',
      (f) => f('regions/us-west-2.yaml', replace('role: spoke', 'role: spoke\n  enabled: true')),
      ['gitops/regions/us-west-2.yaml:3: invalid YAML: bad indentation of a mapping entry (line 3, column 10)'],
    ],
    [
      'wrong types name the field and what is allowed',
      (f) => f('regions/us-west-2.yaml', (t) => replace('wave: 2', 'wave: two')(replace('enabled: true', 'enabled: yes')(replace('role: spoke', 'role: satellite')(t)))),
      [
        'gitops/regions/us-west-2.yaml:2 (role): expected one of hub, spoke, got "satellite"',
        'gitops/regions/us-west-2.yaml:3 (enabled): expected true or false, got "yes"',
        'gitops/regions/us-west-2.yaml:4 (wave): expected an integer ≥ 1, got "two"',
      ],
    ],
    [
      'a Coder mode that is not one of Coder\'s topologies names the allowed ones',
      (f) => f('regions/us-west-2.yaml', replace('coder: proxy', 'coder: edge')),
      [/^gitops\/regions\/us-west-2\.yaml:\d+ \(coder\): expected one of primary, proxy, replica, got "edge"$/],
    ],
    [
      'a region without its Coder mode is refused',
      (f) => f('regions/us-west-2.yaml', replace('coder: proxy\n', '')),
      [
        'gitops/regions/us-west-2.yaml:1: missing required key "coder"',
        'gitops/regions/us-west-2.yaml:1 (coder): expected one of primary, proxy, replica, got nothing',
      ],
    ],
    [
      'a load-balancer listener port that is not a TCP port',
      (f) => f('platform.yaml', replace(/serviceName: coder\n/, 'serviceName: coder\n  listenerPorts: [443, 70000, http]\n')),
      [
        /^gitops\/platform\.yaml:\d+ \(loadBalancer\.listenerPorts\[1\]\): expected a TCP port 1-65535, got 70000/,
        /^gitops\/platform\.yaml:\d+ \(loadBalancer\.listenerPorts\[2\]\): expected an integer ≥ 1, got "http"/,
      ],
    ],
    [
      'an unquoted account id',
      (f) => f('platform.yaml', replace('accountId: "123456789012"', 'accountId: 123456789012')),
      [/^gitops\/platform\.yaml:3 \(accountId\): expected a quoted 12-digit string/],
    ],
    [
      'a typo in a key is not ignored',
      (f) => f('regions/us-east-2.yaml', replace('clusterVars:', 'clusterVar:')),
      [
        'gitops/regions/us-east-2.yaml:14 (clusterVar): unknown key "clusterVar" (did you mean "clusterVars"?); allowed keys: region, role, coder, enabled, wave, vpcCidr, stacks, clusterVars',
      ],
    ],
    [
      'a source that is neither literal, field nor output',
      (f) => f('regions/us-east-2.yaml', replace('VpcCidr: { field: vpcCidr }', 'VpcCidr: { field: vpc_cidr }')),
      [/^gitops\/regions\/us-east-2\.yaml:9 \(stacks\[0\]\.parameters\.VpcCidr\.field\): expected one of region, role, coder, wave, vpcCidr, /],
    ],
    [
      'overlapping VPC CIDRs',
      (f) => f('regions/us-west-2.yaml', replace('vpcCidr: 10.1.0.0/16', 'vpcCidr: 10.0.128.0/17')),
      [
        "gitops/regions/us-west-2.yaml:5 (vpcCidr): 10.0.128.0/17 overlaps us-east-2's 10.0.0.0/16 (gitops/regions/us-east-2.yaml); every region needs its own VPC range so peering and the database security group work",
      ],
    ],
    [
      'an unknown stack (template)',
      (f) => f('regions/us-west-2.yaml', replace('stacks:\n', 'stacks:\n  - name: monitoring\n')),
      [
        'gitops/regions/us-west-2.yaml:7 (stacks[0].name): template "monitoring" does not exist: no gitops/stacks/monitoring.yaml; templates: aurora, github-oidc, network, peering-routes',
      ],
    ],
    [
      'an output of an undeclared stack',
      (f) => f('regions/us-east-2.yaml', replace('{ output: network.VpcId }', '{ output: netwrk.VpcId }')),
      [
        'gitops/regions/us-east-2.yaml:12 (stacks[1].parameters.VpcId): stack "netwrk" is not declared in gitops/regions/us-east-2.yaml (did you mean "network"?); its stacks: network, aurora',
      ],
    ],
    [
      'a missing parameter',
      (f) => f('regions/us-east-2.yaml', replace('    parameters:\n      VpcCidr: { field: vpcCidr }\n', '    parameters: {}\n')),
      [
        'gitops/regions/us-east-2.yaml:8 (stacks[0].parameters): parameter "VpcCidr" of gitops/stacks/network.yaml has no Default and is not given; add VpcCidr under parameters (a literal, { field } or { output })',
      ],
    ],
    [
      'an unknown parameter',
      (f) => f('regions/us-east-2.yaml', replace('      VpcCidr: { field: vpcCidr }\n', '      VpcCidr: { field: vpcCidr }\n      VpcCidrs: 10.0.0.0/16\n')),
      [/^gitops\/regions\/us-east-2\.yaml:10 \(stacks\[0\]\.parameters\.VpcCidrs\): gitops\/stacks\/network\.yaml has no parameter "VpcCidrs" \(did you mean "VpcCidr"\?\); its parameters: VpcCidr, PeerVpcId$/],
    ],
    [
      'a variable without a source',
      (f) => f('regions/us-east-2.yaml', replace('  domain: { field: domain, type: hostname }\n', '')),
      [
        'gitops/apps/base/coder/release.yaml:20: ${domain} has no source for us-east-2: add domain to clusterVars in gitops/regions/us-east-2.yaml, or give a default (${domain:=value})',
      ],
    ],
    [
      'an output that does not exist',
      (f) => f('regions/us-west-2.yaml', replace('{ output: aurora.Endpoint, region: hub, type: hostname }', '{ output: aurora.Endpont, region: hub, type: hostname }')),
      [
        'gitops/regions/us-west-2.yaml:21 (clusterVars.database_endpoint): output "Endpont" does not exist in gitops/stacks/aurora.yaml (did you mean "Endpoint"?); its outputs: Endpoint',
      ],
    ],
    [
      'an output of a stack the region does not run',
      (f) => f('regions/us-west-2.yaml', replace('{ output: aurora.Endpoint, region: hub, type: hostname }', '{ output: aurora.Endpoint, type: hostname }')),
      [
        'gitops/regions/us-west-2.yaml:21 (clusterVars.database_endpoint): stack "aurora" is not declared in gitops/regions/us-west-2.yaml; the hub runs it: add region: hub to read the hub\'s output',
      ],
    ],
    [
      'an unpinned chart',
      (f) => f('infrastructure/controllers/metrics-server.yaml', replace('      version: 3.13.0\n', '')),
      [/^gitops\/infrastructure\/controllers\/metrics-server\.yaml:19 \(spec\.chart\.spec\.version\): chart metrics-server is not pinned; /],
    ],
    [
      'a chart version range',
      (f) => f('infrastructure/controllers/metrics-server.yaml', replace('version: 3.13.0', 'version: ">=3.0.0"')),
      [/^gitops\/infrastructure\/controllers\/metrics-server\.yaml:21 \(spec\.chart\.spec\.version\): chart metrics-server ">=3\.0\.0" is not an exact version; ranges, wildcards and latest are not allowed/],
    ],
    [
      'a Coder chart version written in the HelmRelease (it would reach every cluster on Flux\'s timer)',
      (f) => f('apps/base/coder/release.yaml', replace('version: "${coder_version}"', 'version: 2.28.0')),
      [/^gitops\/apps\/base\/coder\/release\.yaml:11 \(spec\.chart\.spec\.version\): chart coder version "2\.28\.0" is written in the manifest; the Coder version is set by apply-region at deploy time, primary first: write \$\{coder_version\} and declare the version once in gitops\/platform\.yaml coder\.version/],
    ],
    [
      'a Coder chart taking ${coder_version} without coder.version in platform.yaml',
      (f) => f('platform.yaml', replace('  version: "2.27.1"\n', '')),
      [/^gitops\/apps\/base\/coder\/release\.yaml:11 \(spec\.chart\.spec\.version\): chart coder takes \$\{coder_version\}, but gitops\/platform\.yaml has no coder\.version/],
    ],
    [
      'a coder.version that is not a chart version',
      (f) => f('platform.yaml', replace('version: "2.27.1"', 'version: latest')),
      [/^gitops\/platform\.yaml:\d+ \(coder\.version\): expected Coder's chart version, e\.g\. "2\.27\.1" \(quoted\), got "latest"/],
    ],
    [
      'coder_version declared as a chart version with a value that is not one',
      (f) => f('regions/us-west-2.yaml', replace('coder_version: { field: coderVersion, type: chart-version }', 'coder_version: { value: "2.28", type: chart-version }')),
      [/^gitops\/regions\/us-west-2\.yaml:\d+ \(clusterVars\.coder_version\.type\): coder_version is declared as chart-version: expected a chart version such as 2\.27\.1 \(SemVer\), got "2\.28"/],
    ],
    [
      'an OCI chart on latest',
      (f) => f('infrastructure/controllers/karpenter.yaml', replace('tag: 1.6.3', 'tag: latest')),
      [/^gitops\/infrastructure\/controllers\/karpenter\.yaml:10 \(spec\.ref\.tag\): OCIRepository karpenter ref\.tag "latest" is not an exact version/],
    ],
    [
      'a non-Kubernetes file under a Flux path',
      (f) => f('infrastructure/controllers/values.yaml', () => 'replicas: 2\nregion: us-east-2\n'),
      [/^gitops\/infrastructure\/controllers\/values\.yaml:1: not a Kubernetes object \(missing apiVersion, kind, metadata\.name\); Flux builds every YAML file/],
    ],
    [
      'a region file left in the cluster folder',
      (f) => f('clusters/us-west-2/region.yaml', () => 'region: us-west-2\nwave: 2\n'),
      [/^gitops\/clusters\/us-west-2\/region\.yaml:1: not a Kubernetes object \(missing apiVersion, kind, metadata\.name\)/],
    ],
    [
      'a variable where Flux does not substitute',
      (f) =>
        f('clusters/us-west-2/notes.yaml', () =>
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n  namespace: flux-system\ndata:\n  region: ${region}\n'),
      [
        /^gitops\/clusters\/us-west-2\/notes\.yaml:7: \$\{region\} is not substituted here: Kustomization flux-system has no postBuild, so the text reaches the cluster as written/,
      ],
    ],
    [
      'a template over the size limit',
      (f) => f('stacks/aurora.yaml', (t) => t + `# ${'x'.repeat(52_000)}\n`),
      [/^gitops\/stacks\/aurora\.yaml: template body is 52,\d{3} bytes; CloudFormation accepts at most 51,200 bytes inline/],
    ],
    [
      'an unknown region in vantage points',
      (f) => f('platform.yaml', replace('expectedRegions: [us-west-2, us-east-2]', 'expectedRegions: [us-west-1, us-east-2]')),
      [
        'gitops/platform.yaml:23 (vantagePoints[1].expectedRegions[0]): region "us-west-1" has no regions/us-west-1.yaml; expected one of us-east-2, us-west-2',
      ],
    ],
    [
      'a hub without the database',
      (f) => f('regions/us-east-2.yaml', (t) => t.replace(/ {2}- name: aurora\n(.*\n){3}/, '').replace('  database_endpoint: { output: aurora.Endpoint, type: hostname }\n', '')),
      [
        'gitops/regions/us-east-2.yaml:6 (stacks): the hub runs the shared database: add a stack with template aurora',
        // …and what read its outputs loses its source, each said once:
        /^gitops\/regions\/us-west-2\.yaml:21 \(clusterVars\.database_endpoint\): stack "aurora" is not declared in gitops\/regions\/us-east-2\.yaml/,
        /^gitops\/apps\/base\/coder\/release\.yaml:22: \$\{database_endpoint\} has no source for us-east-2/,
      ],
    ],
    [
      'a Kustomization path that does not exist',
      (f) => f('clusters/us-west-2/infrastructure.yaml', replace('./gitops/infrastructure/controllers', './gitops/infrastructure/controller')),
      [/^gitops\/clusters\/us-west-2\/infrastructure\.yaml:8 \(spec\.path\): spec\.path "\.\/gitops\/infrastructure\/controller" is not a folder of this repository/],
    ],
    [
      'stacks that depend on each other',
      (f) => f('regions/us-east-2.yaml', replace('  - name: network\n', '  - name: network\n    dependsOn: [aurora]\n')),
      [/^gitops\/regions\/us-east-2\.yaml:\d+ \(stacks\[\d\]\): stacks depend on each other in a cycle: (network → aurora → network|aurora → network → aurora)/],
    ],
  ];

  it.each(cases)('%s', async (_name, edit, expected) => {
    const messages = await problems(edit);
    for (const want of expected) {
      if (typeof want === 'string') expect(messages).toContain(want);
      else expect(messages.some((m) => want.test(m))).toBe(true);
    }
    // One defect, its own messages: nothing unrelated breaks.
    expect(messages).toHaveLength(expected.length);
  });
});
