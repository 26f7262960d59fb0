import type { ConfigurationError } from '../util/errors.js';
import { list, objectError, rec, type LocatedObject, type RenderedGitops } from './validate-region-objects.js';

/**
 * The CEL rules (`x-kubernetes-validations`) of the CRDs that the npm models do not carry, encoded
 * by hand from the CRDs of the pinned charts: Karpenter v1.14.1
 * (karpenter-provider-aws pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml and
 * kubernetes-sigs/karpenter pkg/apis/crds/karpenter.sh_nodepools.yaml). The ones not encoded are
 * listed in gitops/README.md ("The validator").
 */

type Rule = (o: LocatedObject, spec: Record<string, unknown>) => ConfigurationError[];

const has = (o: Record<string, unknown> | undefined, key: string) => o !== undefined && o[key] !== undefined && o[key] !== null;

const AMI_FAMILIES = ['al2', 'al2023', 'bottlerocket', 'windows2019', 'windows2022'];

/** Selector terms: each names at least one selector, `id` (and `alias`, `name` for some) stand alone. */
function selectorTerms(o: LocatedObject, spec: Record<string, unknown>, field: string, selectors: string[], alone: string[]): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  const terms = spec[field];
  if (terms === undefined) return out; // required-ness is the schema's
  const items = list(terms);
  if (items.length === 0) out.push(objectError(o, `spec.${field}`, `${field} cannot be empty: give at least one term (${selectors.join(', ')})`));
  items.forEach((t, i) => {
    const term = rec(t) ?? {};
    const where = `spec.${field}[${i}]`;
    const set = Object.keys(term).filter((k) => has(term, k));
    if (!selectors.some((s) => has(term, s))) {
      out.push(objectError(o, where, `${field}[${i}] selects nothing: set one of ${selectors.join(', ')}`));
    }
    for (const a of alone) {
      if (has(term, a) && set.length > 1) {
        out.push(objectError(o, `${where}.${a}`, `'${a}' cannot be combined with other fields in a term of ${field} (found ${set.join(', ')}); split them into separate terms`));
      }
    }
    const tags = rec(term.tags);
    for (const [k, v] of Object.entries(tags ?? {})) {
      if (k === '' || v === '') out.push(objectError(o, `${where}.tags`, `empty tag keys or values are not supported in ${field}`));
    }
  });
  return out;
}

/** Tag keys Karpenter sets itself; the EC2NodeClass CRD refuses them in spec.tags. */
const RESTRICTED_TAGS = [/^kubernetes\.io\/cluster\//, /^karpenter\.sh\/nodepool$/, /^eks:eks-cluster-name$/, /^karpenter\.sh\/nodeclaim$/, /^karpenter\.k8s\.aws\/ec2nodeclass$/];

const ec2NodeClass: Rule = (o, spec) => {
  const out: ConfigurationError[] = [];
  const role = spec.role;
  const profile = spec.instanceProfile;
  if (has(spec, 'role') === has(spec, 'instanceProfile')) {
    out.push(objectError(o, 'spec', 'set exactly one of role and instanceProfile (the CRD rejects both or neither)'));
  }
  if (role === '') out.push(objectError(o, 'spec.role', 'role cannot be empty'));
  if (profile === '') out.push(objectError(o, 'spec.instanceProfile', 'instanceProfile cannot be empty'));

  const amis = list(spec.amiSelectorTerms);
  out.push(...selectorTerms(o, spec, 'amiSelectorTerms', ['tags', 'id', 'name', 'alias', 'ssmParameter'], ['id', 'alias']));
  amis.forEach((t, i) => {
    const alias = rec(t)?.alias;
    if (typeof alias !== 'string') return;
    const where = `spec.amiSelectorTerms[${i}].alias`;
    const m = /^([a-zA-Z0-9]*)@(.*)$/.exec(alias);
    if (!m) out.push(objectError(o, where, `alias "${alias}" must be family@version, e.g. al2023@v20251117`));
    else if (!AMI_FAMILIES.includes(m[1]!)) out.push(objectError(o, where, `alias family "${m[1]}" is not supported: one of ${AMI_FAMILIES.join(', ')}`));
    if (amis.length !== 1) out.push(objectError(o, where, 'an alias term must be the only term of amiSelectorTerms'));
  });
  out.push(...selectorTerms(o, spec, 'subnetSelectorTerms', ['tags', 'id'], ['id']));
  out.push(...selectorTerms(o, spec, 'securityGroupSelectorTerms', ['tags', 'id', 'name'], ['id', 'name']));

  const devices = list(spec.blockDeviceMappings);
  devices.forEach((d, i) => {
    const ebs = rec(rec(d)?.ebs);
    if (ebs && !has(ebs, 'snapshotID') && !has(ebs, 'volumeSize')) {
      out.push(objectError(o, `spec.blockDeviceMappings[${i}].ebs`, 'set volumeSize (e.g. "30Gi") or snapshotID'));
    }
  });
  if (devices.filter((d) => rec(d)?.rootVolume === true).length > 1) {
    out.push(objectError(o, 'spec.blockDeviceMappings', 'at most one block device mapping may be the rootVolume'));
  }
  const kubelet = rec(spec.kubelet);
  if (kubelet && typeof kubelet.imageGCHighThresholdPercent === 'number' && typeof kubelet.imageGCLowThresholdPercent === 'number') {
    if (kubelet.imageGCHighThresholdPercent <= kubelet.imageGCLowThresholdPercent) {
      out.push(objectError(o, 'spec.kubelet.imageGCHighThresholdPercent', 'imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent'));
    }
  }
  for (const key of Object.keys(rec(spec.tags) ?? {})) {
    if (RESTRICTED_TAGS.some((r) => r.test(key))) {
      out.push(objectError(o, `spec.tags["${key}"]`, `tag ${key} is set by Karpenter itself and refused by the EC2NodeClass CRD; remove it`));
    }
  }
  return out;
};

/** Label keys Karpenter owns; NodePool requirements and template labels may not set them. */
const RESTRICTED_LABELS = ['karpenter.sh/nodepool', 'kubernetes.io/hostname'];

const nodePool: Rule = (o, spec) => {
  const out: ConfigurationError[] = [];
  const template = rec(spec.template);
  const tspec = rec(template?.spec);
  list(tspec?.requirements).forEach((r, i) => {
    const req = rec(r) ?? {};
    const where = `spec.template.spec.requirements[${i}]`;
    const key = String(req.key ?? '');
    const values = list(req.values);
    if (RESTRICTED_LABELS.includes(key)) out.push(objectError(o, `${where}.key`, `requirement key ${key} is restricted (Karpenter sets it); remove the requirement`));
    if (key.startsWith('kubernetes.sh/')) out.push(objectError(o, `${where}.key`, `"${key}" is not a label Karpenter knows: did you mean karpenter.sh/${key.slice('kubernetes.sh/'.length)}?`));
    if (req.operator === 'In' && values.length === 0) out.push(objectError(o, `${where}.values`, 'operator In needs at least one value'));
    if ((req.operator === 'Gt' || req.operator === 'Lt') && (values.length !== 1 || !/^\d+$/.test(String(values[0])))) {
      out.push(objectError(o, `${where}.values`, `operator ${String(req.operator)} needs exactly one value, a non-negative integer as a string (e.g. ["5"])`));
    }
  });
  for (const key of Object.keys(rec(rec(template?.metadata)?.labels) ?? {})) {
    if (RESTRICTED_LABELS.includes(key)) out.push(objectError(o, `spec.template.metadata.labels["${key}"]`, `label ${key} is restricted (Karpenter sets it)`));
  }
  list(rec(spec.disruption)?.budgets).forEach((b, i) => {
    const budget = rec(b) ?? {};
    if (has(budget, 'schedule') !== has(budget, 'duration')) {
      out.push(objectError(o, `spec.disruption.budgets[${i}]`, "a budget's schedule and duration go together: set both or neither"));
    }
  });
  return out;
};

const RULES: Record<string, Rule> = {
  'karpenter.k8s.aws/v1/EC2NodeClass': ec2NodeClass,
  'karpenter.sh/v1/NodePool': nodePool,
};

/** The CRDs' CEL rules the schemas miss, on every object they apply to. */
export function validateCrdRules(rendered: RenderedGitops): ConfigurationError[] {
  const out: ConfigurationError[] = [];
  for (const objects of [...rendered.regions.map((r) => r.objects), rendered.unsynced]) {
    for (const o of objects) {
      const rule = RULES[`${String(o.object.apiVersion)}/${String(o.object.kind)}`];
      if (rule) out.push(...rule(o, rec(o.object.spec) ?? {}));
    }
  }
  return out;
}
