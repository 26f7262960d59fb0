import { loadValidatedGitops } from '../../src/gitops/validate-gitops.js';
import { runSandbox, type SandboxReport } from '../../src/sandbox/run-sandbox.js';
import type { Logger } from '../../src/util/logger.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { iamCallKey, iamCallsOf, type IamCall, type IamCallRecording } from './iam-calls.js';

/**
 * Run the sandbox (plan, apply, verify with IAM enforced) with every AWS call through the counting
 * proxy, and attribute each signed call to the workflow role whose temporary key signed it (the
 * proxy keeps the AssumeRoleWithWebIdentity answers). Values that differ run to run (the emulator's
 * zone id, commit shas in change-set names, stack and change ids) are replaced by stable ones, the
 * zone by platform.yaml's, so the policy test simulates against the template resolved for the project.
 */
export async function recordIamCalls(
  gitopsDir: string,
  logger: Logger,
): Promise<{ recording: IamCallRecording; report: SandboxReport }> {
  const config = await loadValidatedGitops(gitopsDir);
  const { accountId, hostedZoneId } = config.platform;
  let proxy: FaultProxy | undefined;
  const report = await runSandbox({
    gitopsDir,
    keep: false,
    logger,
    routeAws: async (moto) => {
      proxy = await startFaultProxy({
        upstream: moto,
        keepRequests: true,
        record: /^sts\.AssumeRoleWithWebIdentity$/,
      });
      return proxy.endpoint;
    },
  });
  await proxy?.close();
  if (!proxy) throw new Error('the sandbox never started the emulator');
  const roleOfKey = new Map<string, string>();
  for (const r of proxy.recorded) {
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(r.body)?.[1];
    const role = /assumed-role\/([^/<]+)\//.exec(r.body)?.[1];
    if (key && role) roleOfKey.set(key, role);
  }
  // The emulator's one zone stands for platform.yaml's.
  const stable = (s: string): string =>
    s
      .replace(/(hostedzone\/)[A-Z0-9]+/g, `$1${hostedZoneId}`)
      .replace(/\b(c[ga])-[0-9a-f]{12}-/g, '$1-0123456789ab-')
      // apply's change sets carry 16 hex of randomness after the commit (change-set-identity.ts).
      .replace(/\b(ca-0123456789ab-)[0-9a-f]{16}-/g, '$10123456789abcdef-')
      .replace(/\b(c[ga])-local-/g, '$1-0123456789ab-')
      .replace(/(:stack\/[^/]+\/)[0-9a-f-]{36}/g, '$1*')
      .replace(/(:changeSet\/[^/]+\/)[0-9a-f-]{36}/g, '$1*')
      .replace(/(:::change\/)[A-Z0-9]+/g, '$1C0000000000000');
  const stableCall = (c: IamCall): IamCall => JSON.parse(stable(JSON.stringify(c))) as IamCall;
  const roles: Record<string, Map<string, IamCall>> = {};
  for (const call of proxy.log) {
    const role = call.request?.accessKeyId ? roleOfKey.get(call.request.accessKeyId) : undefined;
    if (!role) continue;
    const byKey = (roles[role] ??= new Map());
    for (const c of iamCallsOf(call, accountId).map(stableCall)) {
      const k = iamCallKey(c);
      const seen = byKey.get(k);
      if (seen) seen.count = (seen.count ?? 1) + 1;
      else byKey.set(k, { ...c, count: 1 });
    }
  }
  const recording: IamCallRecording = {
    generatedBy: 'npm run record-calls (scripts/record-iam-calls.ts): the sandbox through the counting proxy',
    account: accountId,
    roles: Object.fromEntries(
      Object.keys(roles)
        .sort()
        .map((r) => [r, [...roles[r]!.values()].sort((a, b) => iamCallKey(a).localeCompare(iamCallKey(b)))]),
    ),
  };
  return { recording, report };
}
