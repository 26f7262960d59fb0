import { assessFluxDomain, assessTemplateDomain, ruleGuidance } from '../../../src/review/domain-rules.js';
import type { FluxObjectChange } from '../../../src/plan/plan-types.js';

const where = { region: 'us-east-2', stackName: 'coderdemo-us-east-2-eks' };
const sg = (ingress: unknown[]) => ({
  Resources: { Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: ingress } } },
});

describe('assessTemplateDomain', () => {
  it('flags all-protocol and IPv6 ingress from anywhere, not the listener port or a VPC range', () => {
    const after = sg([
      { IpProtocol: '-1', CidrIp: '0.0.0.0/0' },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv6: '::/0' },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' },
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.0.0.0/16' },
    ]);
    const f = assessTemplateDomain(
      where,
      { template: sg([]), parameters: {} },
      { template: after, parameters: {} },
      {
        listenerPorts: [443],
      },
    );
    expect(f.map((x) => x.message)).toEqual([
      'ingress from 0.0.0.0/0 on all protocols ports 0-65535 (the load balancer listens on 443 only)',
      'ingress from ::/0 on tcp port 22 (the load balancer listens on 443 only)',
    ]);
    expect(f.every((x) => x.rule === 'network-opening' && x.level === 'high')).toBe(true);
  });

  it('an ingress that was already there is not flagged again; a CidrIp from a parameter is resolved', () => {
    const t = sg([{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: { Ref: 'Open' } }]);
    expect(
      assessTemplateDomain(
        where,
        { template: t, parameters: { Open: '0.0.0.0/0' } },
        { template: t, parameters: { Open: '0.0.0.0/0' } },
        { listenerPorts: [443] },
      ),
    ).toEqual([]);
    expect(
      assessTemplateDomain(
        where,
        { template: t, parameters: { Open: '10.0.0.0/8' } },
        { template: t, parameters: { Open: '0.0.0.0/0' } },
        { listenerPorts: [443] },
      ).map((x) => x.rule),
    ).toEqual(['network-opening']);
  });

  it('an EKS downgrade is named as refused', () => {
    const eks = (v: string) => ({
      Resources: { C: { Type: 'AWS::EKS::Cluster', Properties: { Version: v } } },
    });
    const f = assessTemplateDomain(
      where,
      { template: eks('1.36'), parameters: {} },
      { template: eks('1.35'), parameters: {} },
      { listenerPorts: [443] },
    );
    expect(f[0]).toMatchObject({
      rule: 'eks-version-change',
      level: 'high',
      message: 'Kubernetes control plane 1.36 → 1.35: a downgrade, which EKS refuses',
    });
  });
});

describe('assessFluxDomain', () => {
  const change = (kind: string, fields: FluxObjectChange['fields']): FluxObjectChange => ({
    region: 'us-east-2',
    kustomization: 'apps',
    apiVersion: 'v1',
    kind,
    name: 'x',
    namespace: 'n',
    action: 'changed',
    fields,
  });
  const path = 'metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy"]';

  it('a stronger or equal TLS policy is not flagged; removing the annotation falls back to the weak default', () => {
    expect(
      assessFluxDomain([
        change('Service', [
          {
            path,
            before: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            after: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
          },
        ]),
      ]),
    ).toEqual([]);
    expect(
      assessFluxDomain([change('Service', [{ path, before: 'ELBSecurityPolicy-TLS13-1-2-2021-06' }])]).map(
        (f) => f.rule,
      ),
    ).toEqual(['nlb-tls-policy']);
  });

  it('expireAfter lengthened or set to Never is not flagged', () => {
    const p = 'spec.template.spec.expireAfter';
    expect(assessFluxDomain([change('NodePool', [{ path: p, before: '720h', after: 'Never' }])])).toEqual([]);
    expect(
      assessFluxDomain([change('NodePool', [{ path: p, before: 'Never', after: '720h' }])]).map(
        (f) => f.rule,
      ),
    ).toEqual(['karpenter-expire-shortened']);
  });

  it('every domain rule has its why and what to check', () => {
    for (const rule of ['eks-version-change', 'network-opening', 'karpenter-ami-latest', 'region-enabled'])
      expect(ruleGuidance(rule)).toMatchObject({ why: expect.any(String), check: expect.any(String) });
    expect(ruleGuidance('stack-change')).toBeUndefined();
  });
});
