import { ConfigurationError } from '../util/errors.js';

/**
 * The Coder secrets hold JSON with one named field (gitops/remote-secrets.yaml: the proxy token and the
 * owner token `{"token"}`, the provisioner key `{"key"}`, the licence `{"license"}`), which the
 * ExternalSecrets read with `property:`. One place encodes and decodes them.
 */
export function encodeSecretField(field: string, value: string): string {
  return JSON.stringify({ [field]: value });
}

/**
 * The field's value; an operator's secret holding the bare value is accepted too. A JSON object
 * without the field is a mistake named with the secret and what it should hold.
 */
export function decodeSecretField(raw: string, field: string, where: string): string | undefined {
  const text = raw.trim();
  if (!text) return undefined;
  if (!text.startsWith('{')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`${where} is not valid JSON: expected {"${field}": "…"}`);
  }
  const value = (parsed as Record<string, unknown>)[field];
  if (typeof value !== 'string' || !value.trim()) {
    throw new ConfigurationError(`${where} has no "${field}" string: expected {"${field}": "…"}`);
  }
  return value.trim();
}
