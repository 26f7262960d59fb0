export interface AttemptOptions {
  attempts: number;
  sleep: (ms: number) => Promise<void>;
  /** First pause between tries (doubles each time). */
  baseDelayMs?: number;
}

export interface AttemptOutcome<T> {
  /** The last try's value (the passing one, or the last failure). */
  value: T;
  ok: boolean;
  attempts: number;
  /** Passed after at least one failed try. */
  flaky: boolean;
  /** Values of the failed tries before the last one, for the report. */
  failures: T[];
}

/** Try a probe until `isOk` says yes or attempts run out; probes never throw, so neither does this. */
export async function tryAttempts<T>(
  probe: (attempt: number) => Promise<T>,
  isOk: (value: T) => boolean,
  opts: AttemptOptions,
): Promise<AttemptOutcome<T>> {
  const max = Math.max(1, Math.floor(opts.attempts));
  const base = opts.baseDelayMs ?? 500;
  const failures: T[] = [];
  for (let attempt = 1; ; attempt++) {
    const value = await probe(attempt);
    const ok = isOk(value);
    if (ok || attempt >= max) {
      return { value, ok, attempts: attempt, flaky: ok && attempt > 1, failures };
    }
    failures.push(value);
    await opts.sleep(Math.min(base * 2 ** (attempt - 1), 5000));
  }
}
