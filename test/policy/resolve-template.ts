import { parseTemplate } from '../../src/gitops/cfn-yaml.js';

/** The values a template is resolved with: its parameters and the pseudo parameters. */
export interface ResolveInput {
  parameters: Record<string, string>;
  accountId: string;
  region: string;
}

interface RawTemplate {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
}

/**
 * Resolve the intrinsics a policy uses (Ref, Fn::Sub, Fn::GetAtt …Arn, Fn::If/Equals, Fn::Join,
 * Fn::Select, Fn::Split) as CloudFormation would for this project, so the simulator sees the real
 * ARNs. Refs to resources give what CloudFormation gives: a role's name, a managed policy's ARN, an
 * OIDC provider's ARN.
 */
export function resolveTemplate(text: string, file: string, input: ResolveInput): RawTemplate {
  const t = parseTemplate(text, file) as unknown as RawTemplate;
  const params: Record<string, string> = {};
  for (const [k, p] of Object.entries(t.Parameters ?? {}))
    if (p.Default !== undefined) params[k] = String(p.Default);
  Object.assign(params, input.parameters, {
    'AWS::AccountId': input.accountId,
    'AWS::Region': input.region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  });
  const conditions = new Map<string, boolean>();
  const arn = (id: string): string => {
    const r = t.Resources[id];
    if (!r) throw new Error(`${file}: no resource ${id}`);
    const props = (resolve(r.Properties ?? {}) ?? {}) as Record<string, unknown>;
    switch (r.Type) {
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${input.accountId}:role/${String(props.RoleName ?? id)}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:aws:iam::${input.accountId}:policy/${String(props.ManagedPolicyName ?? id)}`;
      case 'AWS::IAM::OIDCProvider':
        return `arn:aws:iam::${input.accountId}:oidc-provider/${String(props.Url).replace(/^https:\/\//, '')}`;
      default:
        throw new Error(`${file}: cannot resolve the ARN of ${r.Type} ${id}`);
    }
  };
  const ref = (name: string): string => {
    if (name in params) return params[name]!;
    const r = t.Resources[name];
    if (!r) throw new Error(`${file}: Ref to unknown ${name}`);
    if (r.Type === 'AWS::IAM::Role') return arn(name).split('/').pop()!;
    return arn(name);
  };
  const condition = (name: string): boolean => {
    if (!conditions.has(name)) conditions.set(name, Boolean(resolve(t.Conditions?.[name])));
    return conditions.get(name)!;
  };
  const sub = (template: string, vars: Record<string, unknown>): string =>
    template.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) {
        const [id, attr] = name.split('.');
        if (attr === 'Arn') return arn(id!);
      }
      return ref(name);
    });
  function resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(resolve);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const a = o[k];
      switch (k) {
        case 'Ref':
          return ref(String(a));
        case 'Fn::Sub':
          return Array.isArray(a)
            ? sub(String(a[0]), resolve(a[1]) as Record<string, unknown>)
            : sub(String(a), {});
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(a) ? a.map(String) : String(a).split('.');
          if (attr !== 'Arn') throw new Error(`${file}: cannot resolve GetAtt ${id}.${attr}`);
          return arn(id!);
        }
        case 'Fn::If': {
          const [c, yes, no] = a as [string, unknown, unknown];
          return condition(c) ? resolve(yes) : resolve(no);
        }
        case 'Fn::Equals': {
          const [x, y] = resolve(a) as [unknown, unknown];
          return String(x) === String(y);
        }
        case 'Fn::Join': {
          const [sep, parts] = a as [string, unknown];
          return (resolve(parts) as unknown[]).join(sep);
        }
        case 'Fn::Select': {
          const [i, list] = resolve(a) as [number, unknown[]];
          return list[Number(i)];
        }
        case 'Fn::Split': {
          const [sep, s] = resolve(a) as [string, string];
          return String(s).split(sep);
        }
        case 'Condition':
          return condition(String(a));
      }
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  }
  const resources: RawTemplate['Resources'] = {};
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Condition && !condition(r.Condition)) continue;
    resources[id] = { ...r, Properties: resolve(r.Properties ?? {}) as Record<string, unknown> };
  }
  return { ...t, Resources: resources };
}
