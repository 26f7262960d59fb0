import { PhaseTimer } from '../../src/verify/phase-timer.js';
import { probeHttp } from '../../src/verify/http-probe.js';
import { freePort } from '../../src/sandbox/free-port.js';

function timerAt(times: number[]): PhaseTimer {
  let i = 0;
  return new PhaseTimer(() => times[i++] ?? 0);
}

describe('phase timer', () => {
  test('a full request yields every phase from its socket events', () => {
    const t = timerAt([0, 5, 15, 40, 90, 100]);
    for (const e of ['start', 'lookup', 'connect', 'secureConnect', 'firstByte', 'end'] as const) t.mark(e);
    expect(t.timings()).toEqual({ dns: 5, connect: 10, tls: 25, firstByte: 50, total: 100 });
  });

  test('phases that never completed are absent, not zero', () => {
    const t = timerAt([0, 5]);
    t.mark('start');
    t.mark('lookup');
    expect(t.timings()).toEqual({ dns: 5 });
  });

  test('without a lookup (address given) connect counts from the start and DNS is absent', () => {
    const t = timerAt([0, 3, 9, 12, 13]);
    for (const e of ['start', 'connect', 'secureConnect', 'firstByte', 'end'] as const) t.mark(e);
    expect(t.timings()).toEqual({ connect: 3, tls: 6, firstByte: 3, total: 13 });
  });

  test('an event marked twice keeps its first time', () => {
    const t = timerAt([0, 4, 99]);
    t.mark('start');
    t.mark('connect');
    t.mark('connect');
    expect(t.timings()).toEqual({ connect: 4 });
  });
});

test('a refused connection reports the connect phase as failed and no connect or TLS time', async () => {
  const port = await freePort();
  const r = await probeHttp({
    scheme: 'https',
    host: 'us-east-2.coderdemo.io',
    port: 443,
    path: '/api/v2/buildinfo',
    resolve: [{ host: 'us-east-2.coderdemo.io', port: 443, address: '127.0.0.1', targetPort: port }],
    timeoutMs: 2000,
  });
  expect(r.failedPhase).toBe('connect');
  expect(r.errorCode).toBe('ECONNREFUSED');
  expect(r.timings.connect).toBeUndefined();
  expect(r.timings.tls).toBeUndefined();
  expect(r.timings.total).toBeUndefined();
});
