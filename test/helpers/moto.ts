import { join } from 'node:path';
import { runApply } from '../../src/apply/apply-engine.js';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { loadValidatedGitops } from '../../src/gitops/validate-gitops.js';
import { MOTO_ADMINISTRATOR, startMotoServer, type MotoServer } from '../../src/sandbox/moto-server.js';
import { MemoryLogger } from '../../src/util/logger.js';

export type { MotoServer };

export interface StartMotoOptions {
  /**
   * IAM enforced (actions, web-identity trust) with the account bootstrapped as the sandbox does it:
   * gitops/stacks/github-oidc.yaml applied by the administrator, so the workflow roles are the real
   * ones; `repository` is the owner/name their trust names (default platform.yaml's). A reset()
   * bootstraps again.
   */
  workflowRoles?: { repository?: string; project?: string };
}

/** Start moto for an integration test and point the SDK at it (AWS_ENDPOINT_URL + keys). */
export async function startMoto(
  accountId = '123456789012',
  opts: StartMotoOptions = {},
): Promise<MotoServer> {
  const enforce = opts.workflowRoles !== undefined;
  const moto = await startMotoServer({ accountId, iam: enforce ? 'enforce' : 'off' });
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = enforce ? MOTO_ADMINISTRATOR.accessKeyId : 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = enforce ? MOTO_ADMINISTRATOR.secretAccessKey : 'testing';
  process.env.AWS_REGION = process.env.AWS_REGION ?? 'us-east-2';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  if (!enforce) return moto;
  const bootstrap = () =>
    bootstrapWorkflowRoles(moto, accountId, opts.workflowRoles?.repository, opts.workflowRoles?.project);
  await bootstrap();
  const reset = moto.reset.bind(moto);
  moto.reset = async () => {
    await reset();
    await bootstrap();
  };
  return moto;
}

/** Apply the account stack (github-oidc) as the administrator: the workflow roles as they are on AWS. */
async function bootstrapWorkflowRoles(
  moto: MotoServer,
  accountId: string,
  repository?: string,
  project?: string,
): Promise<void> {
  const gitopsDir = join(process.cwd(), 'gitops');
  const config = await loadValidatedGitops(gitopsDir);
  config.platform.accountId = accountId;
  if (repository) config.platform.github.repository = repository;
  // Another project's fixture (e.g. test/fixtures/apply-gitops, project demo): its roles are <project>-github-*.
  if (project) config.platform.project = project;
  void moto; // AWS_ENDPOINT_URL already names it
  const admin = new AwsClientFactory({
    credentials: async () => ({
      accessKeyId: MOTO_ADMINISTRATOR.accessKeyId,
      secretAccessKey: MOTO_ADMINISTRATOR.secretAccessKey,
    }),
  });
  const boot = await runApply({
    config,
    gitopsDir: config.dir,
    regions: [],
    headSha: 'bootstrap',
    dryRun: false,
    dns: 'hold',
    cluster: 'skip',
    allowDestructive: false,
    timeoutMinutes: 5,
    account: true,
    verify: {},
    aws: admin,
    logger: new MemoryLogger(),
    pollIntervalMs: 100,
  });
  if (boot.status === 'failed')
    throw new Error(`bootstrapping github-oidc failed: ${boot.errors.join('; ')}`);
}
