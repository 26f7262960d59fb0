import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitopsConfig } from '../gitops/types.js';
import type { ResolveOverride } from '../verify/resolve-overrides.js';
import { startCoderStandIn, type CoderStandIn } from './coder-stand-in.js';
import { createLocalCa, issueLeafCert, type LocalCa } from './local-ca.js';

/** The Coder version every sandbox region starts on. */
export const SANDBOX_CODER_VERSION = 'v2.27.1+sandbox';

export interface SandboxEndpoints {
  ca: LocalCa;
  byRegion: Map<string, CoderStandIn>;
  /** curl-style overrides sending each region's names (and the apex, to the hub) to its local endpoint. */
  resolve: ResolveOverride[];
  close(): Promise<void>;
}

/**
 * A local CA and, per region, one HTTPS endpoint answering like Coder, with a certificate for what
 * the region's ACM certificate covers: the apex, `*.<domain>`, `<region>.<domain>`, `*.<region>.<domain>`.
 */
export async function startSandboxEndpoints(
  config: GitopsConfig,
  regions: string[],
  dir: string,
  /** The primary's owner token: the hub's endpoint then serves Coder's API (licences, proxies, keys, health). */
  ownerToken?: string,
): Promise<SandboxEndpoints> {
  const domain = config.platform.domain;
  const ca = await createLocalCa(await mkdtemp(join(dir, 'ca-')));
  const byRegion = new Map<string, CoderStandIn>();
  const resolve: ResolveOverride[] = [];
  try {
    for (const region of regions) {
      const leaf = await issueLeafCert(ca, {
        names: [domain, `*.${domain}`, `${region}.${domain}`, `*.${region}.${domain}`],
        days: 90,
        file: region,
      });
      const server = await startCoderStandIn({
        certFile: leaf.certFile,
        keyFile: leaf.keyFile,
        version: SANDBOX_CODER_VERSION,
        accessUrl: `https://${region}.${domain}`,
        ...(region === config.platform.hubRegion && ownerToken ? { ownerToken } : {}),
      });
      byRegion.set(region, server);
      resolve.push(
        { host: `${region}.${domain}`, port: 443, address: '127.0.0.1', targetPort: server.port },
        { host: `*.${region}.${domain}`, port: 443, address: '127.0.0.1', targetPort: server.port },
      );
    }
  } catch (err) {
    await Promise.all([...byRegion.values()].map((s) => s.close()));
    throw err;
  }
  // The apex and *.<domain> go wherever latency routing sends a client; locally that is the hub's endpoint.
  const apex = byRegion.get(config.platform.hubRegion) ?? [...byRegion.values()][0];
  if (apex) {
    resolve.push(
      { host: domain, port: 443, address: '127.0.0.1', targetPort: apex.port },
      { host: `*.${domain}`, port: 443, address: '127.0.0.1', targetPort: apex.port },
    );
  }
  return {
    ca,
    byRegion,
    resolve,
    close: async () => {
      await Promise.all([...byRegion.values()].map((s) => s.close()));
    },
  };
}

/** The overrides as `--resolve` lines, for the environment printed by `--keep`. */
export function resolveLines(resolve: ResolveOverride[]): string[] {
  return resolve.map((r) => `${r.host}:${r.port}:${r.address}${r.targetPort ? `:${r.targetPort}` : ''}`);
}
