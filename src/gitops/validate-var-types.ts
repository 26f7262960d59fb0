import type { ConfigurationError } from '../util/errors.js';
import type { ConfigLines } from './config-lines.js';
import { resolveClusterVars, outputRegionOf } from './resolve-source.js';
import type { GitopsConfig, RegionConfig } from './types.js';

/**
 * What a cluster variable stands for. The schema checks run after substitution, so a variable whose
 * value is only known after apply (a stack output) is replaced by a realistic value of its type: a
 * Karpenter `securityGroupSelectorTerms[].id` then sees an `sg-` id, not `${…}` or an empty string.
 */
export interface VarType {
  /** Shown in messages: what a right value looks like. */
  expected: string;
  pattern: RegExp;
  /** A value of this type for the region (and the region the value comes from, for outputs read elsewhere). */
  placeholder(ctx: { region: string; sourceRegion: string; accountId: string; name: string }): string;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The vocabulary of cluster variable types. */
export const VAR_TYPES = {
  'aws-region': { expected: 'an AWS region such as us-east-2', pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, placeholder: (c) => c.sourceRegion },
  'k8s-name': {
    expected: 'a lower-case name (letters, digits, dashes; a DNS label)',
    pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    placeholder: (c) => `coderdemo-${c.region}`,
  },
  'vpc-id': { expected: 'a VPC id (vpc-…)', pattern: /^vpc-[0-9a-f]{8,17}$/, placeholder: () => 'vpc-0123456789abcdef0' },
  'security-group-id': { expected: 'a security group id (sg-…)', pattern: /^sg-[0-9a-f]{8,17}$/, placeholder: () => 'sg-0123456789abcdef0' },
  'https-url': {
    expected: 'an https:// URL without a trailing slash, e.g. https://us-east-2.coderdemo.io',
    pattern: /^https:\/\/[a-z0-9.-]+(:\d+)?(\/[^\s]*[^/\s])?$/,
    placeholder: (c) => `https://0123456789ABCDEF0123456789ABCDEF.gr7.${c.sourceRegion}.eks.amazonaws.com`,
  },
  hostname: { expected: 'a DNS name such as db.example.com', pattern: DNS_NAME, placeholder: (c) => `coderdemo.cluster-c0ffee.${c.sourceRegion}.rds.amazonaws.com` },
  'wildcard-hostname': {
    expected: 'a wildcard DNS name such as *.us-east-2.coderdemo.io',
    pattern: /^\*\.(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/,
    placeholder: (c) => `*.${c.region}.example.com`,
  },
  'iam-role-arn': {
    expected: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    pattern: /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    placeholder: (c) => `arn:aws:iam::${c.accountId}:role/coderdemo-${c.region}-${c.name.replace(/_/g, '-')}`,
  },
  'acm-certificate-arn': {
    expected: 'an ACM certificate ARN in the region (arn:aws:acm:<region>:<account>:certificate/<uuid>)',
    pattern: /^arn:aws:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f-]{36}$/,
    placeholder: (c) => `arn:aws:acm:${c.sourceRegion}:${c.accountId}:certificate/00000000-0000-4000-8000-000000000000`,
  },
  'secret-arn': {
    expected: 'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>)',
    pattern: /^arn:aws:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[\w/+=.@!-]+-[A-Za-z0-9]{6}$/,
    placeholder: (c) => `arn:aws:secretsmanager:${c.sourceRegion}:${c.accountId}:secret:rds!cluster-0000-AbCdEf`,
  },
  'secret-name': {
    expected: 'a Secrets Manager secret name (letters, digits, /_+=.@-)',
    pattern: /^[A-Za-z0-9/_+=.@-]{1,512}$/,
    placeholder: (c) => `coderdemo/${c.name.replace(/_/g, '-')}`,
  },
  'instance-profile-name': {
    expected: 'an IAM instance profile name',
    pattern: /^[\w+=,.@-]{1,128}$/,
    placeholder: (c) => `coderdemo-${c.region}-karpenter-node`,
  },
  'sqs-queue-name': { expected: 'an SQS queue name', pattern: /^[A-Za-z0-9_-]{1,80}$/, placeholder: (c) => `coderdemo-${c.region}-karpenter` },
  'name-list': {
    expected: 'a comma-separated list of names without spaces, e.g. coderdemo,acme',
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*(,[A-Za-z0-9][A-Za-z0-9_.-]*)*$/,
    placeholder: () => 'coderdemo',
  },
  boolean: { expected: 'true or false', pattern: /^(true|false)$/, placeholder: () => 'true' },
  quantity: { expected: 'a Kubernetes quantity such as 30Gi or 500m', pattern: /^[+-]?(\d+|\d+\.\d+|\d+\.|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/, placeholder: () => '1Gi' },
} satisfies Record<string, VarType>;

export type VarTypeName = keyof typeof VAR_TYPES;

/**
 * The declared type of every cluster variable (`clusterVars` in regions/<region>.yaml). Declared once
 * here rather than in each region file: every region fills the same manifests, and a type is a
 * property of the manifest's field, not of the region. A variable missing here is an error, so a new
 * one cannot slip past the schema checks as an untyped string.
 */
export const CLUSTER_VAR_TYPES: Record<string, VarTypeName> = {
  project: 'k8s-name',
  cluster_name: 'k8s-name',
  aws_region: 'aws-region',
  hub_region: 'aws-region',
  vpc_id: 'vpc-id',
  cluster_endpoint: 'https-url',
  cluster_security_group_id: 'security-group-id',
  coder_access_url: 'https-url',
  coder_wildcard_access_url: 'wildcard-hostname',
  coder_github_allowed_orgs: 'name-list',
  acm_certificate_arn: 'acm-certificate-arn',
  coder_irsa_role_arn: 'iam-role-arn',
  provisioner_irsa_role_arn: 'iam-role-arn',
  ebs_csi_irsa_role_arn: 'iam-role-arn',
  lb_controller_irsa_role_arn: 'iam-role-arn',
  karpenter_irsa_role_arn: 'iam-role-arn',
  cert_manager_irsa_role_arn: 'iam-role-arn',
  external_secrets_irsa_role_arn: 'iam-role-arn',
  litellm_irsa_role_arn: 'iam-role-arn',
  karpenter_instance_profile: 'instance-profile-name',
  karpenter_interruption_queue: 'sqs-queue-name',
  db_host: 'hostname',
  litellm_db_host: 'hostname',
  db_secret_arn: 'secret-arn',
  litellm_db_secret_arn: 'secret-arn',
  github_oauth_secret_name: 'secret-name',
  provisioner_key_secret_name: 'secret-name',
  litellm_secret_name: 'secret-name',
};

/** A region's cluster variables as validation substitutes them: known values as they are, the rest as typed placeholders. */
export interface TypedClusterVars {
  values: Record<string, string>;
  /** Variables whose value is a placeholder (known after apply), with their type. */
  placeholders: Map<string, VarTypeName>;
  errors: ConfigurationError[];
}

/** Resolves a region's cluster variables offline and checks each known value against its declared type. */
export function typedClusterVars(config: GitopsConfig, region: RegionConfig, lines: ConfigLines): TypedClusterVars {
  const resolved = resolveClusterVars(region, { config, outputs: () => undefined });
  const out: TypedClusterVars = { values: {}, placeholders: new Map(), errors: [] };
  const declared = Object.keys(VAR_TYPES).join(', ');
  for (const [name, r] of Object.entries(resolved)) {
    const typeName = CLUSTER_VAR_TYPES[name];
    const where = `clusterVars.${name}`;
    if (!typeName) {
      out.errors.push(
        lines.error(
          region.file,
          where,
          `cluster variable ${name} has no declared type, so the schema checks cannot stand a value in for it: ` +
            `add "${name}: <type>" to CLUSTER_VAR_TYPES in src/gitops/validate-var-types.ts (types: ${declared})`,
        ),
      );
      continue;
    }
    const type: VarType = VAR_TYPES[typeName];
    if (r.known) {
      if (!type.pattern.test(r.value)) {
        out.errors.push(lines.error(region.file, where, `${name} is declared as ${typeName}: expected ${type.expected}, got "${r.value}"`));
      }
      out.values[name] = r.value;
    } else {
      const source = region.clusterVars[name];
      const sourceRegion = source?.kind === 'output' ? outputRegionOf(source, region, config) : region.name;
      out.values[name] = type.placeholder({ region: region.name, sourceRegion, accountId: config.platform.accountId, name });
      out.placeholders.set(name, typeName);
    }
  }
  return out;
}
