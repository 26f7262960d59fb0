import { isIP, type LookupFunction } from 'node:net';
import { InputError } from '../util/errors.js';

/** curl `--resolve` semantics: connections to host:port go to address (and targetPort, when given). */
export interface ResolveOverride {
  /** A name, or `*.<suffix>` for every name under the suffix. */
  host: string;
  port: number;
  address: string;
  targetPort?: number;
}

function parsePort(text: string, input: string, line: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new InputError(input, `'${line}': port '${text}' is not a number from 1 to 65535`);
  }
  return n;
}

/**
 * Parse `host:port:address[:port]` lines (blank lines and `#` comments ignored; IPv6 addresses in
 * brackets, `[::1]`).
 */
export function parseResolveOverrides(text: string, input = 'resolve'): ResolveOverride[] {
  const out: ResolveOverride[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^:\s]+):(\d+):(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+)(?::(\d+))?$/.exec(line);
    if (!m) {
      throw new InputError(
        input,
        `'${line}' is not host:port:address[:port] (e.g. us-east-2.coderdemo.io:443:127.0.0.1:8443)`,
      );
    }
    const host = m[1]!.toLowerCase();
    if (host !== '*' && !/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/.test(host)) {
      throw new InputError(input, `'${line}': '${m[1]}' is not a host name (a leading '*.' is allowed)`);
    }
    const address = m[3]!.replace(/^\[|\]$/g, '');
    if (!isIP(address)) {
      throw new InputError(input, `'${line}': '${m[3]}' is not an IPv4 or IPv6 address`);
    }
    const entry: ResolveOverride = {
      host: host.replace(/\.$/, ''),
      port: parsePort(m[2]!, input, line),
      address,
    };
    if (m[4] !== undefined) entry.targetPort = parsePort(m[4], input, line);
    out.push(entry);
  }
  return out;
}

/**
 * The override for host:port: an exact name first, then the longest matching `*.` suffix, then `*`.
 */
export function findOverride(
  overrides: readonly ResolveOverride[] | undefined,
  host: string,
  port: number,
): ResolveOverride | undefined {
  if (!overrides) return undefined;
  const name = host.toLowerCase().replace(/\.$/, '');
  let best: ResolveOverride | undefined;
  let bestLen = -1;
  for (const o of overrides) {
    if (o.port !== port) continue;
    if (o.host === name) return o;
    if (o.host === '*' && bestLen < 0) {
      best = o;
      bestLen = 0;
    } else if (o.host.startsWith('*.')) {
      const suffix = o.host.slice(1); // ".us-east-2.coderdemo.io"
      if (name.endsWith(suffix) && name.length > suffix.length && suffix.length > bestLen) {
        best = o;
        bestLen = suffix.length;
      }
    }
  }
  return best;
}

/**
 * A `lookup` for http(s).request that answers the override's address for any name (undefined without an
 * override, so Node's resolver is used): the one place the verify probes and the Coder client send a
 * name to the address a `--resolve` line gives.
 */
export function overrideLookup(override: ResolveOverride | undefined): LookupFunction | undefined {
  if (!override) return undefined;
  return (_hostname, options, callback) => {
    const family = isIP(override.address);
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: override.address, family },
      ]);
    } else {
      callback(null, override.address, family);
    }
  };
}
