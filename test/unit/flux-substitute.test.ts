import { substituteObject, substituteVariables, unknownMarker } from '../../src/gitops/flux-substitute.js';

describe('Flux postBuild substitution', () => {
  const vars = { region: 'us-west-2', empty: '', later: undefined };

  it.each([
    ['https://${region}.example.test', 'https://us-west-2.example.test'],
    ['${missing:=fallback}', 'fallback'],
    ['${missing:-fallback}', 'fallback'],
    ['${empty:-fallback}', 'fallback'],
    ['${empty-fallback}', ''],
    ['${region:-fallback}', 'us-west-2'],
    ['$${region} stays', '${region} stays'],
    ['$region is not a Flux reference', '$region is not a Flux reference'],
    ['${later}', unknownMarker('later')],
    ['${later:-x}', unknownMarker('later')],
    ['${missing}', unknownMarker('missing')],
  ])('%s → %s', (input, expected) => {
    expect(substituteVariables(input, vars).text).toBe(expected);
  });

  it('lists the variables it could not resolve', () => {
    expect(substituteVariables('${later} ${missing} ${region}', vars).unresolved).toEqual([
      'later',
      'missing',
    ]);
  });

  it('re-types a value that was exactly one reference, as Flux re-parses the YAML', () => {
    const out = substituteObject(
      { replicas: '${n}', label: 'n-${n}', on: '${flag}' },
      { n: '3', flag: 'true' },
    );
    expect(out).toEqual({ replicas: 3, label: 'n-3', on: true });
  });
});
