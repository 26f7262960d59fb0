/** Where in the user's files a problem is, when the parser knows it. */
export interface SourceLocation {
  file: string;
  line?: number;
  /** Dotted/indexed path inside the file, e.g. `stacks[2].parameters.VpcCidr`. */
  path?: string;
}

/** A mistake in the user's configuration or inputs: names the file, the field and what would be right. */
export class ConfigurationError extends Error {
  readonly location?: SourceLocation;
  constructor(message: string, location?: SourceLocation) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.name = 'ConfigurationError';
    this.location = location;
  }
}

/** Several configuration problems found in one pass, reported together. */
export class ConfigurationErrors extends Error {
  readonly errors: ConfigurationError[];
  constructor(errors: ConfigurationError[]) {
    super(
      `${errors.length} configuration problem${errors.length === 1 ? '' : 's'}:\n` +
        errors.map((e) => `  - ${e.message}`).join('\n'),
    );
    this.name = 'ConfigurationErrors';
    this.errors = errors;
  }
}

/** A bad action input or CLI option. */
export class InputError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(`input '${input}': ${message}`);
    this.name = 'InputError';
    this.input = input;
  }
}

/** An AWS call that failed, wrapped once with what we were doing. */
export class AwsOperationError extends Error {
  readonly code: string;
  override readonly cause: unknown;
  constructor(context: string, cause: unknown) {
    const code = errorCode(cause);
    super(`${context}: ${code ? `${code}: ` : ''}${errorMessage(cause)}`);
    this.name = 'AwsOperationError';
    this.code = code;
    this.cause = cause;
  }
}

/** `file:line (path)` for messages and annotations. */
export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.path) s += ` (${loc.path})`;
  return s;
}

/** The message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** The AWS/SDK error code (`ThrottlingException`, `ValidationError`, …) or ''. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.code === 'string' && !/^E[A-Z]+$/.test(e.code)) return e.code;
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.code === 'string') return e.code;
  }
  return '';
}

/** Wrap an AWS SDK error once with context; leaves already-wrapped errors alone. */
export function wrapAwsError(context: string, err: unknown): Error {
  if (err instanceof AwsOperationError || err instanceof ConfigurationError) return err;
  return new AwsOperationError(context, err);
}
