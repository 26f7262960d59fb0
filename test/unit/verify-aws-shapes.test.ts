import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetHealthCheckStatusCommand,
  GetHostedZoneCommand,
  ListHealthChecksCommand,
  Route53Client,
  TestDNSAnswerCommand,
  type HealthCheckObservation,
  type TestDNSAnswerCommandInput,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsClientFactory } from '../../src/aws/client-factory.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { runVerify } from '../../src/verify/verify-engine.js';
import { verifyTestConfig } from '../helpers/verify-config.js';

// Real Route 53 shapes that moto does not produce: failing checkers, TestDNSAnswer.
const r53 = mockClient(Route53Client);
const cfn = mockClient(CloudFormationClient);

const observations = (failing: number, total: number): HealthCheckObservation[] =>
  Array.from({ length: total }, (_, i) => ({
    Region: 'us-east-1' as const,
    IPAddress: `15.177.0.${i}`,
    StatusReport: {
      Status:
        i < failing
          ? 'Failure: Connection timed out. The endpoint or the internet connection is down.'
          : 'Success: HTTP Status Code 200, OK',
      CheckedTime: new Date(),
    },
  }));

const IPS: Record<string, string> = {
  'us-east-2.coderdemo.io': '192.0.2.10',
  'us-west-2.coderdemo.io': '192.0.2.20',
};

beforeEach(() => {
  r53.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand, { StackName: 'coderdemo-us-east-2-dns' }).resolves({
    Stacks: [
      {
        StackName: 'coderdemo-us-east-2-dns',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'HealthCheckId', OutputValue: 'hc-east' }],
      },
    ],
  });
  cfn.on(DescribeStacksCommand, { StackName: 'coderdemo-us-west-2-dns' }).rejects(
    Object.assign(new Error('Stack with id coderdemo-us-west-2-dns does not exist'), {
      name: 'ValidationError',
    }),
  );
  r53.on(ListHealthChecksCommand).resolves({
    HealthChecks: [
      {
        Id: 'hc-west',
        CallerReference: 'w',
        HealthCheckVersion: 1,
        HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: 'us-west-2.coderdemo.io.' },
      },
    ],
    IsTruncated: false,
    Marker: '',
    MaxItems: 100,
  });
  r53
    .on(GetHealthCheckStatusCommand, { HealthCheckId: 'hc-east' })
    .resolves({ HealthCheckObservations: observations(0, 16) });
  r53
    .on(GetHealthCheckStatusCommand, { HealthCheckId: 'hc-west' })
    .resolves({ HealthCheckObservations: observations(15, 16) });
  r53
    .on(GetHostedZoneCommand)
    .rejects(
      Object.assign(new Error('not authorized to perform route53:GetHostedZone'), { name: 'AccessDenied' }),
    );
  r53.on(TestDNSAnswerCommand).callsFake((input: TestDNSAnswerCommandInput) => {
    const own = IPS[input.RecordName ?? ''];
    const data =
      own ??
      (input.EDNS0ClientSubnetIP === '34.208.0.0'
        ? IPS['us-west-2.coderdemo.io']
        : IPS['us-east-2.coderdemo.io']);
    return {
      Nameserver: 'ns-1.awsdns-01.org',
      RecordName: input.RecordName,
      RecordType: 'A',
      RecordData: [data],
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
    };
  });
});

test('an unhealthy region is a failure, and so is latency routing still answering it', async () => {
  const config = verifyTestConfig({
    regions: [{ name: 'us-east-2' }, { name: 'us-west-2' }],
    vantagePoints: [
      { name: 'ohio', clientSubnet: '3.128.0.0/24', expectedRegions: ['us-east-2'] },
      { name: 'oregon', clientSubnet: '34.208.0.0/24', expectedRegions: ['us-west-2', 'us-east-2'] },
    ],
  });
  const report = await runVerify({
    config,
    regions: ['us-east-2', 'us-west-2'],
    checks: ['health', 'routing'],
    attempts: 1,
    aws: new AwsClientFactory(),
    logger: new MemoryLogger(),
    sleep: async () => {},
  });
  const get = (check: string, target: string) =>
    report.results.find((r) => r.check === check && r.target === target);

  expect(get('health', 'us-east-2.coderdemo.io')).toMatchObject({
    status: 'pass',
    details: { foundVia: 'coderdemo-us-east-2-dns output HealthCheckId' },
  });
  expect(get('health', 'us-west-2.coderdemo.io')).toMatchObject({
    status: 'fail',
    summary: 'UNHEALTHY: 15 of 16 checkers failing',
    details: { healthCheckId: 'hc-west' },
  });
  // The nameservers could not be found: said so, and Route 53's own answers still judge routing.
  expect(get('routing', 'coderdemo.io')?.reason).toMatch(/could not read hosted zone .*AccessDenied/);
  expect(get('routing', 'ohio → coderdemo.io (TestDNSAnswer)')?.status).toBe('pass');
  expect(get('routing', 'oregon → *.coderdemo.io (TestDNSAnswer)')).toMatchObject({
    status: 'fail',
    summary: expect.stringContaining('whose health check is failing'),
  });
  const sent = r53.commandCalls(TestDNSAnswerCommand).map((c) => c.args[0].input);
  expect(sent).toContainEqual(
    expect.objectContaining({
      RecordName: 'coderdemo.io',
      EDNS0ClientSubnetIP: '34.208.0.0',
      EDNS0ClientSubnetMask: '24',
    }),
  );
  expect(report.status).toBe('fail');
});
