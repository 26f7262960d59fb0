/**
 * Readers for the content tests of `gitops/`: CloudFormation templates (with their short-form
 * intrinsic tags), region files, and the output of `kubectl kustomize` for each Flux path. Kept
 * apart from src/gitops so these tests check the files on their own terms.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, defineScalarTag, defineSequenceTag, load, loadAll, NOT_RESOLVED } from 'js-yaml';

export const GITOPS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../gitops');
export const REPO_DIR = dirname(GITOPS_DIR);

/** `!Ref X` → `{ Ref: X }`, `!Sub …` → `{ 'Fn::Sub': … }`, as CloudFormation reads them. */
function intrinsicName(tag: string): string {
  return tag === '!Ref' || tag === '!Condition' ? tag.slice(1) : `Fn::${tag.slice(1)}`;
}

const cfnScalarTag = defineScalarTag<Record<string, unknown>>('!', {
  matchByTagPrefix: true,
  resolve: (source, _explicit, tagName) =>
    tagName === '!'
      ? NOT_RESOLVED
      : { [intrinsicName(tagName)]: tagName === '!GetAtt' ? source.split('.') : source },
  identify: () => false,
});

const cfnSequenceTag = defineSequenceTag<{ tag: string; items: unknown[] }, Record<string, unknown>>('!', {
  matchByTagPrefix: true,
  create: (tag) => ({ tag, items: [] }),
  addItem: (carrier, item) => {
    carrier.items.push(item);
  },
  finalize: (carrier) => ({ [intrinsicName(carrier.tag)]: carrier.items }),
  identify: () => false,
});

const CFN_SCHEMA = CORE_SCHEMA.withTags(cfnScalarTag, cfnSequenceTag);

export interface Template {
  name: string;
  file: string;
  body: string;
  Parameters: Record<string, { Type: string; Default?: unknown }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string }>;
  Outputs: Record<string, { Value: unknown; Condition?: string }>;
}

/** Every template under gitops/stacks, parsed. */
export function readTemplates(): Template[] {
  const dir = join(GITOPS_DIR, 'stacks');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const body = readFileSync(file, 'utf8');
      const doc = load(body, { schema: CFN_SCHEMA }) as Partial<Template>;
      return {
        name: f.replace(/\.yaml$/, ''),
        file,
        body,
        Parameters: doc.Parameters ?? {},
        Resources: doc.Resources ?? {},
        Outputs: doc.Outputs ?? {},
      };
    });
}

export type RawSource = string | number | boolean | { field?: string; output?: string; region?: string };

export interface RawStack {
  name: string;
  template?: string;
  deployRegion?: string;
  dependsOn?: string[];
  parameters?: Record<string, RawSource>;
}

export interface RawRegion {
  file: string;
  region: string;
  role: 'hub' | 'spoke';
  coder: 'primary' | 'proxy' | 'replica';
  enabled: boolean;
  wave: number;
  vpcCidr: string;
  stacks: RawStack[];
  clusterVars: Record<string, RawSource>;
}

/** Every gitops/regions/<region>.yaml as written. */
export function readRegions(): RawRegion[] {
  const dir = join(GITOPS_DIR, 'regions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ ...(load(readFileSync(join(dir, f), 'utf8')) as Omit<RawRegion, 'file'>), file: f }));
}

/** gitops/platform.yaml as written. */
export function readPlatform(): Record<string, unknown> & {
  project: string;
  domain: string;
  hubRegion: string;
} {
  return load(readFileSync(join(GITOPS_DIR, 'platform.yaml'), 'utf8')) as ReturnType<typeof readPlatform>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `kubectl kustomize <dir>` (dir relative to the repository root), parsed. */
export function kustomize(dir: string): { objects: K8sObject[]; text: string } {
  const text = execFileSync('kubectl', ['kustomize', join(REPO_DIR, dir)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const objects = loadAll(text).filter((o): o is K8sObject => o !== null && typeof o === 'object');
  return { objects, text };
}

/** Region folders under gitops/clusters. */
export function clusterDirs(): string[] {
  return readdirSync(join(GITOPS_DIR, 'clusters'))
    .filter((d) => statSync(join(GITOPS_DIR, 'clusters', d)).isDirectory())
    .sort()
    .map((d) => `gitops/clusters/${d}`);
}

/** Whether a command-line tool answers on this machine. */
export function hasTool(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Every file under a folder of the repository, relative to the repository root. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(REPO_DIR, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(join(REPO_DIR, rel)).isDirectory()) out.push(...listFiles(rel));
    else out.push(rel);
  }
  return out.sort();
}

/** `${var}` names a text uses (Flux post-build substitution syntax). */
export function fluxVars(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)(?::=[^}]*)?\}/g)].map((m) => m[1] as string));
}
