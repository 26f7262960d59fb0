import type { ProxiedCall } from './fault-proxy.js';

/**
 * What IAM authorizes for one AWS call the product made: the action, the resource ARN it is checked
 * against and the request's condition keys (Service Authorization Reference: each action's resource
 * types and condition keys). Derived from the request the counting proxy saw, so the policy test can
 * simulate exactly what the code did.
 */
export interface IamCall {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /** How many times the run made it (informative). */
  count?: number;
}

/** The recording: per workflow role, every distinct call (test/fixtures/iam-calls.json). */
export interface IamCallRecording {
  generatedBy: string;
  account: string;
  roles: Record<string, IamCall[]>;
}

/** Route 53 REST paths the product calls (as the proxy names them) → IAM action. */
const EKS_PATHS: [string, RegExp, string][] = [
  ['GET', /^\/clusters\/([^/]+)$/, 'DescribeCluster'],
  ['GET', /^\/clusters\/?$/, 'ListClusters'],
  ['GET', /^\/clusters\/([^/]+)\/access-entries\/(.+)$/, 'DescribeAccessEntry'],
];

function params(body: string, path: string): Record<string, string> {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      return Object.fromEntries(
        Object.entries(JSON.parse(trimmed) as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v),
        ]),
      );
    } catch {
      return {};
    }
  }
  const form = trimmed.includes('=') ? new URLSearchParams(trimmed) : new URL(path, 'http://x').searchParams;
  return Object.fromEntries(form.entries());
}

function stackArn(region: string, account: string, stack: string): string {
  return stack.startsWith('arn:') ? stack : `arn:aws:cloudformation:${region}:${account}:stack/${stack}/*`;
}

/** Route 53's normalised record name (lowercase, no trailing dot, `*` as `\052`). */
function normalizedRecordName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').replace(/\*/g, '\\052');
}

function recordSetChanges(xml: string): { names: string[]; types: string[]; actions: string[] } {
  const grab = (re: RegExp) => [...xml.matchAll(re)].map((m) => m[1]!);
  const sets = grab(/<ResourceRecordSet>([\s\S]*?)<\/ResourceRecordSet>/g);
  const names = sets.map((s) => normalizedRecordName(/<Name>([^<]*)<\/Name>/.exec(s)?.[1] ?? ''));
  const types = sets.map((s) => /<Type>([^<]*)<\/Type>/.exec(s)?.[1] ?? '');
  return {
    names: [...new Set(names)].sort(),
    types: [...new Set(types)].sort(),
    actions: [...new Set(grab(/<Action>([^<]*)<\/Action>/g))].sort(),
  };
}

/**
 * The IAM calls one proxied request stands for (CreateChangeSet with a role also passes it), or none
 * for calls IAM never denies (GetCallerIdentity) and the unsigned web-identity exchange (its trust
 * policy is the trust evaluator's).
 */
export function iamCallsOf(call: ProxiedCall, account: string): IamCall[] {
  const req = call.request;
  if (!req) return [];
  const [service = '', operation = ''] = call.operation.split('.');
  const region = req.region ?? 'us-east-1';
  const p = params(req.body, req.path);
  if (service === 'sts') return [];
  if (service === 'cloudformation') {
    const context: Record<string, string> = {};
    if (p.ChangeSetName) context['cloudformation:ChangeSetName'] = p.ChangeSetName;
    if (p.RoleARN) context['cloudformation:RoleArn'] = p.RoleARN;
    const resource = p.StackName ? stackArn(region, account, p.StackName) : '*';
    const out: IamCall[] = [
      {
        action: `cloudformation:${operation}`,
        resource,
        ...(Object.keys(context).length ? { context } : {}),
      },
    ];
    if (operation === 'CreateChangeSet' && p.RoleARN)
      out.push({
        action: 'iam:PassRole',
        resource: p.RoleARN,
        context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
      });
    return out;
  }
  if (service === 'route53') {
    const path = new URL(req.path, 'http://x').pathname;
    const zone = /\/hostedzone\/([^/]+)/.exec(path)?.[1];
    const change = /\/change\/([^/]+)/.exec(path)?.[1];
    const resource = zone
      ? `arn:aws:route53:::hostedzone/${zone}`
      : change
        ? `arn:aws:route53:::change/${change}`
        : '*';
    if (operation === 'ChangeResourceRecordSets') {
      const c = recordSetChanges(req.body);
      return [
        {
          action: 'route53:ChangeResourceRecordSets',
          resource,
          context: {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': c.names,
            'route53:ChangeResourceRecordSetsRecordTypes': c.types,
            'route53:ChangeResourceRecordSetsActions': c.actions,
          },
        },
      ];
    }
    return [{ action: `route53:${operation}`, resource }];
  }
  if (service === 'eks') {
    const path = new URL(req.path, 'http://x').pathname;
    const hit = EKS_PATHS.find(([m, re]) => m === req.method && re.test(path));
    const name = hit ? hit[1].exec(path)?.[1] : undefined;
    const op = hit?.[2] ?? operation;
    return [
      { action: `eks:${op}`, resource: name ? `arn:aws:eks:${region}:${account}:cluster/${name}` : '*' },
    ];
  }
  if (service === 'secretsmanager') {
    const id = p.SecretId ?? '';
    const resource = id.startsWith('arn:')
      ? id
      : `arn:aws:secretsmanager:${region}:${account}:secret:${id}-AbCdEf`;
    return [{ action: `secretsmanager:${operation}`, resource }];
  }
  const prefix = service === 'monitoring' ? 'cloudwatch' : service;
  return [{ action: `${prefix}:${operation}`, resource: '*' }];
}

/** One key per distinct call: the same action, resource and condition values. */
export function iamCallKey(c: IamCall): string {
  return JSON.stringify([c.action, c.resource, c.context ?? {}]);
}
