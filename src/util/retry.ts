import { errorCode, errorMessage } from './errors.js';

export interface RetryOptions {
  /** What is being retried, for the log line. */
  label: string;
  /** Total attempts including the first (default 4). */
  attempts?: number;
  /** First backoff in ms (default 500); doubles each attempt, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Decides whether an error is worth another attempt (default: {@link isTransientError}). */
  retryable?: (err: unknown) => boolean;
  /** Called before each wait, e.g. to log. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; label: string }) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const TRANSIENT_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'IDPCommunicationError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'TimeoutError',
]);

/** True for throttling, 5xx and connection errors; false for everything a retry cannot fix. */
export function isTransientError(err: unknown): boolean {
  const code = errorCode(err);
  if (TRANSIENT_CODES.has(code)) return true;
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  const status = meta?.httpStatusCode ?? (err as { status?: number } | undefined)?.status;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  return /rate exceeded|throttl/i.test(errorMessage(err));
}

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `fn` until it succeeds, the error is permanent, or attempts run out (jittered exponential backoff). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 20_000;
  const retryable = opts.retryable ?? isTransientError;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      const cap = Math.min(max, base * 2 ** (attempt - 1));
      const delayMs = Math.round(cap / 2 + (random() * cap) / 2);
      opts.onRetry?.({ attempt, delayMs, error, label: opts.label });
      await sleep(delayMs);
    }
  }
}
