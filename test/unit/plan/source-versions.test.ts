import { parseBearerChallenge, parseImageReference } from '../../../src/plan/source-versions.js';
import { assessSourceVersions } from '../../../src/review/domain-rules.js';
import type { SourceVersionCheck } from '../../../src/plan/plan-types.js';

test.each([
  ['nginx', { host: 'registry-1.docker.io', repository: 'library/nginx', reference: 'latest' }],
  ['bitnami/redis:7.2', { host: 'registry-1.docker.io', repository: 'bitnami/redis', reference: '7.2' }],
  [
    'public.ecr.aws/karpenter/controller:1.14.1',
    { host: 'public.ecr.aws', repository: 'karpenter/controller', reference: '1.14.1' },
  ],
  ['localhost:5000/app', { host: 'localhost:5000', repository: 'app', reference: 'latest' }],
  [
    `ghcr.io/coder/coder:v2.20.0@sha256:${'a'.repeat(64)}`,
    { host: 'ghcr.io', repository: 'coder/coder', reference: `sha256:${'a'.repeat(64)}` },
  ],
])('image reference %s', (image, expected) => {
  expect(parseImageReference(image)).toEqual(expected);
});

test('a Bearer challenge gives its realm, service and scope', () => {
  expect(
    parseBearerChallenge('Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws"'),
  ).toEqual({ realm: 'https://public.ecr.aws/token/', service: 'public.ecr.aws', scope: 'aws' });
  expect(parseBearerChallenge('Basic realm="x"')).toBeUndefined();
});

test('only a missing version is a finding (high, the rule); "not checked" and "exists" are none', () => {
  const check = (outcome: SourceVersionCheck['outcome']): SourceVersionCheck => ({
    region: 'us-east-2',
    subject: 'OCIRepository kube-system/karpenter',
    kind: 'oci-artifact',
    source: 'oci://public.ecr.aws/karpenter/karpenter',
    version: '1.15.0',
    reference: 'oci://public.ecr.aws/karpenter/karpenter:1.15.0',
    outcome,
    reason: 'why',
  });
  expect(assessSourceVersions([check('exists'), check('not-checked')])).toEqual([]);
  expect(assessSourceVersions([check('missing')])).toEqual([
    {
      level: 'high',
      rule: 'source-version-missing',
      region: 'us-east-2',
      subject: 'OCIRepository kube-system/karpenter',
      message: 'chart oci://public.ecr.aws/karpenter/karpenter:1.15.0 does not exist: why',
    },
  ]);
});
