import { parseTemplate } from './cfn-yaml.js';
import { resolveStackParameters } from './resolve-source.js';
import type { GitopsConfig, RegionConfig } from './types.js';
import { rec } from './validate-region-objects.js';

/**
 * The DNS names a region's ACM certificate covers, read from the template of the stack whose output
 * the cluster variable names (`acm_certificate_arn: { output: certificates.CertificateArn }` →
 * Outputs.CertificateArn → `!Ref Certificate` → DomainName and SubjectAlternativeNames), evaluated
 * with the stack's parameters. Undefined when the chain cannot be followed offline (a literal ARN,
 * a value built from other resources).
 */
export function certificateNames(config: GitopsConfig, region: RegionConfig, variable: string): string[] | undefined {
  const source = region.clusterVars[variable];
  if (source?.kind !== 'output' || (source.region && source.region !== region.name)) return undefined;
  const stack = region.stacks.find((s) => s.name === source.stack);
  const text = stack ? config.templates.get(stack.template) : undefined;
  if (!stack || text === undefined) return undefined;
  let template: Record<string, unknown>;
  try {
    template = parseTemplate(text, `stacks/${stack.template}.yaml`);
  } catch {
    return undefined; // reported by validateStacks
  }
  const output = rec(rec(template.Outputs)?.[source.outputKey])?.Value;
  const logical = rec(output)?.Ref;
  const resource = typeof logical === 'string' ? rec(rec(template.Resources)?.[logical]) : undefined;
  if (resource?.Type !== 'AWS::CertificateManager::Certificate') return undefined;
  const props = rec(resource.Properties) ?? {};
  const params: Record<string, string> = { 'AWS::Region': region.name, 'AWS::AccountId': config.platform.accountId, 'AWS::Partition': 'aws' };
  for (const [k, r] of Object.entries(resolveStackParameters(stack, { config, outputs: () => undefined, region }))) {
    if (r.known) params[k] = r.value;
  }
  const names = [props.DomainName, ...(Array.isArray(props.SubjectAlternativeNames) ? props.SubjectAlternativeNames : [])].map((v) => evaluate(v, params));
  return names.some((n) => n === undefined) ? undefined : (names as string[]).map((n) => n.toLowerCase());
}

/** `Ref`, `Fn::Sub` (string form) and `Fn::Join` over known parameters; undefined for anything else. */
function evaluate(value: unknown, params: Record<string, string>): string | undefined {
  if (typeof value === 'string') return value;
  const o = rec(value);
  if (!o) return undefined;
  if (typeof o.Ref === 'string') return params[o.Ref];
  if (typeof o['Fn::Sub'] === 'string') {
    let ok = true;
    const out = o['Fn::Sub'].replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
      const v = params[name.trim()];
      if (v === undefined) ok = false;
      return v ?? '';
    });
    return ok ? out : undefined;
  }
  const join = o['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map((p) => evaluate(p, params));
    return parts.every((p) => p !== undefined) ? parts.join(join[0]) : undefined;
  }
  return undefined;
}

/** Whether a certificate name covers a host: exactly, or a wildcard for one label (`*.a.b` covers `x.a.b`, not `y.x.a.b`). */
export function certificateCovers(names: string[], host: string): boolean {
  const h = host.toLowerCase();
  return names.some((n) => n === h || (n.startsWith('*.') && !h.startsWith('*.') && h.slice(h.indexOf('.') + 1) === n.slice(2)));
}
