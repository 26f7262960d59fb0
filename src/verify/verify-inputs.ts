import { isIP } from 'node:net';
import type { GitopsConfig } from '../gitops/types.js';
import { InputError } from '../util/errors.js';
import type { RegionSelection } from '../util/inputs.js';
import { CHECK_NAMES, type CheckName } from './check-result.js';

/** `https,tls` (commas or whitespace; empty = every check) → check names; unknown names are an InputError. */
export function parseCheckNames(text: string, input = 'checks'): CheckName[] {
  const names = text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!names.length) return [...CHECK_NAMES];
  const unknown = names.filter((n) => !CHECK_NAMES.includes(n as CheckName));
  if (unknown.length) {
    throw new InputError(
      input,
      `unknown check ${unknown.map((u) => `'${u}'`).join(', ')} (choose from ${CHECK_NAMES.join(', ')})`,
    );
  }
  return [...new Set(names as CheckName[])];
}

/** `host[:port]` (`[v6]:port` for IPv6; default port 53) → the nameserver to ask. */
export function parseNameserver(text: string, input = 'nameserver'): { host: string; port: number } {
  const s = text.trim();
  const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s) ?? /^([^:\s[\]]+)(?::(\d+))?$/.exec(s);
  const bare = isIP(s) === 6 ? s : undefined;
  if (!m && !bare)
    throw new InputError(input, `'${text}' is not host[:port] (e.g. 127.0.0.1:5353 or ns-1.awsdns-01.org)`);
  const host = bare ?? m![1]!;
  const port = bare ? 53 : m![2] === undefined ? 53 : Number(m![2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(input, `'${text}': port must be a number from 1 to 65535`);
  }
  return { host, port };
}

/** The regions to check: named ones (each must have a region file), or every enabled one. */
export function verifyRegionNames(
  config: GitopsConfig,
  selection: RegionSelection,
  input = 'region',
): string[] {
  if (selection.kind === 'changed') {
    throw new InputError(input, "'changed' is not allowed here: use all or region names");
  }
  if (selection.kind === 'all') return config.regions.filter((r) => r.enabled).map((r) => r.name);
  const known = config.regions.map((r) => r.name);
  const unknown = selection.regions.filter((r) => !known.includes(r));
  if (unknown.length) {
    throw new InputError(
      input,
      `${unknown.join(', ')} not in ${config.dir}/regions (known: ${known.join(', ')})`,
    );
  }
  return selection.regions;
}

/** `host[:port]`, or undefined when empty. */
export function parseOptionalNameserver(
  text: string,
  input = 'nameserver',
): { host: string; port: number } | undefined {
  return text.trim() ? parseNameserver(text, input) : undefined;
}
