import type { PhaseTimings } from './check-result.js';

export type PhaseEvent = 'start' | 'lookup' | 'connect' | 'secureConnect' | 'firstByte' | 'end';

/**
 * Turns socket/response event times into phase durations (blackbox_exporter style). A phase is
 * present only when both its start and end events happened, so a failed phase is absent, not zero.
 */
export class PhaseTimer {
  private readonly marks = new Map<PhaseEvent, number>();
  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Record an event the first time it happens (later repeats are ignored). */
  mark(event: PhaseEvent): void {
    if (!this.marks.has(event)) this.marks.set(event, this.clock());
  }

  has(event: PhaseEvent): boolean {
    return this.marks.has(event);
  }

  /** Phase durations in milliseconds, rounded to 0.1 ms. */
  timings(): PhaseTimings {
    const at = (e: PhaseEvent): number | undefined => this.marks.get(e);
    const span = (from: number | undefined, to: number | undefined): number | undefined =>
      from === undefined || to === undefined ? undefined : Math.round((to - from) * 10) / 10;
    const start = at('start');
    // A literal address (or a resolve override on a socket that skips lookup) has no DNS phase:
    // connect then counts from the start.
    const lookup = at('lookup');
    const connect = at('connect');
    const secure = at('secureConnect');
    const out: PhaseTimings = {};
    const dns = span(start, lookup);
    if (dns !== undefined) out.dns = dns;
    const c = span(lookup ?? start, connect);
    if (c !== undefined) out.connect = c;
    const t = span(connect, secure);
    if (t !== undefined) out.tls = t;
    const fb = span(secure ?? connect, at('firstByte'));
    if (fb !== undefined) out.firstByte = fb;
    const total = span(start, at('end'));
    if (total !== undefined) out.total = total;
    return out;
  }
}
