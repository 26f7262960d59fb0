import path from 'node:path';
import { errorMessage } from '../../../src/util/errors.js';
import { loadValidatedGitops } from '../../../src/gitops/validate-gitops.js';
import { orderRegions } from '../../../src/gitops/stack-order.js';

describe('the repository’s gitops/', () => {
  it('loads and passes every cross-check', async () => {
    let message = '';
    const config = await loadValidatedGitops(path.resolve('gitops')).catch((err: unknown) => {
      message = errorMessage(err);
      return undefined;
    });
    // The whole list of problems is the useful failure output.
    expect(message).toBe('');
    expect(orderRegions(config!).map((wave) => wave.map((r) => r.name))).toEqual([['us-east-2'], ['us-west-2'], ['eu-west-2']]);
  });
});
