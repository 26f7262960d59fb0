import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** One request and its answer, as the GitHub stand-in records them. */
export interface Exchange {
  method: string;
  path: string;
  requestBody: string;
  status: number;
  responseBody: string;
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const require = createRequire(import.meta.url);
const SPEC_FILE = require.resolve('@octokit/openapi/generated/api.github.com.json');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema (Ajv refuses `nullable` next to a bare `anyOf`/`allOf`,
 * which GitHub's description has): `type: [t, 'null']` where there is a type, else `anyOf [schema, null]`.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node))
    out[k] = k === 'example' || k === 'examples' ? v : toJsonSchema(v);
  if (out.nullable !== true) return out;
  delete out.nullable;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}

/**
 * Checks GitHub API exchanges against GitHub's published OpenAPI description (`@octokit/openapi`,
 * api.github.com): the path and method exist, the request body matches the operation's request
 * schema, the status is one the operation declares, and the response body matches its schema.
 */
export class OpenApiConformance {
  private readonly spec: { paths: Record<string, Record<string, Operation>> };
  private readonly ajv: Ajv;
  private readonly templates: { template: string; pattern: RegExp }[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    this.spec = toJsonSchema(JSON.parse(readFileSync(SPEC_FILE, 'utf8'))) as typeof this.spec;
    this.ajv = new Ajv({ strict: false, validateSchema: false, allErrors: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.spec, 'gh');
    this.templates = Object.keys(this.spec.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(
          `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
        ),
      }))
      // Literal segments win over parameters (`/issues/comments/{id}` before `/issues/{number}/…`).
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  /** The spec's path template for a concrete path, e.g. `/repos/{owner}/{repo}/issues`. */
  templateOf(path: string): string | undefined {
    return this.templates.find((t) => t.pattern.test(path))?.template;
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `gh#${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  /** Every way the exchange departs from the description; empty when it conforms. */
  check(x: Exchange): string[] {
    const label = `${x.method} ${x.path} → ${x.status}`;
    const template = this.templateOf(x.path);
    if (!template) return [`${label}: no such path in GitHub's REST API`];
    const method = x.method.toLowerCase();
    const op = this.spec.paths[template]?.[method];
    if (!op) return [`${label}: ${template} has no ${x.method}`];
    const enc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
    const base = `/paths/${enc(template)}/${method}`;
    const problems: string[] = [];
    const validate = (pointer: string, text: string, what: string) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        problems.push(`${label}: ${what} is not JSON`);
        return;
      }
      const v = this.validator(pointer);
      if (!v(value)) {
        const e = v.errors?.[0];
        problems.push(`${label}: ${what} ${e?.instancePath || '(root)'} ${e?.message ?? 'does not match'}`);
      }
    };
    if (x.requestBody && op.requestBody?.content?.['application/json']) {
      validate(`${base}/requestBody/content/application~1json/schema`, x.requestBody, 'request body');
    } else if (x.requestBody && !op.requestBody) {
      problems.push(`${label}: the operation takes no request body`);
    }
    const response = op.responses?.[String(x.status)];
    // Errors every endpoint may give (rate limits, faults the tests inject) are not in each operation.
    if (!response) {
      if (x.status >= 400) return problems;
      problems.push(`${label}: status ${x.status} is not one ${template} ${x.method} answers`);
      return problems;
    }
    if (response.content?.['application/json']?.schema && x.responseBody) {
      validate(
        `${base}/responses/${x.status}/content/application~1json/schema`,
        x.responseBody,
        'response body',
      );
    }
    return problems;
  }
}
