import { join } from 'node:path';
import { renderApplyMarkdown } from '../../src/report/apply-markdown.js';
import { renderSandboxText, runSandbox } from '../../src/sandbox/run-sandbox.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';

/*
 * `npm start` with a primary (us-east-2) and a proxy region (us-west-2), IAM enforced: the proxy is
 * registered by apply's Coder step, its token is stored in moto's Secrets Manager (its server, played
 * by the sandbox, reads it there and registers with it), verify shows the proxy healthy, and the token
 * is nowhere in the logs, the JSON report, the text report, the job summary or the outputs.
 */

test('the proxy region is registered, its token lives only in Secrets Manager, verify shows it healthy', async () => {
  let proxy: FaultProxy | undefined;
  const logger = new MemoryLogger();
  const report = await runSandbox({
    gitopsDir: join(process.cwd(), 'gitops'),
    keep: false,
    logger,
    routeAws: async (moto) => {
      proxy = await startFaultProxy({
        upstream: moto,
        keepRequests: true,
        record: /^secretsmanager\.GetSecretValue$/,
      });
      return proxy.endpoint;
    },
  });
  await proxy?.close();
  expect(report.steps.filter((s) => s.status === 'failed')).toEqual([]);
  expect(report.ok).toBe(true);

  // What apply wrote: the token, as sent to Secrets Manager in us-west-2 (the only place it was sent).
  const writes = proxy!.log
    .filter((c) => /\.(CreateSecret|PutSecretValue)$/.test(c.operation) && c.request)
    .map((c) => ({
      region: c.request!.region,
      ...(JSON.parse(c.request!.body) as { Name?: string; SecretId?: string; SecretString: string }),
    }));
  const tokenWrites = writes.filter((w) => (w.Name ?? w.SecretId) === 'coderdemo/coder-proxy-token');
  expect(tokenWrites.map((w) => w.region)).toEqual(['us-west-2']);
  // JSON {"token"}, as the proxy's ExternalSecret reads it (property: token).
  const token = (JSON.parse(tokenWrites[0]!.SecretString) as { token: string }).token;
  expect(token).toMatch(/^[0-9a-f-]{36}:.{20,}$/);
  // moto holds it: the proxy's server (played by the sandbox) read it back from there.
  expect(proxy!.recorded.some((r) => r.body.includes(token))).toBe(true);

  const usWest = report.apply?.regions.find((r) => r.region === 'us-west-2');
  expect(usWest?.coder?.proxy).toMatchObject({ name: 'us-west-2', result: 'created' });
  expect(report.apply?.regions.find((r) => r.region === 'us-east-2')?.coder?.license?.result).toBe(
    'installed',
  );
  const proxyCheck = report.verify?.results.find(
    (r) => r.check === 'coder' && r.target === 'workspace proxy us-west-2',
  );
  expect(proxyCheck?.status).toBe('pass');
  expect(proxyCheck?.summary).toMatch(/^healthy, v2\.27\.1/);
  expect(report.verify?.results.find((r) => r.target === 'Coder health report')?.status).toBe('pass');
  // Exactly one token write (above). The sandbox applies a proxy region once since it drains only apex
  // regions; a re-run that keeps the proxy and its token is test/integration/coder-proxy-token.test.ts.

  const secret = token.split(':')[1]!;
  const places = {
    logs: logger.text(),
    'JSON report': JSON.stringify(report),
    'text report': renderSandboxText(report),
    'job summary': renderApplyMarkdown(report.apply!),
    outputs: JSON.stringify({ applied: report.apply?.applied, stackOutputs: report.apply?.stackOutputs }),
  };
  for (const [where, text] of Object.entries(places)) {
    expect({ where, hasToken: text.includes(token) || text.includes(secret) }).toEqual({
      where,
      hasToken: false,
    });
  }
  // The owner token the operator stored is not leaked either.
  const owner = (
    JSON.parse(
      writes.find((w) => (w.Name ?? w.SecretId) === 'coderdemo/coder-owner-token')!.SecretString,
    ) as {
      token: string;
    }
  ).token;
  for (const text of Object.values(places)) expect(text).not.toContain(owner);
}, 180_000);
