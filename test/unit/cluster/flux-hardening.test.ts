import { hardenFluxInstall, missingControllerSettings } from '../../../src/cluster/flux-hardening.js';
import type { KubeObject } from '../../../src/cluster/kube-client.js';

const deployment = (name: string, args: string[]): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'flux-system' },
  spec: { template: { spec: { containers: [{ name: 'manager', args }] } } },
});
const argsOf = (o: KubeObject | undefined) =>
  (o?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args;

test('the export gets both settings; gates it already sets are kept; applying twice changes nothing more', () => {
  const exported = [
    deployment('kustomize-controller', [
      '--watch-all-namespaces=true',
      '--no-remote-bases=false',
      '--feature-gates=GroupChangeLog=true',
    ]),
    deployment('helm-controller', ['--watch-all-namespaces=true']),
  ];
  const once = hardenFluxInstall(exported);
  expect(argsOf(once[0])).toEqual([
    '--watch-all-namespaces=true',
    '--no-remote-bases=true',
    '--feature-gates=GroupChangeLog=true,StrictPostBuildSubstitutions=true',
  ]);
  expect(argsOf(once[1])).toEqual(['--watch-all-namespaces=true']);
  // The input is not changed in place.
  expect(argsOf(exported[0])).toContain('--no-remote-bases=false');
  expect(hardenFluxInstall(once)).toEqual(once);
  expect(missingControllerSettings(once[0])).toEqual([]);
});

test('a gate switched off is switched on', () => {
  const out = hardenFluxInstall([
    deployment('kustomize-controller', ['--feature-gates', 'StrictPostBuildSubstitutions=false']),
  ]);
  expect(argsOf(out[0])).toEqual([
    '--no-remote-bases=true',
    '--feature-gates=StrictPostBuildSubstitutions=true',
  ]);
});
