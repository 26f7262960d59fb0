import type { ConfigurationError } from '../util/errors.js';
import { CHART_VERSION } from './coder-version.js';
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
    expected: 'a comma-separated list of names without spaces, e.g. coderdemo,acme (empty for none)',
    pattern: /^([A-Za-z0-9][A-Za-z0-9_.-]*(,[A-Za-z0-9][A-Za-z0-9_.-]*)*)?$/,
    placeholder: () => 'coderdemo',
  },
  integer: { expected: 'a whole number such as 3', pattern: /^(0|[1-9][0-9]*)$/, placeholder: () => '1' },
  boolean: { expected: 'true or false', pattern: /^(true|false)$/, placeholder: () => 'true' },
  string: { expected: 'any text', pattern: /^[\s\S]*$/, placeholder: (c) => `placeholder-${c.name.replace(/_/g, '-')}` },
  // Helm's chart versions are SemVer 2 (src/gitops/coder-version.ts); the placeholder is only used when
  // the value is not known offline, which coder.version always is.
  'chart-version': { expected: 'a chart version such as 2.27.1 (SemVer)', pattern: CHART_VERSION, placeholder: () => '2.27.1' },
  quantity: { expected: 'a Kubernetes quantity such as 30Gi or 500m', pattern: /^[+-]?(\d+|\d+\.\d+|\d+\.|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/, placeholder: () => '1Gi' },
} satisfies Record<string, VarType>;

export type VarTypeName = keyof typeof VAR_TYPES;

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
  for (const [name, r] of Object.entries(resolved)) {
    const declared = region.clusterVarTypes?.[name];
    // The loader requires a type for every variable of a region file; a config built in memory may have none.
    const typeName: VarTypeName = declared && declared in VAR_TYPES ? (declared as VarTypeName) : 'string';
    const where = `clusterVars.${name}`;
    const type: VarType = VAR_TYPES[typeName];
    if (r.known) {
      if (!type.pattern.test(r.value)) {
        out.errors.push(lines.error(region.file, `${where}.type`, `${name} is declared as ${typeName}: expected ${type.expected}, got "${r.value}" (fix the value or the declared type)`));
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
