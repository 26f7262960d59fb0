/**
 * A role's trust policy from a template (JSON form), ready for {@link evaluateWebIdentityTrust}: `!Sub`
 * strings resolved against the given names, and the federated principal (an `!If`/`!Ref` on the OIDC
 * provider in github-oidc.yaml) set to the provider ARN given. What the principal itself may be is the
 * policy test's concern (test/policy); this reader serves checks of the subjects a role accepts.
 */
export function readTrustPolicy(
  template: Record<string, unknown>,
  logicalId: string,
  names: Record<string, string>,
  providerArn: string,
): { Statement: Record<string, unknown>[] } {
  const resources = (template.Resources ?? {}) as Record<
    string,
    { Type?: string; Properties?: Record<string, unknown> }
  >;
  const role = resources[logicalId];
  if (!role || role.Type !== 'AWS::IAM::Role')
    throw new Error(`no AWS::IAM::Role ${logicalId} in the template`);
  const resolve = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => resolve(v, `${where}[${i}]`));
    if (!value || typeof value !== 'object') return value;
    const sub = (value as { 'Fn::Sub'?: unknown })['Fn::Sub'];
    if (typeof sub === 'string') {
      return sub.replace(/\$\{([^}!]+)\}/g, (_whole, name: string) => {
        const resolved = names[name];
        if (resolved === undefined) throw new Error(`${where}: cannot resolve \${${name}}`);
        return resolved;
      });
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, `${where}.${k}`)]));
  };
  const doc = (role.Properties?.AssumeRolePolicyDocument ?? {}) as { Statement?: unknown };
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) as Record<
    string,
    unknown
  >[];
  return {
    Statement: statements.map((st, i) => {
      const where = `${logicalId}.AssumeRolePolicyDocument.Statement[${i}]`;
      const { Principal, ...rest } = st;
      const federated = (Principal as { Federated?: unknown } | undefined)?.Federated !== undefined;
      return {
        ...(resolve(rest, where) as Record<string, unknown>),
        Principal: federated ? { Federated: providerArn } : resolve(Principal, `${where}.Principal`),
      };
    }),
  };
}
