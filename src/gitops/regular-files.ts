import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../util/errors.js';

/** `gitops/…` as users see it: relative to the gitops folder's parent. */
export function shownPath(root: string, abs: string): string {
  return path.relative(path.dirname(root), abs).split(path.sep).join('/');
}

/** What an entry is itself (lstat): a symbolic link is a `link`, whatever it points at. */
export type EntryKind = 'file' | 'dir' | 'link' | 'other';

/** Every entry of a folder tree, depth first, sorted by name; links are listed, never followed. */
export function walkTree(root: string, visit: (abs: string, kind: EntryKind) => void): void {
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, entry.name);
      // A Dirent from readdir describes the entry itself, not what a link points at.
      const kind: EntryKind = entry.isSymbolicLink()
        ? 'link'
        : entry.isDirectory()
          ? 'dir'
          : entry.isFile()
            ? 'file'
            : 'other';
      visit(abs, kind);
      if (kind === 'dir') walk(abs);
    }
  };
  walk(root);
}

function notRegular(file: string): ConfigurationError {
  return new ConfigurationError(
    'is a symbolic link or not a regular file: not read (gitops/ may hold only regular files and folders)',
    { file, line: 1 },
  );
}

/** Reads a file only when it is a regular file itself (lstat): a symbolic link is refused, never followed. */
export function readRegularFileSync(abs: string, file: string): string {
  if (!lstatSync(abs).isFile()) throw notRegular(file);
  return readFileSync(abs, 'utf8');
}

/** {@link readRegularFileSync}, asynchronously. */
export async function readRegularFile(abs: string, file: string): Promise<string> {
  if (!(await lstat(abs)).isFile()) throw notRegular(file);
  return readFile(abs, 'utf8');
}

/** What `p` is itself (lstat), or undefined when nothing is there. */
export function entryKind(p: string): EntryKind | undefined {
  try {
    const s = lstatSync(p);
    return s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}
