import type { ConfigurationError } from '../util/errors.js';
import { closest, describeValue } from './field-reader.js';
import { hasUnresolved, objectError, valueAt, type LocatedObject, type RenderedGitops } from './validate-region-objects.js';
import { crdHasField, knownKinds, schemaModel, SCHEMA_SOURCES, type SchemaModel } from './validate-schema-models.js';
import { VAR_TYPES } from './validate-var-types.js';
import { childPath } from './yaml-file.js';

/** One ajv error as the compiled validators report it. */
interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** What the compiled validator read of one object: the properties its schema declares. */
interface Reads {
  path: string;
  keys: string[];
  touched: Set<string>;
  /** Iterated (a map: `additionalProperties`), so every key is allowed. */
  enumerated: boolean;
}

/**
 * Wraps an object so that every property the validator looks at is recorded. The compiled ajv
 * validators read exactly the properties their schema declares (`data.interval` whether present or
 * not) and iterate only maps, so a present key that was never read is a field the schema does not
 * have. An object the validator did not look into at all is free-form (`x-kubernetes-preserve-unknown-fields`,
 * a HelmRelease's `values`) and is not judged.
 */
function track(value: unknown, fieldPath: string, reads: Reads[]): unknown {
  if (!value || typeof value !== 'object') return value;
  const isArray = Array.isArray(value);
  const r: Reads = { path: fieldPath, keys: isArray ? [] : Object.keys(value), touched: new Set(), enumerated: false };
  if (!isArray) reads.push(r);
  const children = new Map<string, unknown>();
  return new Proxy(value as object, {
    get(target, key, receiver) {
      if (typeof key !== 'string') return Reflect.get(target, key, receiver) as unknown;
      r.touched.add(key);
      if (!Object.prototype.hasOwnProperty.call(target, key)) return Reflect.get(target, key, receiver) as unknown;
      if (!children.has(key)) {
        const child = (target as Record<string, unknown>)[key];
        children.set(key, track(child, isArray ? childPath(fieldPath, Number(key)) : childPath(fieldPath, key), reads));
      }
      return children.get(key);
    },
    has(target, key) {
      if (typeof key === 'string') r.touched.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      r.enumerated = true;
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      if (typeof key === 'string') r.touched.add(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
}

/** `/spec/blockDeviceMappings/0/ebs` → `spec.blockDeviceMappings[0].ebs` (JSON pointer to our field paths). */
function pointerToPath(pointer: string): string {
  let p = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    p = /^\d+$/.test(seg) ? childPath(p, Number(seg)) : childPath(p, seg);
  }
  return p;
}

/** Fixes for fields whose right form is not obvious from the schema's own words. */
const FIELD_HINTS: { path: RegExp; fix: (value: unknown) => string }[] = [
  {
    // Karpenter v1.14.1 EC2NodeClass CRD: volumeSize is a string with a size pattern (Gi/G/Ti/T).
    path: /blockDeviceMappings\[\d+\]\.ebs\.volumeSize$/,
    fix: (v) => `write a quantity string such as "${typeof v === 'number' ? v : 30}Gi" (the EC2NodeClass CRD of Karpenter v1.14.1 rejects integers)`,
  },
  { path: /(^|\.)(cpu|memory|storage)$/, fix: () => 'write a Kubernetes quantity, e.g. "500m" or "1Gi"' },
];

/** The variables a field's text was written with, and the types they were checked as. */
function variableNote(o: LocatedObject, fieldPath: string, ro: RenderedGitops): string {
  const raw = valueAt(o.raw, fieldPath);
  if (typeof raw !== 'string' || !raw.includes('${')) return '';
  const region = ro.regions.find((r) => r.region.name === o.region);
  const names = [...raw.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
  const parts = names.map((n) => {
    const t = region?.vars.placeholders.get(n);
    return t ? `\${${n}} is declared ${t} (${VAR_TYPES[t].expected}), known after apply` : `\${${n}} = "${region?.vars.values[n] ?? '?'}" in ${o.region}`;
  });
  return ` [written as "${raw}": ${parts.join('; ')}; fix the field, or the variable's value or type under clusterVars in gitops/regions/${o.region}.yaml]`;
}

function describeAjv(e: AjvError, value: unknown): string {
  const p = e.params;
  switch (e.keyword) {
    case 'type':
      return `expected ${String(p.type)}, got ${describeValue(value)}`;
    case 'pattern':
      return `${describeValue(value)} does not match the pattern ${String(p.pattern)}`;
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(value)}`;
    case 'format':
      return `expected a value of format ${String(p.format)}, got ${describeValue(value)}`;
    default:
      return `${e.message ?? e.keyword} (got ${describeValue(value)})`;
  }
}

function schemaErrors(o: LocatedObject, model: SchemaModel, source: string, rendered: RenderedGitops): ConfigurationError[] {
  const reads: Reads[] = [];
  const proxy = track(o.object, '', reads);
  let errors: AjvError[] = [];
  try {
    model.prototype.validate.call(proxy);
  } catch (err) {
    errors = ((err as { errors?: AjvError[] }).errors ?? []).filter((e) => e && typeof e.instancePath === 'string');
    if (errors.length === 0) throw err;
  }
  const out: ConfigurationError[] = [];
  const what = `${String(o.object.kind)} (schema: ${source})`;
  // anyOf/oneOf report their branches' errors too: keep the most specific ones.
  const specific = errors.filter((e) => !['anyOf', 'oneOf', 'allOf', 'if'].includes(e.keyword));
  for (const e of specific.length ? specific : errors) {
    if (e.keyword === 'required') {
      const field = childPath(pointerToPath(e.instancePath), String(e.params.missingProperty));
      out.push(objectError(o, field, `${what}: ${field} is required; add it`));
      continue;
    }
    const field = pointerToPath(e.instancePath);
    const value = valueAt(o.object, field);
    if (hasUnresolved(value)) continue;
    const hint = FIELD_HINTS.find((h) => h.path.test(field));
    const fix = hint ? `; ${hint.fix(value)}` : '';
    out.push(objectError(o, field, `${what}: ${field || 'the object'}: ${describeAjv(e, value)}${fix}${variableNote(o, field, rendered)}`));
  }
  for (const r of reads) {
    if (r.enumerated || r.touched.size === 0) continue;
    const declared = [...r.touched].filter((k) => !/^\d+$/.test(k) && k !== 'length');
    for (const key of r.keys) {
      if (r.touched.has(key)) continue;
      const field = childPath(r.path, key);
      if (crdHasField(String(o.object.apiVersion), String(o.object.kind), field)) continue;
      const hint = closest(key, declared);
      out.push(
        objectError(
          o,
          field,
          `${what}: unknown field "${key}"${r.path ? ` in ${r.path}` : ''}; the API server drops or rejects it. ` +
            (hint ? `Did you mean "${hint}"?` : `Fields here: ${declared.sort().join(', ')}`),
        ),
      );
    }
  }
  return out;
}

/** Every object under a Flux path, in every region, against its kind's schema (types, patterns, required and unknown fields). */
export function validateSchemas(rendered: RenderedGitops): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  for (const objects of [...rendered.regions.map((r) => r.objects), rendered.unsynced]) {
    for (const o of objects) {
      const apiVersion = o.object.apiVersion;
      const kind = o.object.kind;
      if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue; // identity is validateFlux's
      const model = schemaModel(apiVersion, kind);
      if (!model) {
        out.push(
          objectError(
            o,
            'kind',
            `no schema for ${apiVersion} ${kind}, so it cannot be checked before the API server sees it; ` +
              `use a kind with a schema (${knownKinds().join(', ')}) or add its model to src/gitops/validate-schema-models.ts`,
          ),
        );
        continue;
      }
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
      out.push(...schemaErrors(o, model, SCHEMA_SOURCES[group] ?? 'kubernetes-models', rendered));
    }
  }
  return out;
}
