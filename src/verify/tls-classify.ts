import type { CheckStatus } from './check-result.js';

export interface CertificateFacts {
  /** Certificate `valid_to` as a Date (undefined when no certificate was seen). */
  validTo?: Date;
  /** The chain verified against the trusted CAs. */
  trusted: boolean;
  /** Why the chain did not verify (e.g. `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`). */
  trustError?: string;
  /** The certificate names the host (SAN, wildcard rules as browsers apply them). */
  nameCovered: boolean;
  nameError?: string;
}

export interface TlsClassification {
  status: CheckStatus;
  daysToExpiry?: number;
  reasons: string[];
}

const DAY_MS = 86_400_000;

/**
 * Classify a certificate: untrusted, wrong name, expired or under `failDays` → fail; under
 * `warnDays` → warn; otherwise pass. Days are whole days left, rounded down.
 */
export function classifyCertificate(
  facts: CertificateFacts,
  now: Date,
  thresholds: { warnDays: number; failDays: number },
): TlsClassification {
  const reasons: string[] = [];
  let status: CheckStatus = 'pass';
  if (!facts.trusted) {
    status = 'fail';
    reasons.push(`chain not trusted${facts.trustError ? ` (${facts.trustError})` : ''}`);
  }
  if (!facts.nameCovered) {
    status = 'fail';
    reasons.push(`name not covered${facts.nameError ? ` (${facts.nameError})` : ''}`);
  }
  if (!facts.validTo) {
    return { status: 'fail', reasons: [...reasons, 'no certificate presented'] };
  }
  const days = Math.floor((facts.validTo.getTime() - now.getTime()) / DAY_MS);
  if (facts.validTo.getTime() <= now.getTime()) {
    status = 'fail';
    reasons.push(`expired on ${facts.validTo.toISOString()}`);
  } else if (days < thresholds.failDays) {
    status = 'fail';
    reasons.push(`expires in ${days} day${days === 1 ? '' : 's'} (fail under ${thresholds.failDays})`);
  } else if (days < thresholds.warnDays) {
    if (status === 'pass') status = 'warn';
    reasons.push(`expires in ${days} days (warn under ${thresholds.warnDays})`);
  }
  return { status, daysToExpiry: days, reasons };
}
