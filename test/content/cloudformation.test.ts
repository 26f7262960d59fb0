/**
 * Content checks of gitops/stacks and the region files that feed them: cfn-lint clean, under the
 * CloudFormation body limit, each stack's parameters and output references consistent, and the
 * properties the environment depends on (health checks on the region's own name, the certificate's
 * four names, the database password never a parameter, the workflow roles' trust).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  hasTool,
  readPlatform,
  readRegions,
  readTemplates,
  type RawRegion,
  type Template,
} from './gitops-content.js';

const templates = readTemplates();
const byName = new Map(templates.map((t) => [t.name, t]));
const regions = readRegions();
const platform = readPlatform();
const cfnLint = hasTool('cfn-lint', ['--version']);

function templateOf(stack: { name: string; template?: string }): Template {
  const t = byName.get(stack.template ?? stack.name);
  if (!t) throw new Error(`no template stacks/${stack.template ?? stack.name}.yaml`);
  return t;
}

function regionNamed(name: string): RawRegion {
  const wanted = name === 'hub' ? platform.hubRegion : name;
  const r = regions.find((x) => x.region === wanted);
  if (!r) throw new Error(`no region ${wanted}`);
  return r;
}

describe('CloudFormation templates', () => {
  it('include every stack the environment runs', () => {
    expect([...byName.keys()].sort()).toEqual(
      ['aurora', 'certificates', 'dns', 'eks', 'github-oidc', 'network', 'peering-routes'].sort(),
    );
  });

  (cfnLint || process.env.CI === 'true' ? describe : describe.skip)('cfn-lint', () => {
    interface Finding {
      Filename: string;
      Level: string;
      Message: string;
      Rule: { Id: string };
      Location: { Start: { LineNumber: number } };
    }
    let status = -1;
    let findings: Finding[] = [];
    let raw = '';

    // One run over every template: cfn-lint's start-up dominates its cost.
    beforeAll(() => {
      const run = spawnSync('cfn-lint', ['--format', 'json', ...templates.map((t) => t.file)], {
        encoding: 'utf8',
      });
      if (run.error) throw run.error;
      status = run.status ?? -1;
      raw = `${run.stdout}${run.stderr}`;
      findings = run.stdout.trim() ? (JSON.parse(run.stdout) as Finding[]) : [];
    });

    it('exits without the error bit (2) set', () => {
      if (status < 0 || (status & 2) !== 0) throw new Error(`cfn-lint exit code ${status}:\n${raw}`);
    });

    it.each(templates.map((t) => [t.name, t.file]))('%s has no cfn-lint errors', (_name, file) => {
      const errors = findings
        .filter((f) => f.Level === 'Error' && resolve(f.Filename) === file)
        .map((f) => `${file}:${f.Location.Start.LineNumber} ${f.Rule.Id} ${f.Message}`);
      if (errors.length > 0) throw new Error(`cfn-lint errors:\n${errors.join('\n')}`);
    });
  });
  if (!cfnLint && process.env.CI !== 'true') {
    it.skip('cfn-lint is not installed on this machine: templates were NOT linted', () => undefined);
  }

  it.each(templates.map((t) => [t.name, t.file]))('%s is under the 51,200-byte body limit', (_n, file) => {
    expect(statSync(file).size).toBeLessThan(51_200);
  });

  it('dns: one health check on <region>.<domain> over HTTPS on a database-backed path, no alias records', () => {
    const dns = byName.get('dns')!;
    const checks = Object.values(dns.Resources).filter((r) => r.Type === 'AWS::Route53::HealthCheck');
    expect(checks).toHaveLength(1);
    expect(checks[0]!.Properties!.HealthCheckConfig).toEqual({
      Type: 'HTTPS',
      FullyQualifiedDomainName: { 'Fn::Sub': '${AWS::Region}.${DomainName}' },
      Port: 443,
      // By Coder mode (coder-topology.ts healthCheckPath): a server's /api/v2/updatecheck reads the
      // database on each request and answers 200 before the first user exists (coderd/updatecheck.go);
      // a workspace proxy has no database and probes /healthz.
      ResourcePath: { Ref: 'HealthCheckPath' },
      EnableSNI: true,
      RequestInterval: 30,
      FailureThreshold: 3,
      MeasureLatency: true,
    });
    expect(Object.values(dns.Resources).map((r) => r.Type)).not.toContain('AWS::Route53::RecordSet');
    expect(Object.keys(dns.Outputs)).toContain('HealthCheckId');
    for (const r of regions) {
      const stack = r.stacks.find((s) => s.name === 'dns');
      expect({
        file: r.file,
        DomainName: stack?.parameters?.DomainName,
        HealthCheckPath: stack?.parameters?.HealthCheckPath,
      }).toEqual({
        file: r.file,
        DomainName: { field: 'domain' },
        HealthCheckPath: { field: 'coderHealthCheckPath' },
      });
    }
  });

  it('certificates: the apex, *.<domain>, <region>.<domain> and *.<region>.<domain>, DNS-validated in the zone', () => {
    const cert = Object.values(byName.get('certificates')!.Resources).find(
      (r) => r.Type === 'AWS::CertificateManager::Certificate',
    )!;
    const p = cert.Properties!;
    expect(p.DomainName).toEqual({ Ref: 'DomainName' });
    expect(p.SubjectAlternativeNames).toEqual([
      { 'Fn::Sub': '*.${DomainName}' },
      { 'Fn::Sub': '${AWS::Region}.${DomainName}' },
      { 'Fn::Sub': '*.${AWS::Region}.${DomainName}' },
    ]);
    expect(p.ValidationMethod).toBe('DNS');
    for (const o of p.DomainValidationOptions as { HostedZoneId: unknown }[]) {
      expect(o.HostedZoneId).toEqual({ Ref: 'HostedZoneId' });
    }
  });

  it('aurora: PostgreSQL 15.8 Serverless v2, encrypted, password managed by RDS and never a parameter', () => {
    const aurora = byName.get('aurora')!;
    const cluster = Object.values(aurora.Resources).find(
      (r) => r.Type === 'AWS::RDS::DBCluster',
    )!.Properties!;
    expect(cluster).toMatchObject({
      Engine: 'aurora-postgresql',
      EngineVersion: '15.8',
      ManageMasterUserPassword: true,
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
      ServerlessV2ScalingConfiguration: {
        MinCapacity: { Ref: 'MinCapacity' },
        MaxCapacity: { Ref: 'MaxCapacity' },
      },
    });
    expect(cluster).not.toHaveProperty('MasterUserPassword');
    expect(aurora.Parameters.MinCapacity!.Default).toBe(0.5);
    expect(aurora.Parameters.MaxCapacity!.Default).toBe(16);
    expect(aurora.Parameters.AllowedCidrs!.Type).toBe('CommaDelimitedList');
    expect(Object.keys(aurora.Parameters).filter((p) => /password/i.test(p))).toEqual([]);
    const instances = Object.values(aurora.Resources).filter((r) => r.Type === 'AWS::RDS::DBInstance');
    expect(instances.map((i) => i.Properties!.DBInstanceClass)).toEqual(['db.serverless', 'db.serverless']);
    expect(instances.every((i) => i.Properties!.PubliclyAccessible === false)).toBe(true);
  });

  it('aurora: TLS is enforced by the server (rds.force_ssl through the cluster parameter group)', () => {
    const aurora = byName.get('aurora')!;
    const group = Object.entries(aurora.Resources).find(
      ([, r]) => r.Type === 'AWS::RDS::DBClusterParameterGroup',
    );
    expect(group?.[1].Properties).toMatchObject({
      Family: 'aurora-postgresql15',
      Parameters: { 'rds.force_ssl': '1' },
    });
    const cluster = Object.values(aurora.Resources).find(
      (r) => r.Type === 'AWS::RDS::DBCluster',
    )!.Properties!;
    expect(cluster.DBClusterParameterGroupName).toEqual({ Ref: group![0] });
  });

  it('eks: API authentication with a cluster-admin access entry for the deploy role', () => {
    const eks = byName.get('eks')!;
    const cluster = Object.values(eks.Resources).find((r) => r.Type === 'AWS::EKS::Cluster')!.Properties!;
    expect(cluster.AccessConfig).toMatchObject({ AuthenticationMode: 'API' });
    const entries = Object.values(eks.Resources).filter((r) => r.Type === 'AWS::EKS::AccessEntry');
    const deploy = entries.find(
      (e) => JSON.stringify(e.Properties!.PrincipalArn) === '{"Ref":"DeployRoleArn"}',
    );
    expect(JSON.stringify(deploy?.Properties?.AccessPolicies)).toContain('AmazonEKSClusterAdminPolicy');
    expect(Object.values(eks.Resources).map((r) => r.Type)).toEqual(
      expect.arrayContaining([
        'AWS::IAM::OIDCProvider',
        'AWS::SQS::Queue',
        'AWS::Events::Rule',
        'AWS::IAM::InstanceProfile',
      ]),
    );
  });

  it('github-oidc: deploy trusted only for main / production; verify can test DNS answers', () => {
    const oidc = byName.get('github-oidc')!;
    const deploy = oidc.Resources.DeployRole!.Properties!.AssumeRolePolicyDocument as {
      Statement: { Condition: { StringEquals: Record<string, unknown> } }[];
    };
    expect(deploy.Statement).toHaveLength(1);
    expect(deploy.Statement[0]!.Condition.StringEquals['token.actions.githubusercontent.com:sub']).toEqual([
      {
        'Fn::Sub':
          'repo:${GitHubRepository}:environment:production:ref:refs/heads/main:job_workflow_ref:${GitHubRepository}/.github/workflows/deploy.yml@refs/heads/main',
      },
      {
        'Fn::Sub':
          'repo:${GitHubRepository}:environment:production:ref:refs/heads/main:job_workflow_ref:${GitHubRepository}/.github/workflows/rollout.yml@refs/heads/main',
      },
    ]);
    const verify = JSON.stringify(oidc.Resources.VerifyRole!.Properties!.Policies);
    for (const action of [
      'route53:TestDNSAnswer',
      'route53:GetHealthCheckStatus',
      'rds:DescribeDBClusters',
      'cloudwatch:GetMetricData',
      'cloudwatch:GetMetricStatistics',
    ]) {
      expect(verify).toContain(action);
    }
  });
});

describe('region files against the templates', () => {
  it('VPC CIDRs are distinct /16s', () => {
    const cidrs = regions.map((r) => r.vpcCidr);
    expect(new Set(cidrs).size).toBe(cidrs.length);
    for (const c of cidrs) expect(c).toMatch(/^10\.\d{1,3}\.0\.0\/16$/);
  });

  it('the hub runs the database and spokes peer with it', () => {
    const hub = regionNamed('hub');
    expect(hub.role).toBe('hub');
    expect(hub.stacks.map((s) => s.name)).toContain('aurora');
    for (const spoke of regions.filter((r) => r.role === 'spoke')) {
      expect(spoke.stacks.find((s) => s.name === 'hub-routes')).toMatchObject({
        template: 'peering-routes',
        deployRegion: 'hub',
      });
    }
  });

  it('the hub runs LiteLLM’s database: the aurora template, 0.5–8 ACU, writer only, its own VPC', () => {
    const hub = regionNamed('hub');
    const litellm = hub.stacks.find((s) => s.name === 'litellm-db');
    expect(litellm).toMatchObject({
      template: 'aurora',
      parameters: {
        DatabaseName: 'litellm',
        MinCapacity: 0.5,
        MaxCapacity: 8,
        Readers: 0,
        AllowedCidrs: { field: 'vpcCidr' },
      },
    });
    for (const spoke of regions.filter((r) => r.role === 'spoke')) {
      expect(spoke.stacks.map((s) => s.name)).not.toContain('litellm-db');
    }
  });

  it('the deploy role ARN the eks stacks trust is the one github-oidc names', () => {
    const oidc = byName.get('github-oidc')!;
    expect(oidc.Resources.DeployRole!.Properties!.RoleName).toEqual({
      'Fn::Sub': '${Project}-github-deploy',
    });
    const platformAccount = (platform as unknown as { accountId: string }).accountId;
    for (const r of regions) {
      const eks = r.stacks.find((s) => s.name === 'eks');
      expect({ file: r.file, arn: eks?.parameters?.DeployRoleArn }).toEqual({
        file: r.file,
        arn: `arn:aws:iam::${platformAccount}:role/${platform.project}-github-deploy`,
      });
    }
  });

  const stacks = regions.flatMap((r) => r.stacks.map((s) => [`${r.region}/${s.name}`, r, s] as const));

  it.each(stacks)('%s gives every required parameter and only known ones', (_id, _region, stack) => {
    const t = templateOf(stack);
    const given = Object.keys(stack.parameters ?? {}).sort();
    const required = Object.entries(t.Parameters)
      .filter(([, p]) => p.Default === undefined)
      .map(([k]) => k)
      .sort();
    expect({
      missing: required.filter((k) => !given.includes(k)),
      unknown: given.filter((k) => !t.Parameters[k]),
    }).toEqual({
      missing: [],
      unknown: [],
    });
  });

  const outputSources = regions
    .flatMap((r) => [
      ...r.stacks.flatMap((s) =>
        Object.entries(s.parameters ?? {}).map(([k, v]) => [`${r.region}/${s.name}.${k}`, r, v] as const),
      ),
      ...Object.entries(r.clusterVars).map(([k, v]) => [`${r.region} clusterVars.${k}`, r, v] as const),
    ])
    .filter(([, , v]) => typeof v === 'object' && v !== null && 'output' in v);

  it.each(outputSources)('%s names an output that exists', (_id, region, source) => {
    const { output, region: from } = source as { output: string; region?: string };
    const [stackName, key] = output.split('.') as [string, string];
    const owner = from ? regionNamed(from) : region;
    const stack = owner.stacks.find((s) => s.name === stackName);
    expect({ stack: `${owner.region}/${stackName}`, exists: Boolean(stack) }).toEqual({
      stack: `${owner.region}/${stackName}`,
      exists: true,
    });
    expect(Object.keys(templateOf(stack!).Outputs)).toContain(key);
  });
});
