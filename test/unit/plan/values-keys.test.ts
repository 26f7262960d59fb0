import { unknownValuesKeys } from '../../../src/plan/values-keys.js';

// Helm ignores a values key its chart does not declare; these are the shapes of real charts' values.yaml.
const DEFAULTS = {
  replicaCount: 1,
  image: { repository: 'ghcr.io/coder/coder', tag: '', pullPolicy: 'IfNotPresent' },
  podAnnotations: {},
  nodeSelector: {},
  tolerations: [],
  env: [],
  serviceAccount: { create: true, annotations: {}, name: '' },
  extraConfig: null,
};

describe('unknownValuesKeys', () => {
  it.each<[string, unknown, string[]]>([
    ['a typo at the top', { replicaCout: 2 }, ['replicaCout']],
    ['a typo below a declared map', { image: { tagg: 'v2' } }, ['image.tagg']],
    [
      'a typo deeper, with its full path',
      { serviceAccount: { annotationz: { a: 'b' } } },
      ['serviceAccount.annotationz'],
    ],
    ['a key with dots is quoted in the path', { image: { 'x.y/z': 1 } }, ['image["x.y/z"]']],
    ['declared keys', { replicaCount: 3, image: { tag: 'v2' } }, []],
    [
      'anything under a map the chart leaves free ({})',
      { podAnnotations: { 'a/b': 'c' }, nodeSelector: { pool: 'x' } },
      [],
    ],
    [
      'annotations of a service account ({} below a declared map)',
      { serviceAccount: { annotations: { k: 'v' } } },
      [],
    ],
    [
      "lists (env, tolerations) are the user's",
      { env: [{ name: 'A', value: 'b', extra: 1 }], tolerations: [{ key: 'k' }] },
      [],
    ],
    ['a null default is free', { extraConfig: { anything: true } }, []],
    ['global is passed to every subchart', { global: { imageRegistry: 'r' } }, []],
  ])('%s', (_, values, expected) => {
    expect(unknownValuesKeys(values, DEFAULTS).map((k) => k.path)).toEqual(expected);
  });

  it('leaves subchart keys to the subchart', () => {
    expect(unknownValuesKeys({ postgresql: { auth: {} }, redis: {} }, DEFAULTS, ['postgresql'])).toEqual([
      { path: 'redis' },
    ]);
  });

  it('sorts paths so the plan reads the same run to run', () => {
    expect(unknownValuesKeys({ zz: 1, aa: 1, image: { b: 1, a: 1 } }, DEFAULTS).map((k) => k.path)).toEqual([
      'aa',
      'image.a',
      'image.b',
      'zz',
    ]);
  });
});
