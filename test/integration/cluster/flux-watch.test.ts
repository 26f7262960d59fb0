import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxWatch } from '../../../src/cluster/flux-watch.js';
import { connectCluster } from '../../../src/cluster/kube-access.js';
import { MemoryLogger } from '../../../src/util/logger.js';
import { KubeStandIn } from '../../helpers/kube-stand-in.js';

let s: KubeStandIn;
let dir: string;
beforeAll(async () => {
  // Flux running, and every watch connection ends after one event: a watch that drops.
  s = await new KubeStandIn({ fluxVersion: 'v2.7.2', dropWatchAfterEvents: 1 }).start();
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  writeFileSync(
    join(dir, 'config'),
    `apiVersion: v1
kind: Config
clusters: [{ name: k, cluster: { server: '${s.url}', certificate-authority-data: ${s.caData} } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: k, context: { cluster: k, user: u } }]
current-context: k
`,
  );
});
afterAll(async () => {
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a dropped watch is resumed from the last resourceVersion seen and keeps reporting changes', async () => {
  s.create({
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name: 'coder', namespace: 'coder' },
    spec: {},
  });
  const { client } = await connectCluster(
    { mode: 'kubeconfig', kubeconfigPath: join(dir, 'config') },
    'us-west-2',
    new MemoryLogger(),
  );
  const logger = new MemoryLogger();
  const watch = new FluxWatch(client, logger);
  try {
    watch.start();
    await s.untilWatchRequests('HelmRelease', 1);

    const first = watch.changed();
    const changed = s.modify('HelmRelease', 'coder', 'coder', (o) => {
      o.status = { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Progressing' }] };
    });
    await first;

    // The stand-in ended that watch after the event: the next one resumes from the event's resourceVersion.
    await s.untilWatchRequests('HelmRelease', 2);
    const [opened, resumed] = s.watchRequests('HelmRelease');
    expect(opened?.query.resourceVersion).toBeDefined();
    expect(resumed?.query.resourceVersion).toBe(changed.metadata.resourceVersion);
    expect(watch.resumes).toBeGreaterThanOrEqual(1);

    const second = watch.changed();
    s.modify('HelmRelease', 'coder', 'coder', (o) => {
      o.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'InstallSucceeded' }] };
    });
    await second;
  } finally {
    watch.stop();
  }
});
