import { cidrsOverlap, parseCidr } from '../../../src/gitops/cidr.js';

const overlap = (a: string, b: string) => cidrsOverlap(parseCidr(a)!, parseCidr(b)!);

describe('CIDRs', () => {
  it('parses only IPv4 blocks whose host bits are zero', () => {
    expect(parseCidr('10.1.0.0/16')).toEqual({ text: '10.1.0.0/16', base: 10 * 2 ** 24 + 2 ** 16, prefix: 16 });
    expect(parseCidr('10.1.0.1/16')).toBeUndefined();
    expect(parseCidr('10.256.0.0/16')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
  });

  it.each([
    ['10.0.0.0/16', '10.1.0.0/16', false],
    ['10.0.0.0/16', '10.0.128.0/17', true],
    ['10.0.0.0/8', '10.2.0.0/16', true],
    ['10.0.0.0/16', '10.0.0.0/16', true],
    ['10.0.255.0/24', '10.1.0.0/24', false],
    ['0.0.0.0/0', '192.168.0.0/16', true],
  ])('%s and %s overlap: %s', (a, b, expected) => {
    expect(overlap(a, b)).toBe(expected);
    expect(overlap(b, a)).toBe(expected);
  });
});
