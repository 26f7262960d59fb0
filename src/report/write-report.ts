import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Write a report file (JSON or markdown) into `dir` and return its path. */
export function writeReportFile(dir: string, name: string, content: string | object): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  return path;
}
