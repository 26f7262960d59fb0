/*
 * What a template deploys depends on its parameters' effective values: the region's value, else the
 * template's default. A changed default no region overrides changes the deployed value, yet the template
 * diff sees only `Parameters.X.Default` and CloudFormation's change set (and moto's) may show nothing. So
 * the template diff compares the templates with the parameters whose effective value changed written in
 * place of their Refs: the resources that use them become changes, with their replacement impact.
 */

type Obj = Record<string, unknown>;

export type ParameterValues = Record<string, string | undefined>;

/** Parameters known on both sides whose effective value differs. */
export function changedParameters(
  before: ParameterValues,
  after: ParameterValues,
): Map<string, [string, string]> {
  const out = new Map<string, [string, string]>();
  for (const [k, a] of Object.entries(after)) {
    const b = before[k];
    if (a !== undefined && b !== undefined && a !== b) out.set(k, [b, a]);
  }
  return out;
}

function inline(value: unknown, values: ParameterValues, names: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(v, values, names));
  if (value && typeof value === 'object') {
    const o = value as Obj;
    const keys = Object.keys(o);
    if (keys.length === 1 && typeof o.Ref === 'string' && names.has(o.Ref)) return values[o.Ref];
    return Object.fromEntries(keys.map((k) => [k, inline(o[k], values, names)]));
  }
  return value;
}

/** The template's Resources with `{Ref: name}` of the given parameters replaced by their values. */
export function inlineParameters(
  template: Obj | undefined,
  values: ParameterValues,
  names: Set<string>,
): Obj | undefined {
  if (!template || names.size === 0 || !template.Resources) return template;
  return { ...template, Resources: inline(template.Resources, values, names) };
}

/**
 * Effective values: a template's defaults (SSM-typed ones are unknown: the deployed stack shows them
 * resolved) overlaid with the values given (undefined: not known).
 */
export function effectiveParameterValues(template: Obj | undefined, given: ParameterValues): ParameterValues {
  const out: ParameterValues = {};
  const params = (template?.Parameters ?? {}) as Record<
    string,
    { Type?: unknown; Default?: unknown } | undefined
  >;
  for (const [key, p] of Object.entries(params)) {
    const d = p?.Default;
    const ssm = typeof p?.Type === 'string' && p.Type.startsWith('AWS::SSM::Parameter::');
    out[key] = ssm || d === undefined || d === null ? undefined : Array.isArray(d) ? d.join(',') : String(d);
  }
  return { ...out, ...given };
}
