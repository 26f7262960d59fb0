import { clusterVarsConfigMap } from '../../../src/cluster/cluster-manifests.js';
import { fluxDrift, installOrder } from '../../../src/cluster/flux-install.js';
import type { KubeObject } from '../../../src/cluster/kube-client.js';
import { ConfigurationError } from '../../../src/util/errors.js';

test('cluster-vars is byte-identical for the same variables, whatever order they were resolved in', () => {
  const a = clusterVarsConfigMap({
    region: 'us-west-2',
    cluster_name: 'coderdemo-us-west-2',
    domain: 'coderdemo.io',
  });
  const b = clusterVarsConfigMap({
    domain: 'coderdemo.io',
    region: 'us-west-2',
    cluster_name: 'coderdemo-us-west-2',
  });
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  expect(Object.keys(a.data as object)).toEqual(['cluster_name', 'domain', 'region']);
  expect(a.metadata).toEqual({
    name: 'cluster-vars',
    namespace: 'flux-system',
    labels: { 'app.kubernetes.io/managed-by': 'coder-gitops' },
  });
  expect(JSON.stringify(a)).not.toMatch(/Timestamp|\d{4}-\d{2}-\d{2}T/);
});

test('a variable name that cannot be a ConfigMap key is a configuration error naming it', () => {
  expect(() => clusterVarsConfigMap({ 'bad key': 'x' })).toThrow(ConfigurationError);
  expect(() => clusterVarsConfigMap({ 'bad key': 'x' })).toThrow(/'bad key'/);
});

test('drift is reported when the running Flux is not the pin, and not when it is', () => {
  expect(fluxDrift({ installed: true, version: 'v2.7.2' }, 'v2.7.2')).toBeUndefined();
  expect(fluxDrift({ installed: true, version: '2.7.2' }, 'v2.7.2')).toBeUndefined();
  expect(fluxDrift({ installed: true, version: 'v2.6.4' }, 'v2.7.2')).toMatch(
    /Flux v2.6.4 is installed; platform.yaml pins v2.7.2/,
  );
  expect(fluxDrift({ installed: true }, 'v2.7.2')).toMatch(/version is unknown/);
  expect(fluxDrift({ installed: false }, 'v2.7.2')).toBeUndefined();
});

test('namespaces and CRDs are applied before what uses them', () => {
  const o = (kind: string, name: string): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name } });
  const ordered = installOrder([
    o('Deployment', 'a'),
    o('CustomResourceDefinition', 'b'),
    o('Service', 'c'),
    o('Namespace', 'd'),
  ]);
  expect(ordered.map((x) => x.kind)).toEqual([
    'Namespace',
    'CustomResourceDefinition',
    'Deployment',
    'Service',
  ]);
});
