import { InputError } from './errors.js';

/** A region name as AWS spells it (`us-east-2`, `eu-west-2`, `ap-southeast-1`). */
export const REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** `true`/`false` (YAML 1.2 core schema spellings, as @actions/core accepts). */
export function parseBooleanInput(name: string, raw: string, fallback: boolean): boolean {
  const v = raw.trim();
  if (v === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw new InputError(name, `'${v}' is not a boolean: use true or false`);
}

/** One of a fixed set of values. */
export function parseEnumInput<T extends string>(
  name: string,
  raw: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = raw.trim();
  if (v === '') return fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new InputError(name, `'${v}' is not allowed: use one of ${allowed.join(', ')}`);
}

/** A whole number within bounds. */
export function parseIntegerInput(
  name: string,
  raw: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = raw.trim();
  if (v === '') return fallback;
  if (!/^\d+$/.test(v)) throw new InputError(name, `'${v}' is not a whole number: use ${min} to ${max}`);
  const n = Number(v);
  if (n < min || n > max) throw new InputError(name, `${n} is out of range: use ${min} to ${max}`);
  return n;
}

/** Comma- or newline-separated list, trimmed, empties dropped. */
export function parseListInput(raw: string): string[] {
  return raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export type RegionSelection = { kind: 'all' } | { kind: 'changed' } | { kind: 'list'; regions: string[] };

/** `all`, `changed`, or a comma list of region names. */
export function parseRegionInput(name: string, raw: string, fallback: 'all' | 'changed'): RegionSelection {
  const v = raw.trim();
  if (v === '') return { kind: fallback };
  if (v === 'all') return { kind: 'all' };
  if (v === 'changed') return { kind: 'changed' };
  const regions = parseListInput(v);
  for (const r of regions) {
    if (!REGION_PATTERN.test(r)) {
      throw new InputError(
        name,
        `'${r}' is not a region name: use all, changed, or names like us-east-2 (comma-separated)`,
      );
    }
  }
  return { kind: 'list', regions: [...new Set(regions)] };
}

/** 12-digit AWS account ids, comma-separated. */
export function parseAccountIdsInput(name: string, raw: string): string[] {
  const ids = parseListInput(raw);
  for (const id of ids) {
    if (!/^\d{12}$/.test(id)) throw new InputError(name, `'${id}' is not a 12-digit AWS account id`);
  }
  return ids;
}

/** An IAM role ARN or empty. */
export function parseRoleInput(name: string, raw: string): string | undefined {
  const v = raw.trim();
  if (!v) return undefined;
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(v)) {
    throw new InputError(
      name,
      `'${v}' is not an IAM role ARN: use arn:aws:iam::<12-digit account>:role/<name>`,
    );
  }
  return v;
}
