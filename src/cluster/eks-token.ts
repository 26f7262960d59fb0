import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/** EKS accepts a token for 15 minutes; `aws eks get-token` reports 14 so callers refresh in time. */
export const EKS_TOKEN_LIFETIME_MS = 14 * 60_000;
const TOKEN_PREFIX = 'k8s-aws-v1.';

export interface EksTokenOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentialIdentity;
  /** Signing time in ms since the epoch (default: now). */
  now?: number;
}

export interface EksToken {
  token: string;
  /** When the token should no longer be used (ms since the epoch). */
  expiresAt: number;
}

/**
 * An EKS bearer token made exactly as `aws eks get-token` makes it: a presigned STS
 * GetCallerIdentity URL (signed header `x-k8s-aws-id: <cluster>`, 60 s expiry), base64url without padding.
 */
export async function eksToken(opts: EksTokenOptions): Promise<EksToken> {
  const now = opts.now ?? Date.now();
  const hostname = `sts.${opts.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: 'sts',
    region: opts.region,
    credentials: opts.credentials,
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, 'x-k8s-aws-id': opts.clusterName },
  });
  const signed = await signer.presign(request, { expiresIn: 60, signingDate: new Date(now) });
  const url = `https://${hostname}/?${queryString(signed.query ?? {})}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: now + EKS_TOKEN_LIFETIME_MS,
  };
}

// The order botocore writes a presigned query in (the signature does not depend on it; equality with the CLI does).
const SIGNING_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Security-Token',
  'X-Amz-Signature',
];

/** The request's own parameters sorted, then the signing parameters in the CLI's order. */
function queryString(query: Record<string, string | string[] | null>): string {
  const own = Object.keys(query)
    .filter((k) => !SIGNING_PARAMS.includes(k))
    .sort();
  const keys = [...own, ...SIGNING_PARAMS.filter((k) => k in query)];
  return keys
    .map((k) => {
      const v = query[k];
      const value = Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
      return `${encodeRfc3986(k)}=${encodeRfc3986(value)}`;
    })
    .join('&');
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What the token provider needs: fresh credentials (the SDK's provider refreshes assumed-role keys itself). */
export type CredentialsSource = () => Promise<AwsCredentialIdentity>;

/** Hands out an EKS token, making a new one when the current one is within `refreshBeforeMs` of expiry. */
export class EksTokenProvider {
  private current?: EksToken;
  constructor(
    private readonly clusterName: string,
    private readonly region: string,
    private readonly credentials: CredentialsSource,
    private readonly now: () => number = Date.now,
    private readonly refreshBeforeMs = 2 * 60_000,
    private readonly onToken?: (token: string) => void,
  ) {}

  /** A token valid for at least `refreshBeforeMs` more. */
  async token(): Promise<string> {
    const now = this.now();
    if (!this.current || now >= this.current.expiresAt - this.refreshBeforeMs) {
      this.current = await eksToken({
        clusterName: this.clusterName,
        region: this.region,
        credentials: await this.credentials(),
        now,
      });
      this.onToken?.(this.current.token);
    }
    return this.current.token;
  }
}
