/**
 * The schema of every kind gitops/ may hold, as the npm model packages compile them (ajv validators
 * generated from the upstream OpenAPI/CRD schemas). Imported statically, one module per kind, so the
 * bundles carry exactly these and validation stays synchronous and fast.
 *
 * Versions checked against the CRDs of the charts pinned in gitops/infrastructure/controllers (see
 * gitops/README.md, "The validator"): Karpenter v1.14.1 (`volumeSize` a quantity string with
 * its size pattern), External Secrets 1.0.0 (external-secrets.io/v1), cert-manager v1.18,
 * Flux v2.7 (source v1, kustomize v1, helm v2), Kubernetes 1.33.
 */
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { ClusterExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterExternalSecret';
import { ClusterSecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { SecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/SecretStore';
import { HelmRelease } from '@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/HelmRelease';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository';
import { HelmRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/HelmRepository';
import { OCIRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/OCIRepository';
import { EC2NodeClass } from '@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass';
import { NodePool } from '@kubernetes-models/karpenter/karpenter.sh/v1/NodePool';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

/** A model class: its prototype's `validate` runs the compiled schema on `this` and throws ajv's ValidationError. */
export interface SchemaModel {
  prototype: { validate(): void };
}

/** Where each group's schemas come from, for messages. */
export const SCHEMA_SOURCES: Record<string, string> = {
  '': 'kubernetes-models',
  'karpenter.k8s.aws': '@kubernetes-models/karpenter',
  'karpenter.sh': '@kubernetes-models/karpenter',
  'external-secrets.io': '@kubernetes-models/external-secrets',
  'cert-manager.io': '@kubernetes-models/cert-manager',
  'source.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'kustomize.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
  'helm.toolkit.fluxcd.io': '@kubernetes-models/flux-cd',
};

const MODELS: Record<string, SchemaModel> = {
  'v1/ConfigMap': ConfigMap,
  'v1/LimitRange': LimitRange,
  'v1/Namespace': Namespace,
  'v1/ResourceQuota': ResourceQuota,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
  'storage.k8s.io/v1/StorageClass': StorageClass,
  'source.toolkit.fluxcd.io/v1/GitRepository': GitRepository,
  'source.toolkit.fluxcd.io/v1/HelmRepository': HelmRepository,
  'source.toolkit.fluxcd.io/v1/OCIRepository': OCIRepository,
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': Kustomization,
  'helm.toolkit.fluxcd.io/v2/HelmRelease': HelmRelease,
  'karpenter.k8s.aws/v1/EC2NodeClass': EC2NodeClass,
  'karpenter.sh/v1/NodePool': NodePool,
  'external-secrets.io/v1/ExternalSecret': ExternalSecret,
  'external-secrets.io/v1/ClusterExternalSecret': ClusterExternalSecret,
  'external-secrets.io/v1/ClusterSecretStore': ClusterSecretStore,
  'external-secrets.io/v1/SecretStore': SecretStore,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/ClusterIssuer': ClusterIssuer,
  'cert-manager.io/v1/Issuer': Issuer,
};

/**
 * Fields the CRDs of the pinned charts have and the npm models lack (compared field by field against
 * karpenter-provider-aws v1.14.1 pkg/apis/crds and external-secrets chart 1.0.0 config/crds/bases):
 * accepted as known, their values unchecked. Paths use [] for list items.
 */
const CRD_FIELDS_MODELS_LACK: Record<string, string[]> = {
  'karpenter.k8s.aws/v1/EC2NodeClass': ['spec.connectionTracking', 'spec.cpuOptions'],
  'external-secrets.io/v1/ExternalSecret': ['spec.target.manifest', 'spec.target.template.metadata.finalizers', 'spec.dataFrom[].rewrite[].merge'],
  'external-secrets.io/v1/ClusterSecretStore': [
    'spec.provider.azurekv.customCloudConfig',
    'spec.provider.azurekv.useAzureSDK',
    'spec.provider.fake.validationResult',
    'spec.provider.gcpsm.secretVersionSelectionPolicy',
    'spec.provider.gcpsm.auth.workloadIdentityFederation',
    'spec.provider.gitlab.caBundle',
    'spec.provider.gitlab.caProvider',
    'spec.provider.infisical.auth.awsAuthCredentials',
    'spec.provider.infisical.auth.azureAuthCredentials',
    'spec.provider.infisical.auth.gcpIamAuthCredentials',
    'spec.provider.infisical.auth.gcpIdTokenAuthCredentials',
    'spec.provider.infisical.auth.jwtAuthCredentials',
    'spec.provider.infisical.auth.kubernetesAuthCredentials',
    'spec.provider.infisical.auth.ldapAuthCredentials',
    'spec.provider.infisical.auth.ociAuthCredentials',
    'spec.provider.infisical.auth.tokenAuthCredentials',
    'spec.provider.secretserver.domain',
    'spec.provider.vault.checkAndSet',
    'spec.provider.vault.auth.cert.path',
    'spec.provider.yandexcertificatemanager.fetching',
    'spec.provider.yandexlockbox.fetching',
  ],
};

/** Whether a field the model does not know is one the pinned CRD has (see CRD_FIELDS_MODELS_LACK). */
export function crdHasField(apiVersion: string, kind: string, fieldPath: string): boolean {
  const normal = fieldPath.replace(/\[\d+\]/g, '[]');
  return (CRD_FIELDS_MODELS_LACK[`${apiVersion}/${kind}`] ?? []).some((f) => normal === f || normal.startsWith(`${f}.`) || normal.startsWith(`${f}[`));
}

/** The model of an apiVersion/kind, or undefined when gitops/ may not hold that kind (yet). */
export function schemaModel(apiVersion: string, kind: string): SchemaModel | undefined {
  return Object.prototype.hasOwnProperty.call(MODELS, `${apiVersion}/${kind}`) ? MODELS[`${apiVersion}/${kind}`] : undefined;
}

/** Every apiVersion/kind with a schema, for messages. */
export function knownKinds(): string[] {
  return Object.keys(MODELS);
}
