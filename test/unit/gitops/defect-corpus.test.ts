/**
 * Issue 15's measured defects, each re-introduced into a copy of the repository's gitops/: validate must
 * catch every one with the file, the line that holds the mistake and the fix, and today's gitops/ passes.
 * The class of mistake is what is checked (schemas after substitution, Coder's rules, Flux's order),
 * not these strings: see src/gitops/validate-*.ts.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError, ConfigurationErrors } from '../../../src/util/errors.js';
import { loadValidatedGitops } from '../../../src/gitops/validate-gitops.js';
import { makeGitopsWorkspace } from '../../helpers/gitops-workspace.js';
import { runCli } from '../../helpers/run-cli.js';

type Edit = (edit: (rel: string, change: (text: string) => string) => void) => void;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const replace = (from: string | RegExp, to: string) => (text: string) => {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`the defect was not re-introduced: ${String(from)} not found`);
  return out;
};

/** A copy of gitops/ with the edit applied, and every problem validate finds there. */
async function validateWith(edit: Edit): Promise<{ gitopsDir: string; errors: ConfigurationError[] }> {
  const ws = makeGitopsWorkspace((gitopsDir) =>
    edit((rel, change) => {
      const abs = path.join(gitopsDir, rel);
      writeFileSync(abs, change(existsSync(abs) ? readFileSync(abs, 'utf8') : ''));
    }),
  );
  dirs.push(ws.dir);
  try {
    await loadValidatedGitops(ws.gitopsDir);
    return { gitopsDir: ws.gitopsDir, errors: [] };
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationErrors);
    return { gitopsDir: ws.gitopsDir, errors: (err as ConfigurationErrors).errors };
  }
}

interface Expected {
  file: string;
  /** What the reported line of that file holds. */
  line: RegExp;
  /** The message, with the fix. */
  message: RegExp;
}

const CASES: [string, Edit, Expected[]][] = [
  [
    '1: EC2NodeClass volumeSize an integer',
    (f) => f('infrastructure/configs/karpenter-workspaces.yaml', replace('volumeSize: 100Gi', 'volumeSize: 100')),
    [
      {
        file: 'gitops/infrastructure/configs/karpenter-workspaces.yaml',
        line: /volumeSize: 100$/,
        message: /spec\.blockDeviceMappings\[0\]\.ebs\.volumeSize.*expected string, got number 100.*"100Gi"/,
      },
    ],
  ],
  [
    '2: a GitHub OAuth client without allowed orgs or allow-everyone',
    (f) =>
      f(
        'apps/base/coder/helm-release.yaml',
        replace(/ {8}- name: CODER_OAUTH2_GITHUB_ALLOWED_ORGS\n.*\n {8}- name: CODER_OAUTH2_GITHUB_ALLOW_EVERYONE\n.*\n/, ''),
      ),
    [
      {
        file: 'gitops/apps/base/coder/helm-release.yaml',
        line: /- name: CODER_OAUTH2_GITHUB_CLIENT_ID/,
        message: /allowed orgs is empty: must specify at least one org or allow everyone.*cli\/server\.go.*coder\.github in gitops\/platform\.yaml/,
      },
    ],
  ],
  [
    '3: the provisioner key, issued by Coder, read in infra-configs that apps waits for',
    (f) => {
      f('infrastructure/configs/kustomization.yaml', (t) => `${t.trimEnd()}\n  - external-secret-provisioner-key.yaml\n`);
      // Where the file was before the fix.
      f('infrastructure/configs/external-secret-provisioner-key.yaml', () => readFileSync('gitops/apps/provisioners/external-secret-provisioner-key.yaml', 'utf8'));
    },
    [
      {
        file: 'gitops/infrastructure/configs/external-secret-provisioner-key.yaml',
        line: /key: \$\{provisioner_key_secret_name\}/,
        message: /first-rollout deadlock.*issued by a running Coder.*Kustomization infra-configs, which Kustomization apps \(Coder\) waits for.*Move it to a Kustomization that depends on apps/,
      },
    ],
  ],
  [
    "5: the load balancer controller's Service webhook failing closed while the add-ons install beside it",
    (f) => f('infrastructure/controllers/aws-load-balancer-controller.yaml', replace(/ {4}enableServiceMutatorWebhook: false\n/, '')),
    [
      {
        file: 'gitops/infrastructure/controllers/metrics-server.yaml',
        line: /^spec:/,
        message: /HelmRelease kube-system\/metrics-server.*Service webhook, which fails closed.*Add spec\.dependsOn: \[\{ name: aws-load-balancer-controller, namespace: kube-system \}\].*failurePolicy: Ignore/,
      },
    ],
  ],
  [
    '8: workspace nodes on al2023@latest, expiring after 720h, without budgets',
    (f) =>
      f('infrastructure/configs/karpenter-workspaces.yaml', (t) =>
        replace('alias: al2023@v20260714', 'alias: al2023@latest')(t)
          .replace(/^( {6})expireAfter: Never$/m, '$1expireAfter: 720h')
          .replace(/ {4}budgets:\n( {6}.*\n)+/, ''),
      ),
    [
      {
        file: 'gitops/infrastructure/configs/karpenter-workspaces.yaml',
        line: /alias: al2023@latest/,
        message: /alias al2023@latest drifts.*Pin a release, e\.g\. al2023@v/,
      },
      {
        file: 'gitops/infrastructure/configs/karpenter-workspaces.yaml',
        line: /expireAfter: 720h/,
        message: /NodePool workspaces runs workspaces, but expireAfter is 720h.*Set expireAfter: Never/,
      },
      {
        file: 'gitops/infrastructure/configs/karpenter-workspaces.yaml',
        line: /disruption:/,
        message: /declares no disruption budgets.*add spec\.disruption\.budgets/,
      },
    ],
  ],
  [
    '10: Route 53 health checks on /api/v2/buildinfo',
    (f) => f('stacks/dns.yaml', replace('ResourcePath: !Ref HealthCheckPath', 'ResourcePath: /api/v2/buildinfo')),
    [
      {
        file: 'gitops/stacks/dns.yaml',
        line: /ResourcePath: \/api\/v2\/buildinfo/,
        message: /\/api\/v2\/buildinfo answers build metadata without touching the database.*stay in latency routing\. Probe \/api\/v2\/updatecheck/,
      },
    ],
  ],
  [
    "11: the NLB left on the controller's default TLS policy",
    (f) => f('apps/base/coder/service.yaml', replace(/ {4}service\.beta\.kubernetes\.io\/aws-load-balancer-ssl-negotiation-policy: .*\n/, '')),
    [
      {
        file: 'gitops/apps/base/coder/service.yaml',
        line: /annotations:/,
        message: /ELBSecurityPolicy-2016-08 \(TLS 1\.0 and 1\.1\).*Add service\.beta\.kubernetes\.io\/aws-load-balancer-ssl-negotiation-policy: ELBSecurityPolicy-TLS13-1-2-2021-06/,
      },
    ],
  ],
];

test("today's gitops/ passes validate", async () => {
  const { errors } = await validateWith(() => undefined);
  expect(errors.map((e) => e.message)).toEqual([]);
});

test.each(CASES)('defect %s is caught with file, line and fix', async (_name, edit, expected) => {
  const { gitopsDir, errors } = await validateWith(edit);
  for (const want of expected) {
    const hit = errors.find((e) => e.location?.file === want.file && want.message.test(e.message));
    expect({ found: hit?.message, all: errors.map((e) => e.message) }).toMatchObject({ found: expect.stringMatching(want.message) as string });
    const text = readFileSync(path.join(path.dirname(gitopsDir), hit!.location!.file), 'utf8').split('\n');
    expect(text[hit!.location!.line! - 1]).toMatch(want.line);
  }
});

test('`coder-gitops validate` prints the defect with its file and line and exits 1', async () => {
  const ws = makeGitopsWorkspace((gitopsDir) => {
    const file = path.join(gitopsDir, 'infrastructure/configs/karpenter-coder-server.yaml');
    writeFileSync(file, replace('volumeSize: 30Gi', 'volumeSize: 30')(readFileSync(file, 'utf8')));
  });
  dirs.push(ws.dir);
  const run = await runCli(['validate', '--gitops-dir', ws.gitopsDir]);
  expect(run.code).toBe(1);
  expect(run.stderr + run.stdout).toMatch(
    /gitops\/infrastructure\/configs\/karpenter-coder-server\.yaml:\d+ \(spec\.blockDeviceMappings\[0\]\.ebs\.volumeSize\): .*"30Gi"/,
  );
});
