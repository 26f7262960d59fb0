import { evaluateWebIdentityTrust, type OidcProviderFact } from '../../../src/aws/iam/web-identity-trust.js';

const PROVIDER: OidcProviderFact = {
  arn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
  url: 'token.actions.githubusercontent.com',
  clientIds: ['sts.amazonaws.com'],
};
const KEY = 'token.actions.githubusercontent.com';
const trust = (condition: Record<string, Record<string, string | string[]>>, effect = 'Allow') => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: effect,
      Principal: { Federated: PROVIDER.arn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: condition,
    },
  ],
});
const claims = (
  sub: string,
  aud: string | string[] = 'sts.amazonaws.com',
  iss = `https://${PROVIDER.url}`,
) => ({
  iss,
  aud,
  sub,
});
const verdict = (policy: unknown, c: Record<string, unknown>, providers = [PROVIDER]) =>
  evaluateWebIdentityTrust({ trustPolicy: policy, claims: c, providers });

describe('evaluateWebIdentityTrust', () => {
  const main = 'repo:o/r:ref:refs/heads/main';
  const equals = trust({ StringEquals: { [`${KEY}:aud`]: 'sts.amazonaws.com', [`${KEY}:sub`]: [main] } });

  test.each([
    ['the listed subject', equals, claims(main), true],
    ["a pull request's subject", equals, claims('repo:o/r:pull_request'), false],
    [
      'StringLike with a wildcard',
      trust({ StringLike: { [`${KEY}:sub`]: 'repo:o/r:*' } }),
      claims('repo:o/r:pull_request'),
      true,
    ],
    [
      'StringLike of another repository',
      trust({ StringLike: { [`${KEY}:sub`]: 'repo:o/r:*' } }),
      claims('repo:x/r:pull_request'),
      false,
    ],
    [
      'a condition on a key the token lacks',
      trust({ StringEquals: { [`${KEY}:amr`]: 'x' } }),
      claims(main),
      false,
    ],
    ['…unless IfExists', trust({ StringEqualsIfExists: { [`${KEY}:amr`]: 'x' } }), claims(main), true],
    [
      'an operator it does not know never grants',
      trust({ DateEquals: { [`${KEY}:sub`]: main } }),
      claims(main),
      false,
    ],
  ] as const)('%s', (_name, policy, c, allowed) => {
    expect(verdict(policy, c).allowed).toBe(allowed);
  });

  test('refusals say why, naming the condition and the value', () => {
    const v = verdict(equals, claims('repo:o/r:pull_request'));
    expect(v.reason).toContain(`${KEY}:sub`);
    expect(v.reason).toContain('repo:o/r:pull_request');
  });

  test('an explicit Deny wins over an Allow', () => {
    const policy = {
      Statement: [
        ...equals.Statement,
        ...trust({ StringEquals: { [`${KEY}:sub`]: main } }, 'Deny').Statement,
      ],
    };
    expect(verdict(policy, claims(main))).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('Deny'),
    });
  });

  test('the token must come from a provider of the account, for one of its client ids', () => {
    expect(verdict(equals, claims(main, 'sts.amazonaws.com', 'https://evil.example')).reason).toContain(
      'no OIDC provider',
    );
    expect(verdict(equals, claims(main, 'https://github.com/o')).reason).toContain('not a client id');
    expect(verdict(equals, claims(main), []).allowed).toBe(false);
  });

  test('another Federated principal, or a role without a trust policy, grants nothing', () => {
    const other = {
      Statement: [{ ...equals.Statement[0], Principal: { Federated: 'arn:aws:iam::1:oidc-provider/x' } }],
    };
    expect(verdict(other, claims(main)).allowed).toBe(false);
    expect(verdict(null, claims(main)).reason).toContain('does not exist');
  });
});
