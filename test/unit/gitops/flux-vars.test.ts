import path from 'node:path';
import { fluxVariables } from '../../../src/gitops/flux-vars.js';

const FIXTURE = path.resolve('test/fixtures/gitops-valid/gitops');

describe('fluxVariables', () => {
  it('lists the substituted ${var}s of what Flux applies for a region, with file and line', () => {
    const vars = fluxVariables(FIXTURE, 'us-east-2');
    // Not listed: ${zone:=a} and ${cluster_name:-demo} (defaults), $${HOME} (escape), ${not_a_var} (a
    // comment, dropped by kustomize before substitution) and coder_replicas (postBuild.substitute inline).
    expect([...vars.keys()].sort()).toEqual(['coder_version', 'database_endpoint', 'domain', 'region']);
    expect(vars.get('region')).toEqual([
      { file: 'gitops/apps/base/coder/release.yaml', line: 20, kustomization: 'apps', clusterVars: true },
      {
        file: 'gitops/infrastructure/controllers/metrics-server.yaml',
        line: 31,
        kustomization: 'infra-controllers',
        clusterVars: true,
      },
    ]);
  });

  it('follows only the Kustomizations of that region', () => {
    // us-west-2 has no apps Kustomization, so the Coder release's variables are not its concern.
    expect([...fluxVariables(FIXTURE, 'us-west-2').keys()]).toEqual(['region']);
  });
});
