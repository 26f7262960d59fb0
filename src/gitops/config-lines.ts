import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';
import type { GitopsConfig } from './types.js';
import { yamlLocations } from './yaml-file.js';

/** Line lookups in the loaded configuration files, for cross-check errors that point at a field. */
export class ConfigLines {
  private readonly cache = new Map<string, Map<string, number>>();
  constructor(private readonly config: GitopsConfig) {}

  /** The line of a field path (or its nearest known parent) in a file shown as `gitops/…`. */
  line(file: string, fieldPath: string): number | undefined {
    let lines = this.cache.get(file);
    if (!lines) {
      try {
        const abs = path.join(path.dirname(this.config.dir), file);
        lines = yamlLocations(readFileSync(abs, 'utf8'))[0] ?? new Map();
      } catch {
        lines = new Map(); // a config built in memory (tests) has no file to point into
      }
      this.cache.set(file, lines);
    }
    let p = fieldPath;
    for (;;) {
      const line = lines.get(p);
      if (line !== undefined || !p) return line;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut > 0 ? p.slice(0, cut) : '';
    }
  }

  /** A ConfigurationError at a field of a configuration file. */
  error(file: string, fieldPath: string, message: string): ConfigurationError {
    return new ConfigurationError(message, { file, line: this.line(file, fieldPath), path: fieldPath || undefined });
  }
}
