import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { changedFiles } from '../../src/gitops/changed-regions.js';
import { checkoutBase } from '../../src/plan/base-checkout.js';
import { runPlan } from '../../src/plan/plan-engine.js';
import type { PlanReport, SourceVersionCheck } from '../../src/plan/plan-types.js';
import { allFindings, renderPlanMarkdown } from '../../src/report/plan-markdown.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { createLocalCa, issueLeafCert } from '../../src/sandbox/local-ca.js';
import { startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { edit } from '../helpers/domain-rule-corpus.js';
import { makeGitopsWorkspace } from '../helpers/gitops-workspace.js';
import {
  DOCKER_REGISTRY_INSTALL_COMMAND,
  findDockerRegistry,
  startOciRegistry,
  type OciRegistry,
} from '../helpers/oci-registry.js';

/*
 * A chart or image version that does not exist in its source, found through the plan's allow-listed
 * fetcher against real servers: a Helm chart repository (index.yaml), Debian's docker-registry (OCI
 * manifests), and the same registry behind token auth (the anonymous pull token flow of public.ecr.aws).
 * Main (the base commit) points the sources at them and allow-lists them, as an operator would; each pull
 * request only bumps a version, as a contributor would.
 */

const registryBinary = findDockerRegistry();
if (!registryBinary && process.env.CI !== 'true') {
  console.warn(
    `SKIPPED the source version tests: docker-registry is missing (${DOCKER_REGISTRY_INSTALL_COMMAND})`,
  );
}

const KARPENTER = 'infrastructure/controllers/karpenter.yaml';
const ESO = 'infrastructure/controllers/external-secrets.yaml';
const LITELLM = 'apps/hub/litellm/deployment.yaml';

let charts: ChartRepo;
let registry: OciRegistry;
let tokenRegistry: OciRegistry;
const dirs: string[] = [];
let caPem = '';
let tls: { certFile: string; keyFile: string } = { certFile: '', keyFile: '' };

(registryBinary || process.env.CI === 'true' ? describe : describe.skip)(
  'chart and image versions in their sources',
  () => {
    beforeAll(async () => {
      // Chart repositories are HTTPS (validate accepts no other allowedSources); the plan is told the local CA.
      const caDir = mkdtempSync(path.join(tmpdir(), 'source-versions-ca-'));
      dirs.push(caDir);
      const ca = await createLocalCa(caDir);
      tls = await issueLeafCert(ca, { names: ['localhost'], days: 2, file: 'charts' });
      caPem = readFileSync(ca.certFile, 'utf8');
      [charts, registry, tokenRegistry] = await Promise.all([
        startChartRepo({ tls }),
        startOciRegistry(),
        startOciRegistry({ auth: 'anonymous-token' }),
      ]);
      await charts.addChart({ name: 'external-secrets', version: '1.0.0', appVersion: 'v1.0.0' });
      await charts.addChart({ name: 'external-secrets', version: '1.0.1', appVersion: 'v1.0.1' });
      await registry.pushChart('karpenter', { name: 'karpenter', version: '1.14.1', appVersion: '1.14.1' });
      await registry.pushChart('karpenter', { name: 'karpenter', version: '1.14.2', appVersion: '1.14.2' });
      await registry.pushImage('berriai/litellm', 'v1.102.1', { index: true });
      await registry.pushImage('berriai/litellm', 'v1.103.0', { index: true });
      await tokenRegistry.pushChart('karpenter', { name: 'karpenter', version: '1.14.1' });
      await tokenRegistry.pushChart('karpenter', { name: 'karpenter', version: '1.14.2' });
    }, 60_000);
    afterAll(async () => {
      await Promise.all([charts?.stop(), registry?.stop(), tokenRegistry?.stop()]);
      dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    });

    /** Main with Karpenter's chart, external-secrets' repository and litellm's image on the local servers. */
    function localMain(karpenterHost = registry.host) {
      return (g: string) => {
        edit(
          g,
          'platform.yaml',
          'allowedSources:\n',
          `allowedSources:\n  - ${charts.url}\n  - oci://${karpenterHost}/karpenter/karpenter\n  - oci://${registry.host}/berriai/litellm\n`,
        );
        edit(
          g,
          KARPENTER,
          'url: oci://public.ecr.aws/karpenter/karpenter',
          `url: oci://${karpenterHost}/karpenter/karpenter`,
        );
        edit(g, ESO, 'url: https://charts.external-secrets.io', `url: ${charts.url}`);
        edit(g, LITELLM, 'image: ghcr.io/berriai/litellm:', `image: ${registry.host}/berriai/litellm:`);
      };
    }

    async function plan(change: (g: string) => void, base = localMain()): Promise<PlanReport> {
      const ws = makeGitopsWorkspace(change, base);
      dirs.push(ws.dir);
      const baseDir = await checkoutBase(ws.dir, ws.baseSha, path.join(ws.dir, '.base'), 'gitops');
      const report = await runPlan({
        gitopsDir: ws.gitopsDir,
        baseDir,
        regions: 'changed',
        changedFiles: await changedFiles(ws.dir, ws.baseSha, ws.headSha),
        gitopsPath: 'gitops',
        headSha: ws.headSha,
        baseRef: ws.baseSha,
        offlineReason: 'pull request from a fork',
        fetchCa: caPem,
        logger: new MemoryLogger(),
      });
      expect(report.errors).toEqual([]);
      return report;
    }

    const checks = (r: PlanReport): SourceVersionCheck[] => r.regions.flatMap((x) => x.sourceVersions ?? []);
    const missing = (r: PlanReport) => allFindings(r).filter((f) => f.rule === 'source-version-missing');
    const markdown = (r: PlanReport) =>
      renderPlanMarkdown(r, { budget: 65000, marker: '<!-- plan -->' }).markdown;

    it('Karpenter 1.14.1 → 1.15.0, a tag the registry does not have: flagged high, with the rule', async () => {
      const report = await plan((g) => edit(g, KARPENTER, 'tag: "1.14.1"', 'tag: "1.15.0"'));
      const c = checks(report).filter((x) => x.subject === 'OCIRepository kube-system/karpenter');
      expect(c.length).toBeGreaterThan(0);
      expect(c.every((x) => x.outcome === 'missing')).toBe(true);
      expect(c[0]!.reason).toBe(
        `${registry.host}/karpenter/karpenter has no 1.15.0 (the registry answers 404)`,
      );
      const f = missing(report);
      expect(f.length).toBeGreaterThan(0);
      expect(f.every((x) => x.level === 'high')).toBe(true);
      expect(f[0]!.message).toContain(
        `chart oci://${registry.host}/karpenter/karpenter:1.15.0 does not exist`,
      );
      expect(report.risk).toBe('high');
      const md = markdown(report);
      expect(md).toContain('**source-version-missing**');
      expect(md).toMatch(/Why: Flux cannot fetch a chart or image version its source does not have/);
      expect(md).toContain('### Chart and image versions');
      expect(md).toContain('**missing**:');
    });

    it('Karpenter 1.14.1 → 1.14.2, a tag that exists: not flagged', async () => {
      const report = await plan((g) => edit(g, KARPENTER, 'tag: "1.14.1"', 'tag: "1.14.2"'));
      const c = checks(report).filter((x) => x.subject === 'OCIRepository kube-system/karpenter');
      expect(c.length).toBeGreaterThan(0);
      expect(c.every((x) => x.outcome === 'exists')).toBe(true);
      expect(missing(report)).toEqual([]);
      expect(report.risk).not.toBe('high');
      // One registry request for the tag, however many regions ask (the answer is shared).
      const asked = (report.fetches ?? []).filter((x) => x.url.endsWith('/manifests/1.14.2'));
      expect(asked).toHaveLength(1);
    });

    it('a HelmRelease chart version its HelmRepository index does not list is flagged; one it lists is not', async () => {
      const bad = await plan((g) => edit(g, ESO, 'version: "1.0.0"', 'version: "1.0.5"'));
      const c = checks(bad).find((x) => x.subject === 'HelmRelease external-secrets/external-secrets')!;
      expect(c).toMatchObject({ kind: 'helm-chart', outcome: 'missing', source: charts.url });
      expect(c.reason).toBe(
        `${charts.url}/index.yaml does not list external-secrets 1.0.5 (newest listed: 1.0.1, 1.0.0)`,
      );
      expect(missing(bad).map((f) => f.level)).toContain('high');

      const good = await plan((g) => edit(g, ESO, 'version: "1.0.0"', 'version: "1.0.1"'));
      const ok = checks(good).find((x) => x.subject === 'HelmRelease external-secrets/external-secrets')!;
      expect(ok).toMatchObject({ outcome: 'exists' });
      expect(missing(good)).toEqual([]);
    });

    it('a container image tag the registry does not have is flagged; one it has is not', async () => {
      const bad = await plan((g) => edit(g, LITELLM, 'litellm:v1.102.1', 'litellm:v1.999.0'));
      const c = checks(bad).find((x) => x.kind === 'image')!;
      expect(c).toMatchObject({
        region: 'us-east-2',
        outcome: 'missing',
        reference: `${registry.host}/berriai/litellm:v1.999.0`,
      });
      expect(missing(bad)[0]!.message).toContain(
        `image ${registry.host}/berriai/litellm:v1.999.0 does not exist`,
      );
      const good = await plan((g) => edit(g, LITELLM, 'litellm:v1.102.1', 'litellm:v1.103.0'));
      expect(checks(good).find((x) => x.kind === 'image')).toMatchObject({ outcome: 'exists' });
      expect(missing(good)).toEqual([]);
    });

    it('a registry that asks for a token (as public.ecr.aws does) is checked with an anonymous pull token', async () => {
      const base = localMain(tokenRegistry.host);
      const before = tokenRegistry.tokenRequests.length;
      const exists = await plan((g) => edit(g, KARPENTER, 'tag: "1.14.1"', 'tag: "1.14.2"'), base);
      expect(checks(exists).find((x) => x.subject === 'OCIRepository kube-system/karpenter')!.outcome).toBe(
        'exists',
      );
      const report = await plan((g) => edit(g, KARPENTER, 'tag: "1.14.1"', 'tag: "1.15.0"'), base);
      const c = checks(report).find((x) => x.subject === 'OCIRepository kube-system/karpenter')!;
      expect(c.outcome).toBe('missing');
      expect(tokenRegistry.tokenRequests.length).toBeGreaterThan(before);
      expect(tokenRegistry.tokenRequests.at(-1)).toContain('scope=repository%3Akarpenter%2Fkarpenter%3Apull');
    });

    it('"not checked", with why: a source main does not allow-list, an unreachable registry, an index too big', async () => {
      // The image moved to a registry main does not list: nothing is fetched from it.
      const foreign = await plan((g) =>
        edit(
          g,
          LITELLM,
          `image: ${registry.host}/berriai/litellm:v1.102.1`,
          'image: ghcr.io/berriai/litellm:v1.103.0',
        ),
      );
      const f = checks(foreign).find((x) => x.kind === 'image')!;
      expect(f.outcome).toBe('not-checked');
      expect(f.reason).toMatch(
        /^not allow-listed: oci:\/\/ghcr\.io\/berriai\/litellm is not under any allowedSources entry/,
      );
      expect(
        (foreign.fetches ?? []).some((x) => x.url.includes('ghcr.io') && x.outcome === 'not-allowed'),
      ).toBe(true);
      expect(markdown(foreign)).toContain('not checked: not allow-listed');

      // Allow-listed on main, but nobody answers there.
      const down = await plan(
        (g) => edit(g, KARPENTER, 'tag: "1.14.1"', 'tag: "1.15.0"'),
        localMain('127.0.0.1:9'),
      );
      const d = checks(down).find((x) => x.subject === 'OCIRepository kube-system/karpenter')!;
      expect(d.outcome).toBe('not-checked');
      expect(d.reason).toMatch(
        /^registry unreachable: http:\/\/127\.0\.0\.1:9\/v2\/karpenter\/karpenter\/manifests\/1\.15\.0: /,
      );
      expect(missing(down)).toEqual([]);

      // An index larger than the fetcher takes (16 MiB).
      const big = await startChartRepo({ tls });
      try {
        await big.writeIndex(`apiVersion: v1\nentries: {}\n# ${'x'.repeat(17 * 1024 * 1024)}\n`);
        const report = await plan(
          (g) => edit(g, ESO, 'version: "1.0.0"', 'version: "1.0.1"'),
          (g) => {
            localMain()(g);
            edit(g, 'platform.yaml', `  - ${charts.url}\n`, `  - ${charts.url}\n  - ${big.url}\n`);
            edit(g, ESO, `url: ${charts.url}`, `url: ${big.url}`);
          },
        );
        const c = checks(report).find((x) => x.kind === 'helm-chart')!;
        expect(c.outcome).toBe('not-checked');
        expect(c.reason).toMatch(/^index\.yaml is too big to fetch \(larger than 16777216 bytes\)$/);
      } finally {
        await big.stop();
      }
    });
  },
);
