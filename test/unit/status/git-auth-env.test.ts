import { gitAuthEnv } from '../../../src/cli/history-append-command.js';

describe('the token reaches git through its environment only', () => {
  const server = 'https://github.com';

  test('an HTTPS remote on the server gets an extra header for that server', () => {
    const env = gitAuthEnv('https://github.com/coder/coder-gitops.git', 'ghs_secret', server);
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_secret').toString('base64')}`,
    });
  });

  test.each([
    ['another host', 'https://example.com/coder/coder-gitops.git', 'ghs_secret'],
    ['a host that only starts like the server', 'https://github.com.evil.test/x.git', 'ghs_secret'],
    ['a local path', '/tmp/remote.git', 'ghs_secret'],
    ['no token', 'https://github.com/coder/coder-gitops.git', undefined],
  ])('%s gets nothing', (_what, remote, token) => {
    expect(gitAuthEnv(remote, token, server)).toEqual({});
  });
});
