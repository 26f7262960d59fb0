import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { loadAll, YAMLException } from 'js-yaml';
import type { AwsClientFactory } from '../aws/client-factory.js';
import { ConfigurationError, errorMessage, wrapAwsError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { KubeObject } from './kube-client.js';

export const FLUX_NAMESPACE = 'flux-system';
export const SYNC_NAME = 'flux-system';
export const CLUSTER_VARS_NAME = 'cluster-vars';
/** The Secret the flux-system GitRepository's `secretRef` names (Flux's bootstrap convention). */
export const GIT_CREDENTIAL_SECRET_NAME = 'flux-system';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'coder-gitops' };

/**
 * The region's sync objects: the `flux-system` GitRepository and Kustomization found in
 * `gitops/clusters/<region>/` (any file, any depth). Everything else there Flux applies itself.
 */
export async function loadSyncObjects(gitopsDir: string, region: string): Promise<KubeObject[]> {
  const dir = join(gitopsDir, 'clusters', region);
  let files: string[];
  try {
    files = await yamlFiles(dir);
  } catch (err) {
    throw new ConfigurationError(`cannot read the cluster folder: ${errorMessage(err)}`, { file: dir });
  }
  const found: KubeObject[] = [];
  for (const file of files) {
    const rel = relative(gitopsDir, file);
    let docs: unknown[];
    try {
      docs = loadAll(await readFile(file, 'utf8'));
    } catch (err) {
      const line = err instanceof YAMLException && err.mark ? err.mark.line + 1 : undefined;
      throw new ConfigurationError(`invalid YAML: ${errorMessage(err)}`, { file: rel, line });
    }
    for (const doc of docs) {
      if (!isKubeObject(doc)) continue;
      const { kind, metadata } = doc;
      const group = doc.apiVersion.split('/')[0];
      if (
        ((kind === 'GitRepository' && group === 'source.toolkit.fluxcd.io') ||
          (kind === 'Kustomization' && group === 'kustomize.toolkit.fluxcd.io')) &&
        metadata.name === SYNC_NAME &&
        (metadata.namespace ?? FLUX_NAMESPACE) === FLUX_NAMESPACE
      ) {
        found.push({ ...doc, metadata: { ...metadata, namespace: FLUX_NAMESPACE } });
      }
    }
  }
  const kinds = new Set(found.map((o) => o.kind));
  const missing = ['GitRepository', 'Kustomization'].filter((k) => !kinds.has(k));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `no ${missing.join(' or ')} named ${SYNC_NAME} in namespace ${FLUX_NAMESPACE}: the cluster folder must hold the Flux sync objects that make the cluster pull gitops/clusters/${region}`,
      { file: relative(process.cwd(), dir) || dir },
    );
  }
  // GitRepository first: the Kustomization names it as its source.
  return found.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'GitRepository' ? -1 : 1));
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(path)));
    // A symbolic link is neither: it is skipped, never followed (validate reports it).
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** True for a mapping with apiVersion, kind and metadata.name. */
export function isKubeObject(doc: unknown): doc is KubeObject {
  if (!doc || typeof doc !== 'object') return false;
  const o = doc as Partial<KubeObject>;
  return (
    typeof o.apiVersion === 'string' &&
    typeof o.kind === 'string' &&
    !!o.metadata &&
    typeof o.metadata.name === 'string'
  );
}

/**
 * The `cluster-vars` ConfigMap Flux substitutes from: keys sorted, no timestamps, so the same variables
 * give a byte-identical object (and a server-side apply that changes nothing).
 */
export function clusterVarsConfigMap(vars: Record<string, string>): KubeObject {
  const data: Record<string, string> = {};
  for (const key of Object.keys(vars).sort()) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
      throw new ConfigurationError(
        `cluster variable '${key}' is not a valid ConfigMap key (letters, digits, '-', '_', '.')`,
      );
    }
    const value = vars[key];
    if (typeof value !== 'string') {
      throw new ConfigurationError(`cluster variable '${key}' must resolve to a string, got ${typeof value}`);
    }
    data[key] = value;
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CLUSTER_VARS_NAME, namespace: FLUX_NAMESPACE, labels: { ...MANAGED_BY } },
    data,
  };
}

/**
 * Flux's Git credential as the Secret `flux-system/flux-system`, from a Secrets Manager secret holding
 * `{"username": …, "password": …}`, `{"token": …}` (a GitHub token; username `git`) or a bare token.
 * Every value is masked before anything else happens.
 */
export async function gitCredentialSecret(
  aws: AwsClientFactory,
  region: string,
  secretId: string,
  logger: Logger,
): Promise<KubeObject> {
  let raw: string;
  try {
    const out = await aws.secretsManager(region).send(new GetSecretValueCommand({ SecretId: secretId }));
    raw = out.SecretString ?? Buffer.from(out.SecretBinary ?? new Uint8Array()).toString('utf8');
  } catch (err) {
    throw wrapAwsError(
      `could not read Flux's Git credential ${secretId} from Secrets Manager in ${region}`,
      err,
    );
  }
  logger.setSecret(raw);
  let username: string | undefined;
  let password: string | undefined;
  const trimmed = raw.trim();
  if (trimmed.startsWith('{')) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      throw new ConfigurationError(
        `secret ${secretId} is not valid JSON: expected {"username","password"} or {"token"} (or a bare token)`,
      );
    }
    const str = (k: string): string | undefined =>
      typeof parsed[k] === 'string' ? (parsed[k] as string) : undefined;
    if (str('token')) {
      username = str('username') ?? 'git';
      password = str('token');
    } else {
      username = str('username');
      password = str('password');
    }
  } else if (trimmed) {
    username = 'git';
    password = trimmed;
  }
  if (!username || !password) {
    throw new ConfigurationError(
      `secret ${secretId} holds no Git credential: expected {"username","password"} or {"token"} (or a bare token)`,
    );
  }
  const encoded = Buffer.from(password, 'utf8').toString('base64');
  logger.setSecret(password);
  logger.setSecret(encoded);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: GIT_CREDENTIAL_SECRET_NAME, namespace: FLUX_NAMESPACE, labels: { ...MANAGED_BY } },
    type: 'Opaque',
    // `data`, not `stringData`: the API server rewrites stringData, so applying it again would not be a no-op.
    data: {
      password: encoded,
      username: Buffer.from(username, 'utf8').toString('base64'),
    },
  };
}
