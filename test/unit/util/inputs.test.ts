import {
  parseBooleanInput,
  parseEnumInput,
  parseIntegerInput,
  parseRegionInput,
  parseRoleInput,
} from '../../../src/util/inputs.js';

test.each([
  [
    'region',
    () => parseRegionInput('region', 'us-east-2,bogus', 'changed'),
    "input 'region': 'bogus' is not a region name",
  ],
  [
    'dry-run',
    () => parseBooleanInput('dry-run', 'yes', false),
    "input 'dry-run': 'yes' is not a boolean: use true or false",
  ],
  [
    'dns',
    () => parseEnumInput('dns', 'drain', ['promote', 'hold', 'remove'], 'promote'),
    'use one of promote, hold, remove',
  ],
  ['attempts', () => parseIntegerInput('attempts', '0', 3, 1, 10), '0 is out of range: use 1 to 10'],
  ['role-to-assume', () => parseRoleInput('role-to-assume', 'deploy'), 'is not an IAM role ARN'],
])('%s: a bad value names the input and what is allowed', (_name, fn, message) => {
  expect(fn).toThrow(message);
});

test('good values parse into typed objects', () => {
  expect(parseRegionInput('region', '', 'changed')).toEqual({ kind: 'changed' });
  expect(parseRegionInput('region', 'us-east-2, us-west-2', 'changed')).toEqual({
    kind: 'list',
    regions: ['us-east-2', 'us-west-2'],
  });
});
