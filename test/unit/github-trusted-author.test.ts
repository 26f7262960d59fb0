import { isWrittenBy, parseLoginInput } from '../../src/github/trusted-author.js';
import { InputError } from '../../src/util/errors.js';

test.each([
  ['', 'github-actions[bot]'],
  ['  my-app[bot] ', 'my-app[bot]'],
  ['octocat', 'octocat'],
])('marker-author %j is %s', (raw, login) => {
  expect(parseLoginInput('marker-author', raw)).toBe(login);
});

test.each(['-bad', 'two words', 'a--b', 'x'.repeat(40), 'bot]'])(
  'marker-author %j is refused naming the input',
  (raw) => {
    expect(() => parseLoginInput('marker-author', raw)).toThrow(InputError);
    expect(() => parseLoginInput('marker-author', raw)).toThrow(
      /^input 'marker-author': .* is not a GitHub login/,
    );
  },
);

test('authorship compares logins case-insensitively and needs a login', () => {
  expect(isWrittenBy({ user: { login: 'GitHub-Actions[bot]' } }, 'github-actions[bot]')).toBe(true);
  expect(isWrittenBy({ user: { login: 'mallory' } }, 'github-actions[bot]')).toBe(false);
  expect(isWrittenBy({ user: null }, 'github-actions[bot]')).toBe(false);
  expect(isWrittenBy({}, 'github-actions[bot]')).toBe(false);
});
