/**
 * Flux `postBuild` variable substitution (the kustomize-controller's envsubst): `${var}`,
 * `${var:=default}`, `${var:-default}`, `${var=default}`, `${var-default}`, and `$${var}` as an
 * escape for a literal `${var}`. `$var` without braces is left alone, as Flux does.
 */

/** Shown in place of a variable whose value is not known until apply (an output not created yet). */
export function unknownMarker(name: string): string {
  return `<known after apply: ${name}>`;
}

export interface SubstitutionResult {
  text: string;
  /** Variables without a value or default, replaced by {@link unknownMarker}. */
  unresolved: string[];
}

const VAR = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}/g;

/** Substitutes `${…}` references in `text`; a var mapped to undefined is unknown (kept visible with a marker). */
export function substituteVariables(text: string, vars: Record<string, string | undefined>): SubstitutionResult {
  const unresolved = new Set<string>();
  const out = text.replace(VAR, (whole, escape: string, name: string, op: string | undefined, dflt: string | undefined) => {
    if (escape) return whole.slice(1);
    const has = Object.prototype.hasOwnProperty.call(vars, name) && vars[name] !== undefined;
    const value = has ? vars[name]! : undefined;
    if (op !== undefined) {
      // `:-`/`:=` fall back when unset or empty; `-`/`=` only when unset.
      const useDefault = op.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (!useDefault) return value!;
      // A default only replaces a variable that is truly absent; an unknown output stays unknown.
      if (Object.prototype.hasOwnProperty.call(vars, name) && vars[name] === undefined) {
        unresolved.add(name);
        return unknownMarker(name);
      }
      return dflt ?? '';
    }
    if (value !== undefined) return value;
    unresolved.add(name);
    return unknownMarker(name);
  });
  return { text: out, unresolved: [...unresolved].sort() };
}

const WHOLE_VAR = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-=][^}]*)?\}$/;

/**
 * Substitutes every string (keys and values) of a parsed object. Flux substitutes the YAML text and
 * re-parses it, so `replicas: ${n}` becomes a number: a string that was exactly one reference is
 * re-typed the same way (numbers and booleans).
 */
export function substituteObject(
  value: unknown,
  vars: Record<string, string | undefined>,
  unresolved: Set<string> = new Set(),
): unknown {
  if (typeof value === 'string') {
    const r = substituteVariables(value, vars);
    r.unresolved.forEach((u) => unresolved.add(u));
    if (WHOLE_VAR.test(value) && r.unresolved.length === 0) return retype(r.text);
    return r.text;
  }
  if (Array.isArray(value)) return value.map((v) => substituteObject(v, vars, unresolved));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = substituteVariables(k, vars);
      key.unresolved.forEach((u) => unresolved.add(u));
      out[key.text] = substituteObject(v, vars, unresolved);
    }
    return out;
  }
  return value;
}

function retype(text: string): unknown {
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
