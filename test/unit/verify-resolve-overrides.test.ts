import { findOverride, parseResolveOverrides } from '../../src/verify/resolve-overrides.js';
import { InputError } from '../../src/util/errors.js';

describe('resolve overrides (curl --resolve)', () => {
  const list = parseResolveOverrides(`
    # probe us-east-2 before DNS points at it
    us-east-2.coderdemo.io:443:127.0.0.1:8443
    *.us-east-2.coderdemo.io:443:127.0.0.1:8443
    *.coderdemo.io:443:127.0.0.2
    coderdemo.io:443:[::1]:9443
  `);

  test('lines parse into host, port, address and the optional target port', () => {
    expect(list).toEqual([
      { host: 'us-east-2.coderdemo.io', port: 443, address: '127.0.0.1', targetPort: 8443 },
      { host: '*.us-east-2.coderdemo.io', port: 443, address: '127.0.0.1', targetPort: 8443 },
      { host: '*.coderdemo.io', port: 443, address: '127.0.0.2' },
      { host: 'coderdemo.io', port: 443, address: '::1', targetPort: 9443 },
    ]);
  });

  test('an exact name wins, then the longest wildcard suffix', () => {
    expect(findOverride(list, 'us-east-2.coderdemo.io', 443)?.host).toBe('us-east-2.coderdemo.io');
    expect(findOverride(list, 'verify-abc.us-east-2.coderdemo.io', 443)?.host).toBe(
      '*.us-east-2.coderdemo.io',
    );
    expect(findOverride(list, 'verify-abc.coderdemo.io', 443)?.address).toBe('127.0.0.2');
    expect(findOverride(list, 'coderdemo.io', 443)?.address).toBe('::1');
  });

  test('the port must match, and a wildcard does not cover its own suffix', () => {
    expect(findOverride(list, 'us-east-2.coderdemo.io', 80)).toBeUndefined();
    expect(
      findOverride([{ host: '*.coderdemo.io', port: 443, address: '127.0.0.1' }], 'coderdemo.io', 443),
    ).toBeUndefined();
  });

  test.each([
    ['coderdemo.io:443', /host:port:address/],
    ['coderdemo.io:99999:127.0.0.1', /port '99999'/],
    ['coderdemo.io:443:not-an-ip', /not an IPv4 or IPv6 address/],
    ['bad host!:443:127.0.0.1', /host:port:address/],
  ])('%s is an input error saying what is wrong', (line, msg) => {
    expect(() => parseResolveOverrides(line)).toThrow(InputError);
    expect(() => parseResolveOverrides(line)).toThrow(msg);
  });
});
