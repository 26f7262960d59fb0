import { classifyCertificate } from '../../src/verify/tls-classify.js';

const now = new Date('2026-06-01T00:00:00Z');
const inDays = (d: number): Date => new Date(now.getTime() + d * 86_400_000);
const th = { warnDays: 21, failDays: 7 };
const ok = { trusted: true, nameCovered: true };

describe('certificate classification', () => {
  test.each([
    [90, 'pass', 90],
    [21, 'pass', 21],
    [20.5, 'warn', 20],
    [7, 'warn', 7],
    [6.9, 'fail', 6],
    [5, 'fail', 5],
  ])('%s days left → %s', (days, status, whole) => {
    const c = classifyCertificate({ ...ok, validTo: inDays(days) }, now, th);
    expect(c.status).toBe(status);
    expect(c.daysToExpiry).toBe(whole);
  });

  test('an expired certificate fails and says when it expired', () => {
    const c = classifyCertificate({ ...ok, validTo: inDays(-1) }, now, th);
    expect(c.status).toBe('fail');
    expect(c.reasons.join()).toMatch(/expired on 2026-05-31/);
  });

  test('an untrusted chain fails even with plenty of days left', () => {
    const c = classifyCertificate(
      {
        trusted: false,
        trustError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
        nameCovered: true,
        validTo: inDays(80),
      },
      now,
      th,
    );
    expect(c.status).toBe('fail');
    expect(c.reasons[0]).toContain('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });

  test('a certificate that does not name the host fails; a near expiry does not hide it', () => {
    const c = classifyCertificate(
      {
        trusted: true,
        nameCovered: false,
        nameError: "Host: x.us-west-2.coderdemo.io. is not in the cert's altnames",
        validTo: inDays(15),
      },
      now,
      th,
    );
    expect(c.status).toBe('fail');
    expect(c.reasons).toHaveLength(2);
  });
});
