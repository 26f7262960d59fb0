import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import { FieldReader } from './field-reader.js';
import { primaryRegion } from './coder-topology.js';
import { displayPath } from './load-gitops.js';
import { list, objectError, rec, valueAt, type LocatedObject, type RegionObjects, type RenderedGitops } from './validate-region-objects.js';
import { childPath, parseYamlDocument } from './yaml-file.js';

/**
 * Who produces each remote secret the clusters read (gitops/remote-secrets.yaml), checked against
 * Flux's dependency order: a secret only a running Coder can issue, read by an ExternalSecret in a
 * Kustomization that Coder's own Kustomization waits for, never exists — the first rollout deadlocks
 * (issue 15, defect 3). The file is data the validator reads; Flux never sees it.
 */

export const PRODUCERS = ['operator', 'stack', 'apply-region', 'coder'] as const;
export type Producer = (typeof PRODUCERS)[number];

/** Whose Secrets Manager holds a secret: the hub's only, each region its own, or each proxy region its own. */
export const SECRET_SCOPES = ['hub', 'every-region', 'proxy-regions'] as const;
export type SecretScope = (typeof SECRET_SCOPES)[number];

export interface RemoteSecret {
  name: string;
  /** `clusterVar` names a cluster variable; `literal` is the name with `<project>` filled in. */
  remoteKey: { clusterVar: string } | { literal: string };
  producer: Producer;
  stack?: string;
  region?: string;
  readBy?: { externalSecret?: string; kustomization?: string; applyRegion?: string };
  /** Default every-region. */
  scope: SecretScope;
  /** `primary`: issued by the running Coder primary through its API (apply-region calls it). */
  issuedBy?: 'primary';
  /** Tags a provisioner key is created with; `<region>` stands for the region the key is for. */
  keyTags?: Record<string, string>;
  optional: boolean;
  line?: number;
  path: string;
}

/** The tags of a provisioner key for `region`, `<region>` filled in (apply-region creates the key with them). */
export function keyTagsFor(secret: RemoteSecret, region: string): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.keyTags ?? {}).map(([k, v]) => [k, v.replace(/<region>/g, region)]));
}

export const REMOTE_SECRETS_FILE = 'remote-secrets.yaml';

/** Reads gitops/remote-secrets.yaml; errors name the file, line and field. */
export function readRemoteSecrets(gitopsDir: string, project: string): { secrets: RemoteSecret[]; file: string; errors: ConfigurationError[] } {
  const abs = path.join(gitopsDir, REMOTE_SECRETS_FILE);
  const file = displayPath(gitopsDir, abs);
  const errors: ConfigurationError[] = [];
  const secrets: RemoteSecret[] = [];
  if (!existsSync(abs)) {
    errors.push(
      new ConfigurationError(
        `missing: the producer table of the remote secrets (operator, stack, apply-region or coder for each secret an ExternalSecret reads) is how validate checks the rollout order`,
        { file },
      ),
    );
    return { secrets, file, errors };
  }
  let doc;
  try {
    doc = parseYamlDocument(readFileSync(abs, 'utf8'), file);
  } catch (err) {
    errors.push(err instanceof ConfigurationError ? err : new ConfigurationError(String(err), { file }));
    return { secrets, file, errors };
  }
  const r = new FieldReader(file, doc.lines, errors);
  const root = r.object(doc.value, '', ['secrets'], ['secrets']);
  (r.list(root?.secrets, 'secrets', 'remote secrets') ?? []).forEach((item, i) => {
    const p = childPath('secrets', i);
    const o = r.object(item, p, ['name', 'remoteKey', 'producer', 'stack', 'region', 'note', 'readBy', 'scope', 'issuedBy', 'keyTags', 'optional'], ['name', 'remoteKey', 'producer']);
    if (!o) return;
    const name = r.string(o.name, childPath(p, 'name'));
    const producer = r.oneOf(o.producer, childPath(p, 'producer'), PRODUCERS);
    let remoteKey: RemoteSecret['remoteKey'] | undefined;
    if (typeof o.remoteKey === 'string') remoteKey = { literal: o.remoteKey.replace(/<project>/g, project) };
    else {
      const k = r.object(o.remoteKey, childPath(p, 'remoteKey'), ['clusterVar'], ['clusterVar']);
      const v = k && r.string(k.clusterVar, childPath(p, 'remoteKey.clusterVar'), /^[a-z][a-z0-9_]*$/, 'a cluster variable name');
      if (v) remoteKey = { clusterVar: v };
    }
    const stack = r.optionalString(o.stack, childPath(p, 'stack'));
    const region = r.optionalString(o.region, childPath(p, 'region'), /^(hub|[a-z]{2}(-[a-z]+)+-\d)$/, 'hub or a region name');
    if (producer === 'stack' && !stack) r.error(childPath(p, 'stack'), 'a secret produced by a stack names the stack (e.g. stack: aurora)');
    const scope = o.scope === undefined ? 'every-region' : r.oneOf(o.scope, childPath(p, 'scope'), SECRET_SCOPES);
    const issuedBy = o.issuedBy === undefined ? undefined : r.oneOf(o.issuedBy, childPath(p, 'issuedBy'), ['primary'] as const);
    if (issuedBy && producer !== 'apply-region') {
      r.error(childPath(p, 'issuedBy'), `a secret issued by the Coder primary is written by apply-region (producer: apply-region), got producer ${String(producer)}`);
    }
    let keyTags: Record<string, string> | undefined;
    if (o.keyTags !== undefined) {
      const t = r.object(o.keyTags, childPath(p, 'keyTags'), o.keyTags && typeof o.keyTags === 'object' ? Object.keys(o.keyTags) : []);
      if (t) {
        keyTags = {};
        for (const [k, v] of Object.entries(t)) {
          const tag = r.string(v, childPath(childPath(p, 'keyTags'), k), /^\S+$/, 'a tag value such as <region>');
          if (tag) keyTags[k] = tag;
        }
      }
    }
    const optional = o.optional === undefined ? false : r.boolean(o.optional, childPath(p, 'optional'));
    let readBy: RemoteSecret['readBy'];
    if (o.readBy !== undefined) {
      const rb = r.object(o.readBy, childPath(p, 'readBy'), ['externalSecret', 'kustomization', 'applyRegion']);
      if (rb) {
        readBy = {};
        if (typeof rb.externalSecret === 'string') readBy.externalSecret = rb.externalSecret;
        if (typeof rb.kustomization === 'string') readBy.kustomization = rb.kustomization;
        if (typeof rb.applyRegion === 'string') readBy.applyRegion = rb.applyRegion;
      }
    }
    if (name && producer && remoteKey && scope && optional !== undefined) {
      secrets.push({
        name,
        remoteKey,
        producer,
        scope,
        optional,
        ...(issuedBy ? { issuedBy } : {}),
        ...(keyTags ? { keyTags } : {}),
        ...(stack ? { stack } : {}),
        ...(region ? { region } : {}),
        ...(readBy ? { readBy } : {}),
        line: r.lineOf(p),
        path: p,
      });
    }
  });
  return { secrets, file, errors };
}

/** Kustomizations a Kustomization depends on, transitively. */
function dependencies(name: string, region: RegionObjects): Set<string> {
  const out = new Set<string>();
  const queue = [name];
  while (queue.length) {
    for (const d of list(rec(region.kustomizations.get(queue.pop()!)?.object.spec)?.dependsOn)) {
      const dep = String(rec(d)?.name ?? '');
      if (!out.has(dep)) {
        out.add(dep);
        queue.push(dep);
      }
    }
  }
  return out;
}

/** Every remote key an ExternalSecret reads, with the field it is written at. */
function remoteKeys(o: LocatedObject): { field: string; raw: unknown; value: unknown }[] {
  const out: { field: string; raw: unknown; value: unknown }[] = [];
  list(valueAt(o.object, 'spec.data')).forEach((_d, i) => {
    const field = `spec.data[${i}].remoteRef.key`;
    out.push({ field, raw: valueAt(o.raw, field), value: valueAt(o.object, field) });
  });
  list(valueAt(o.object, 'spec.dataFrom')).forEach((_d, i) => {
    const field = `spec.dataFrom[${i}].extract.key`;
    if (valueAt(o.object, field) !== undefined) out.push({ field, raw: valueAt(o.raw, field), value: valueAt(o.object, field) });
  });
  return out;
}

function matches(s: RemoteSecret, raw: unknown, value: unknown): boolean {
  if ('clusterVar' in s.remoteKey) return typeof raw === 'string' && raw.trim() === `\${${s.remoteKey.clusterVar}}`;
  return value === s.remoteKey.literal;
}

/** The producer table against every ExternalSecret of every region and against Flux's order. */
export function validateSecretProducers(rendered: RenderedGitops): ConfigurationError[] {
  const { config } = rendered;
  const table = readRemoteSecrets(config.dir, config.platform.project);
  const out = [...table.errors];
  const tableError = (s: RemoteSecret, field: string, message: string) =>
    new ConfigurationError(message, { file: table.file, line: rendered.lines.line(table.file, childPath(s.path, field)) ?? s.line, path: childPath(s.path, field) });
  for (const region of rendered.regions) {
    const coderRelease = region.objects.find((o) => o.object.kind === 'HelmRelease' && rec(rec(rec(o.object.spec)?.chart)?.spec)?.chart === 'coder');
    for (const o of region.objects) {
      if (o.object.kind !== 'ExternalSecret' || !String(o.object.apiVersion).startsWith('external-secrets.io/')) continue;
      const meta = rec(o.object.metadata) ?? {};
      const ref = `${String(meta.namespace ?? '')}/${String(meta.name ?? '')}`;
      for (const k of remoteKeys(o)) {
        const s = table.secrets.find((x) => matches(x, k.raw, k.value));
        if (!s) {
          out.push(
            objectError(
              o,
              k.field,
              `remote secret ${typeof k.raw === 'string' ? k.raw : String(k.value)} has no producer in ${table.file}: add an entry (name, remoteKey, producer: operator | stack | apply-region | coder, readBy) so validate can check when it exists`,
            ),
          );
          continue;
        }
        if (s.readBy?.externalSecret && s.readBy.externalSecret !== ref) {
          out.push(tableError(s, 'readBy.externalSecret', `${s.name} is read by ExternalSecret ${ref} (${o.file.file}), not ${s.readBy.externalSecret}: keep the table true`));
        }
        if (s.readBy?.kustomization && s.readBy.kustomization !== o.kustomization) {
          out.push(tableError(s, 'readBy.kustomization', `${s.name} is read in Kustomization ${o.kustomization} (${region.region.name}), not ${s.readBy.kustomization}: keep the table true`));
        }
        const storeError = checkStoreRegion(o, region, s, config.platform.hubRegion);
        if (storeError) out.push(storeError);
        if (s.producer === 'stack' && s.stack) {
          const owner = s.region === 'hub' ? config.regions.find((r) => r.name === config.platform.hubRegion) : region.region;
          if (owner && !owner.stacks.some((st) => st.name === s.stack)) {
            out.push(tableError(s, 'stack', `${s.name} is produced by stack ${s.stack}, which ${owner.name} does not declare (${owner.file})`));
          }
        }
        if (s.scope === 'proxy-regions' && region.region.coder !== 'proxy') {
          out.push(
            objectError(
              o,
              k.field,
              `${s.name} exists only in workspace-proxy regions (${table.file}: scope proxy-regions), but ${region.region.name} is coder: ${region.region.coder} (${region.region.file}): it would never be written here`,
            ),
          );
          continue;
        }
        const primary = primaryRegion(config);
        if (s.issuedBy === 'primary' && region.region.coder === 'proxy') {
          // Issued by the primary through its API before this region's cluster step: only if the primary's region was applied first.
          if (primary && region.region.wave <= primary.wave) {
            out.push(
              objectError(
                o,
                k.field,
                `${s.name} is issued by the Coder primary (${primary.name}, wave ${primary.wave}) and written by apply-region before ${region.region.name}'s cluster step, ` +
                  `but ${region.region.name} is in wave ${region.region.wave}: the primary is not up yet when it rolls out. Put ${region.region.name} in a later wave (${region.region.file}: wave: ${primary.wave + 1})`,
              ),
            );
          }
          continue;
        }
        if ((s.producer !== 'coder' && s.issuedBy !== 'primary') || !coderRelease) continue;
        const coderK = coderRelease.kustomization;
        const waitedFor = dependencies(coderK, region);
        if (o.kustomization === coderK || waitedFor.has(o.kustomization)) {
          out.push(
            objectError(
              o,
              k.field,
              `first-rollout deadlock in ${region.region.name}: ${s.name} is issued by a running Coder (${table.file}), but this ExternalSecret is applied by Kustomization ${o.kustomization}, ` +
                `${o.kustomization === coderK ? 'the one that deploys Coder' : `which Kustomization ${coderK} (Coder) waits for`}: it never becomes Ready and Coder never starts. ` +
                `Move it to a Kustomization that depends on ${coderK} (e.g. provisioners)`,
            ),
          );
        } else if (!dependencies(o.kustomization, region).has(coderK)) {
          out.push(
            objectError(
              o,
              k.field,
              `${s.name} is issued by a running Coder, but Kustomization ${o.kustomization} does not depend on ${coderK} (Coder): on a first rollout it is applied before the secret can exist; add dependsOn: [{ name: ${coderK} }]`,
            ),
          );
        }
      }
    }
  }
  return out;
}

/**
 * apply-region writes what it produces into the region's own Secrets Manager (src/apply/coder-proxy-step.ts,
 * provisioner-key-step.ts); everything else lives in the hub region. An ExternalSecret reading through a
 * store of the other region never finds its secret (ExternalSecret SecretSyncedError, the Pod that mounts
 * it never starts).
 */
function checkStoreRegion(o: LocatedObject, region: RegionObjects, s: RemoteSecret, hubRegion: string): ConfigurationError | undefined {
  const storeName = valueAt(o.object, 'spec.secretStoreRef.name');
  const storeKind = valueAt(o.object, 'spec.secretStoreRef.kind') ?? 'SecretStore';
  const store = region.objects.find(
    (x) => x.object.kind === storeKind && rec(x.object.metadata)?.name === storeName && (storeKind === 'ClusterSecretStore' || rec(x.object.metadata)?.namespace === rec(o.object.metadata)?.namespace),
  );
  if (!store) return undefined; // a store that does not exist is validate-flux's finding (the reference check)
  const storeRegion = valueAt(store.object, 'spec.provider.aws.region');
  if (typeof storeRegion !== 'string') return undefined;
  const lives = s.producer === 'apply-region' ? region.region.name : hubRegion;
  if (storeRegion === lives) return undefined;
  return objectError(
    o,
    'spec.secretStoreRef.name',
    `${s.name} lives in ${lives}'s Secrets Manager (${s.producer === 'apply-region' ? 'apply-region writes it in the region itself' : 'the hub region'}), but ${storeKind} ${String(storeName)} reads ${storeRegion} (${store.file.file}): ` +
      `read it through a store whose spec.provider.aws.region is ${s.producer === 'apply-region' ? '${aws_region}' : '${hub_region}'}`,
  );
}
