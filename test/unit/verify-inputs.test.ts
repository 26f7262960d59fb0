import type { GitopsConfig } from '../../src/gitops/types.js';
import { parseCheckNames, parseNameserver, verifyRegionNames } from '../../src/verify/verify-inputs.js';
import { InputError } from '../../src/util/errors.js';

test('checks: empty means all, lists are deduplicated, unknown names say what is allowed', () => {
  expect(parseCheckNames('')).toEqual([
    'https',
    'tls',
    'routing',
    'health',
    'cold-start',
    'versions',
    'coder',
  ]);
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

describe('verifyRegionNames', () => {
  const config = {
    dir: 'gitops',
    regions: [
      { name: 'us-east-2', enabled: true },
      { name: 'eu-west-2', enabled: false },
    ],
  } as unknown as GitopsConfig;
  test('all = every enabled region; a list is checked against the region files', () => {
    expect(verifyRegionNames(config, { kind: 'all' })).toEqual(['us-east-2']);
    expect(verifyRegionNames(config, { kind: 'list', regions: ['eu-west-2'] })).toEqual(['eu-west-2']);
    expect(() => verifyRegionNames(config, { kind: 'list', regions: ['ap-south-1'] })).toThrow(
      "input 'region': ap-south-1 not in gitops/regions (known: us-east-2, eu-west-2)",
    );
    expect(() => verifyRegionNames(config, { kind: 'changed' })).toThrow("'changed' is not allowed here");
  });
});
