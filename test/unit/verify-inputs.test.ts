import { parseCheckNames, parseNameserver } from '../../src/verify/verify-inputs.js';
import { InputError } from '../../src/util/errors.js';

test('checks: empty means all, lists are deduplicated, unknown names say what is allowed', () => {
  expect(parseCheckNames('')).toEqual(['https', 'tls', 'routing', 'health', 'cold-start', 'versions']);
  expect(parseCheckNames('tls, https,tls')).toEqual(['tls', 'https']);
  expect(() => parseCheckNames('https,dns')).toThrow(InputError);
  expect(() => parseCheckNames('https,dns')).toThrow(/unknown check 'dns' \(choose from https, tls/);
});

test.each([
  ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
  ['ns-1.awsdns-01.org', { host: 'ns-1.awsdns-01.org', port: 53 }],
  ['[::1]:5300', { host: '::1', port: 5300 }],
  ['::1', { host: '::1', port: 53 }],
])('nameserver %s', (text, want) => {
  expect(parseNameserver(text)).toEqual(want);
});

test.each(['127.0.0.1:0', 'a b', '127.0.0.1:99999'])('nameserver %s is rejected', (text) => {
  expect(() => parseNameserver(text)).toThrow(InputError);
});
