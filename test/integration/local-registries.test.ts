import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import {
  DOCKER_REGISTRY_INSTALL_COMMAND,
  findDockerRegistry,
  MEDIA_TYPES,
  startOciRegistry,
  type OciRegistry,
} from '../helpers/oci-registry.js';

// The local chart repository and OCI registry the plan's source checks run against: what they serve
// must be what Helm and a distribution registry serve, or the tests built on them prove nothing.

describe('local Helm chart repository', () => {
  let repo: ChartRepo;
  beforeAll(async () => {
    repo = await startChartRepo();
  });
  afterAll(async () => {
    await repo.stop();
  });

  it('serves index.yaml entries with the archive digest and URL, and a real chart archive', async () => {
    await repo.addChart({
      name: 'karpenter',
      version: '1.14.1',
      appVersion: '1.14.1',
      values: { replicas: 2 },
    });
    const entry = await repo.addChart({ name: 'karpenter', version: '1.14.2', appVersion: '1.14.2' });
    const index = load(await (await fetch(`${repo.url}/index.yaml`)).text()) as {
      apiVersion: string;
      entries: Record<string, { version: string; digest: string; urls: string[] }[]>;
    };
    expect(index.apiVersion).toBe('v1');
    expect(index.entries.karpenter?.map((e) => e.version)).toEqual(['1.14.2', '1.14.1']);
    const res = await fetch(entry.urls[0]!);
    expect(res.status).toBe(200);
    const tgz = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(tgz).digest('hex')).toBe(entry.digest);

    const dir = mkdtempSync(join(tmpdir(), 'chart-check-'));
    try {
      writeFileSync(join(dir, 'c.tgz'), tgz);
      const listing = execFileSync('tar', ['-tzf', join(dir, 'c.tgz')], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(listing).toEqual([
        'karpenter/Chart.yaml',
        'karpenter/values.yaml',
        'karpenter/templates/configmap.yaml',
      ]);
      const chartYaml = execFileSync('tar', ['-xzOf', join(dir, 'c.tgz'), 'karpenter/Chart.yaml'], {
        encoding: 'utf8',
      });
      expect(load(chartYaml)).toMatchObject({ apiVersion: 'v2', name: 'karpenter', version: '1.14.2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await fetch(`${repo.url}/karpenter-9.9.9.tgz`)).status).toBe(404);
  });
});

const registryBinary = findDockerRegistry();
if (!registryBinary && process.env.CI !== 'true') {
  console.warn(
    `SKIPPED the OCI registry tests: docker-registry is missing (${DOCKER_REGISTRY_INSTALL_COMMAND})`,
  );
}

(registryBinary || process.env.CI === 'true' ? describe : describe.skip)(
  'local OCI registry (docker-registry 2.8)',
  () => {
    let registry: OciRegistry;
    beforeAll(async () => {
      registry = await startOciRegistry();
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('holds a pushed image tag and a Helm chart artifact, and answers 404 for a tag never pushed', async () => {
      const image = await registry.pushImage('karpenter/controller', '1.14.1', { index: true });
      const chart = await registry.pushChart('charts', { name: 'karpenter', version: '1.14.1' });
      expect(chart.repository).toBe('charts/karpenter');

      const get = (name: string, tag: string) =>
        fetch(`${registry.url}/v2/${name}/manifests/${tag}`, {
          headers: { accept: [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest].join(', ') },
        });
      const img = await get('karpenter/controller', '1.14.1');
      expect(img.status).toBe(200);
      expect(img.headers.get('docker-content-digest')).toBe(image.digest);
      expect(((await img.json()) as { manifests: unknown[] }).manifests).toHaveLength(2);
      const ch = await get('charts/karpenter', '1.14.1');
      expect(ch.status).toBe(200);
      expect(((await ch.json()) as { config: { mediaType: string } }).config.mediaType).toBe(
        MEDIA_TYPES.helmConfig,
      );
      const missing = await get('karpenter/controller', '1.15.0');
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(
        'MANIFEST_UNKNOWN',
      );
    });

    it('behind token auth, answers 401 with a Bearer challenge and serves the tag with an anonymous token', async () => {
      const authed = await startOciRegistry({ auth: 'anonymous-token' });
      try {
        await authed.pushImage('public/app', 'v1');
        const bare = await fetch(`${authed.url}/v2/public/app/manifests/v1`);
        expect(bare.status).toBe(401);
        const challenge = bare.headers.get('www-authenticate') ?? '';
        expect(challenge).toContain(`Bearer realm="${authed.tokenRealm}"`);
        expect(challenge).toContain('scope="repository:public/app:pull"');
        const tokenRes = await fetch(
          `${authed.tokenRealm}?service=test-registry&scope=repository:public/app:pull`,
        );
        const { token } = (await tokenRes.json()) as { token: string };
        const ok = await fetch(`${authed.url}/v2/public/app/manifests/v1`, {
          headers: { authorization: `Bearer ${token}`, accept: MEDIA_TYPES.ociManifest },
        });
        expect(ok.status).toBe(200);
      } finally {
        await authed.stop();
      }
    });
  },
);
