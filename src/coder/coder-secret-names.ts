/**
 * The Secrets Manager names of the Coder credentials (registered in gitops/remote-secrets.yaml):
 * the owner token and the licence live in the hub region and are created by an operator; the proxy
 * token and the provisioner key live in each region and are written by apply-region.
 */
export function coderSecretNames(project: string) {
  return {
    ownerToken: `${project}/coder-owner-token`,
    license: `${project}/coder-license`,
    proxyToken: `${project}/coder-proxy-token`,
    provisionerKey: `${project}/coder-provisioner-key`,
  } as const;
}

/** The tags apply-region puts on the secrets it creates. */
export function producedSecretTags(project: string, region: string): Record<string, string> {
  return { project, region, producer: 'apply-region' };
}
