import { ConfigurationError } from '../util/errors.js';
import { childPath } from './yaml-file.js';

type Obj = Record<string, unknown>;

/** What a value is, for messages: `a number (3)`, `a list`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest allowed name to a typo, if close enough to be a useful hint. */
export function closest(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Reads one YAML file's fields against the configuration model, collecting every mistake (file, line,
 * field path, what is allowed) instead of stopping at the first.
 */
export class FieldReader {
  constructor(
    readonly file: string,
    private readonly lines: Map<string, number>,
    readonly errors: ConfigurationError[],
  ) {}

  /** The line of a path, or of its nearest parent the index knows. */
  lineOf(path: string): number | undefined {
    let p = path;
    for (;;) {
      const line = this.lines.get(p);
      if (line !== undefined) return line;
      if (!p) return undefined;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut > 0 ? p.slice(0, cut) : '';
    }
  }

  error(path: string, message: string): void {
    this.errors.push(
      new ConfigurationError(message, { file: this.file, line: this.lineOf(path), path: path || undefined }),
    );
  }

  /** A mapping with only the allowed keys and all the required ones. */
  object(value: unknown, path: string, allowed: readonly string[], required: readonly string[] = []): Obj | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.error(path, `expected a mapping with keys ${allowed.join(', ')}, got ${describeValue(value)}`);
      return undefined;
    }
    const obj = value as Obj;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        const hint = closest(key, allowed);
        this.error(
          childPath(path, key),
          `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; allowed keys: ${allowed.join(', ')}`,
        );
      }
    }
    for (const key of required) {
      if (!Object.hasOwn(obj, key)) this.error(path, `missing required key "${key}"`);
    }
    return obj;
  }

  /** A string; `pattern` + `expected` say what shape it must have. */
  string(value: unknown, path: string, pattern?: RegExp, expected?: string): string | undefined {
    if (typeof value !== 'string' || value === '') {
      this.error(path, `expected ${expected ?? 'a non-empty string'}, got ${describeValue(value)}`);
      return undefined;
    }
    if (pattern && !pattern.test(value)) {
      this.error(path, `expected ${expected ?? `a string matching ${pattern}`}, got "${value}"`);
      return undefined;
    }
    return value;
  }

  optionalString(value: unknown, path: string, pattern?: RegExp, expected?: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path, pattern, expected);
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.error(path, `expected one of ${allowed.join(', ')}, got ${describeValue(value)}`);
      return undefined;
    }
    return value as T;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== 'boolean') {
      this.error(path, `expected true or false, got ${describeValue(value)}`);
      return undefined;
    }
    return value;
  }

  integer(value: unknown, path: string, min: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      this.error(path, `expected an integer ≥ ${min}, got ${describeValue(value)}`);
      return undefined;
    }
    return value;
  }

  list(value: unknown, path: string, what: string): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.error(path, `expected a list of ${what}, got ${describeValue(value)}`);
      return undefined;
    }
    return value;
  }

  /** A mapping of arbitrary keys (each key checked by `keyPattern`). */
  map(value: unknown, path: string, keyPattern: RegExp, keyExpected: string): Obj | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.error(path, `expected a mapping, got ${describeValue(value)}`);
      return undefined;
    }
    const obj = value as Obj;
    for (const key of Object.keys(obj)) {
      if (!keyPattern.test(key)) this.error(childPath(path, key), `"${key}" is not ${keyExpected}`);
    }
    return obj;
  }
}
