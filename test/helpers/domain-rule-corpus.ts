import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/*
 * Planted pull requests, one per domain rule (src/review/domain-rules.ts), written the way a new
 * contributor would: each changes a copy of the real gitops/. Planned offline
 * (test/integration/plan-domain-rules.test.ts) and online against moto with main deployed
 * (test/integration/plan-domain-rules-online.test.ts); both must give each its rule and its risk.
 */

/** Replace `from` by `to` in a gitops/ file, which must contain `from`. */
export function edit(gitopsDir: string, rel: string, from: string, to: string): void {
  const file = path.join(gitopsDir, rel);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} does not contain ${from}`);
  writeFileSync(file, text.replace(from, to));
}

export const KARPENTER_SERVER = 'infrastructure/configs/karpenter-coder-server.yaml';

export interface PlantedPullRequest {
  name: string;
  rule: string;
  level: 'high' | 'medium';
  message: RegExp;
  change: (g: string) => void;
  /** validate refuses this content outright (a defect of issue 15): the expected error. */
  refusedByValidate?: RegExp;
}

export const CORPUS: PlantedPullRequest[] = [
  {
    name: 'EKS 1.36 → 1.37 through the template default no region overrides',
    rule: 'eks-version-change',
    level: 'high',
    message: /1\.36 → 1\.37: one minor step, irreversible/,
    change: (g) => edit(g, 'stacks/eks.yaml', 'Default: "1.36"', 'Default: "1.37"'),
  },
  {
    name: 'EKS 1.36 → 1.38 skips a minor version',
    rule: 'eks-version-change',
    level: 'high',
    message: /skips 1 minor version, which EKS refuses/,
    change: (g) => edit(g, 'stacks/eks.yaml', 'Default: "1.36"', 'Default: "1.38"'),
  },
  {
    name: 'Aurora engine 15.8 → 16.4',
    rule: 'aurora-engine-version',
    level: 'high',
    message: /15\.8 → 16\.4 \(major upgrade: irreversible\)/,
    change: (g) => edit(g, 'stacks/aurora.yaml', 'EngineVersion: "15.8"', 'EngineVersion: "16.4"'),
  },
  {
    name: 'Aurora MinCapacity default 0.5 → 2',
    rule: 'aurora-capacity',
    level: 'medium',
    message:
      /MinCapacity 0\.5 → 2: billed around the clock at the floor \(2 ACU × 730 h a month ≈ \$175 a month per instance \(was \$44\) at \$0\.12\/ACU-hour in us-east-2, an estimate\)/,
    change: (g) => edit(g, 'stacks/aurora.yaml', 'Default: 0.5', 'Default: 2'),
  },
  {
    name: 'Aurora MaxCapacity default 16 → 4',
    rule: 'aurora-capacity',
    level: 'medium',
    message: /MaxCapacity 16 → 4/,
    change: (g) => edit(g, 'stacks/aurora.yaml', 'Default: 16', 'Default: 4'),
  },
  // Both regions are workspace proxies (gitops/regions/): not in the apex latency set (servesApex), so the
  // plan's what-if table shows the apex answers unchanged; a replica's table is test/unit/what-if-routing.test.ts.
  {
    name: 'eu-west-2 (a workspace proxy) enabled',
    rule: 'region-enabled',
    level: 'high',
    message:
      /eu-west-2 is enabled: all \d+ of its stacks are created; adds its cost floor, about \$\d+\/month \(estimate at on-demand list prices: .*EKS control plane/,
    change: (g) => edit(g, 'regions/eu-west-2.yaml', 'enabled: false', 'enabled: true'),
  },
  {
    name: 'us-west-2 (a workspace proxy) disabled',
    rule: 'region-disabled',
    level: 'high',
    message:
      /us-west-2 is disabled: .*they are not deleted and keep billing its cost floor, about \$\d+\/month/,
    change: (g) => edit(g, 'regions/us-west-2.yaml', 'enabled: true', 'enabled: false'),
  },
  {
    name: 'database port open to the internet',
    rule: 'network-opening',
    level: 'high',
    message: /ingress from 0\.0\.0\.0\/0 on tcp port 5432 \(the load balancer listens on 443 only\)/,
    change: (g) =>
      edit(
        g,
        'stacks/aurora.yaml',
        '  Ingress0:\n',
        '  OpenIngress:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref SecurityGroup\n      IpProtocol: tcp\n      FromPort: 5432\n      ToPort: 5432\n      CidrIp: 0.0.0.0/0\n  Ingress0:\n',
      ),
  },
  {
    name: 'health check path changed',
    rule: 'health-check-change',
    level: 'medium',
    // The path itself is validate's (only a path that reads the database passes): change the port.
    message: /Port 443 → 8443/,
    change: (g) => edit(g, 'stacks/dns.yaml', '        Port: 443\n', '        Port: 8443\n'),
  },
  {
    name: 'IMDS hop limit raised',
    rule: 'imds-hop-limit',
    level: 'high',
    message: /IMDS hop limit 2 → 3/,
    change: (g) => edit(g, 'stacks/eks.yaml', 'HttpPutResponseHopLimit: 2', 'HttpPutResponseHopLimit: 3'),
  },
  {
    name: 'NLB TLS policy weakened',
    rule: 'nlb-tls-policy',
    level: 'high',
    message: /ELBSecurityPolicy-TLS13-1-2-2021-06 → ELBSecurityPolicy-2016-08/,
    refusedByValidate: /service\.yaml:\d+ .*allows protocols older than TLS 1\.2/,
    change: (g) =>
      edit(
        g,
        'apps/base/coder/service.yaml',
        'ELBSecurityPolicy-TLS13-1-2-2021-06',
        'ELBSecurityPolicy-2016-08',
      ),
  },
  {
    name: 'Karpenter AMI alias @latest',
    rule: 'karpenter-ami-latest',
    level: 'high',
    message: /al2023@v20260714 → al2023@latest/,
    refusedByValidate: /karpenter-coder-server\.yaml:\d+ .*alias al2023@latest drifts/,
    change: (g) => edit(g, KARPENTER_SERVER, 'alias: al2023@v20260714', 'alias: al2023@latest'),
  },
  {
    name: 'Karpenter disruption budgets removed',
    rule: 'karpenter-budgets-removed',
    level: 'high',
    message: /disruption budgets removed/,
    change: (g) => edit(g, KARPENTER_SERVER, '    budgets:\n      - nodes: "1"\n', ''),
  },
  {
    name: 'Karpenter expireAfter shortened',
    rule: 'karpenter-expire-shortened',
    level: 'medium',
    message: /expireAfter 720h → 24h/,
    change: (g) => edit(g, KARPENTER_SERVER, 'expireAfter: 720h', 'expireAfter: 24h'),
  },
  {
    name: 'Flux source URL changed (still under an allowed prefix)',
    rule: 'flux-source-url',
    level: 'medium',
    message: /https:\/\/charts\.external-secrets\.io → https:\/\/charts\.external-secrets\.io\/mirror/,
    change: (g) =>
      edit(
        g,
        'infrastructure/controllers/external-secrets.yaml',
        'url: https://charts.external-secrets.io',
        'url: https://charts.external-secrets.io/mirror',
      ),
  },
];
