import * as core from '@actions/core';

/** A place in a file an annotation points at. */
export interface AnnotationTarget {
  file?: string;
  line?: number;
  title?: string;
}

/** What every engine logs through; the actions use {@link ActionsLogger}, the CLI {@link ConsoleLogger}. */
export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  warn(message: string, where?: AnnotationTarget): void;
  error(message: string, where?: AnnotationTarget): void;
  /** A collapsible section; nested calls are flattened into the open one. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Mask a value in everything logged from now on. */
  setSecret(value: string): void;
  /** A logger whose lines carry a prefix, for work running concurrently (`[us-west-2] …`). */
  child(prefix: string): Logger;
}

/** Masks registered secrets; shared by a logger and its children. */
export class SecretMasker {
  private readonly secrets = new Set<string>();
  add(value: string): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }
  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
  get size(): number {
    return this.secrets.size;
  }
}

abstract class BaseLogger implements Logger {
  protected depth = 0;
  constructor(
    protected readonly prefix: string,
    protected readonly masker: SecretMasker,
  ) {}
  protected line(message: string): string {
    return this.masker.mask(this.prefix ? `[${this.prefix}] ${message}` : message);
  }
  abstract info(message: string): void;
  abstract debug(message: string): void;
  abstract warn(message: string, where?: AnnotationTarget): void;
  abstract error(message: string, where?: AnnotationTarget): void;
  abstract group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  abstract child(prefix: string): Logger;
  setSecret(value: string): void {
    this.masker.add(value);
  }
}

/** Logs through `@actions/core`: groups, annotations, masking (also registered with the runner). */
export class ActionsLogger extends BaseLogger {
  private static open = false;
  constructor(prefix = '', masker = new SecretMasker()) {
    super(prefix, masker);
  }
  info(message: string): void {
    core.info(this.line(message));
  }
  debug(message: string): void {
    core.debug(this.line(message));
  }
  warn(message: string, where?: AnnotationTarget): void {
    core.warning(this.line(message), toProps(where));
  }
  error(message: string, where?: AnnotationTarget): void {
    core.error(this.line(message), toProps(where));
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // The runner cannot nest or interleave groups: only the outermost sequential one becomes a group.
    if (ActionsLogger.open || this.prefix) {
      this.info(`── ${name}`);
      return fn();
    }
    ActionsLogger.open = true;
    core.startGroup(this.line(name));
    try {
      return await fn();
    } finally {
      core.endGroup();
      ActionsLogger.open = false;
    }
  }
  override setSecret(value: string): void {
    super.setSecret(value);
    if (value) core.setSecret(value);
  }
  child(prefix: string): Logger {
    return new ActionsLogger(this.prefix ? `${this.prefix}/${prefix}` : prefix, this.masker);
  }
}

function toProps(where?: AnnotationTarget): core.AnnotationProperties | undefined {
  if (!where) return undefined;
  return { file: where.file, startLine: where.line, title: where.title };
}

export interface ConsoleLoggerOptions {
  verbose?: boolean;
  /** Where lines go (default stderr, so `--json` on stdout stays clean). */
  write?: (line: string) => void;
}

/** Terminal logger for the CLI: plain lines, indentation for groups, secrets masked. */
export class ConsoleLogger extends BaseLogger {
  private readonly write: (line: string) => void;
  private readonly verbose: boolean;
  constructor(
    private readonly opts: ConsoleLoggerOptions = {},
    prefix = '',
    masker = new SecretMasker(),
  ) {
    super(prefix, masker);
    this.write = opts.write ?? ((l) => process.stderr.write(`${l}\n`));
    this.verbose = opts.verbose ?? false;
  }
  private indent(): string {
    return '  '.repeat(this.depth);
  }
  info(message: string): void {
    this.write(this.indent() + this.line(message));
  }
  debug(message: string): void {
    if (this.verbose) this.write(this.indent() + this.line(`debug: ${message}`));
  }
  warn(message: string, where?: AnnotationTarget): void {
    this.write(
      this.indent() +
        this.line(
          `warning: ${where?.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : ''}${message}`,
        ),
    );
  }
  error(message: string, where?: AnnotationTarget): void {
    this.write(
      this.indent() +
        this.line(
          `error: ${where?.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : ''}${message}`,
        ),
    );
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.info(`▸ ${name}`);
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
    }
  }
  child(prefix: string): Logger {
    return new ConsoleLogger(this.opts, this.prefix ? `${this.prefix}/${prefix}` : prefix, this.masker);
  }
}

/** Records lines in memory (tests, and reports that quote the log). */
export class MemoryLogger extends BaseLogger {
  readonly lines: { level: 'info' | 'debug' | 'warn' | 'error'; message: string; where?: AnnotationTarget }[];
  constructor(prefix = '', masker = new SecretMasker(), lines: MemoryLogger['lines'] = []) {
    super(prefix, masker);
    this.lines = lines;
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message: this.line(message) });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message: this.line(message) });
  }
  warn(message: string, where?: AnnotationTarget): void {
    this.lines.push({ level: 'warn', message: this.line(message), where });
  }
  error(message: string, where?: AnnotationTarget): void {
    this.lines.push({ level: 'error', message: this.line(message), where });
  }
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.info(`▸ ${name}`);
    return fn();
  }
  child(prefix: string): Logger {
    return new MemoryLogger(this.prefix ? `${this.prefix}/${prefix}` : prefix, this.masker, this.lines);
  }
  text(): string {
    return this.lines.map((l) => l.message).join('\n');
  }
}
