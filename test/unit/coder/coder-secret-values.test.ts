import { decodeSecretField, encodeSecretField } from '../../../src/coder/coder-secret-values.js';

test('the JSON field the ExternalSecrets read with property:, round trip', () => {
  expect(encodeSecretField('token', 'id:secret')).toBe('{"token":"id:secret"}');
  expect(decodeSecretField(encodeSecretField('key', 'abc'), 'key', 'x')).toBe('abc');
});

test("an operator's bare value is accepted; empty is absent", () => {
  expect(decodeSecretField('  eyJ.a.b \n', 'license', 'x')).toBe('eyJ.a.b');
  expect(decodeSecretField('   ', 'token', 'x')).toBeUndefined();
});

test('JSON without the field, or broken JSON, names the secret and what it should hold', () => {
  expect(() => decodeSecretField('{"tok":"a"}', 'token', 'coderdemo/coder-owner-token in us-east-2')).toThrow(
    'coderdemo/coder-owner-token in us-east-2 has no "token" string: expected {"token": "…"}',
  );
  expect(() => decodeSecretField('{nope', 'license', 'coderdemo/coder-license in us-east-2')).toThrow(
    'coderdemo/coder-license in us-east-2 is not valid JSON: expected {"license": "…"}',
  );
});
