import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTransientError } from '../../src/util/retry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';

// A stub upstream answering the three protocols the way AWS does, so the SDK parses real successes.
let upstream: Server;
let upstreamUrl: string;
let upstreamHits = 0;
beforeAll(async () => {
  upstream = createServer((req, res) => {
    upstreamHits++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers['x-amz-target'])
        return res
          .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify({ Name: 's', SecretString: 'v' }));
      if ((req.url ?? '').startsWith('/2013-04-01/hostedzone'))
        return res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            '<ListHostedZonesResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones/>' +
              '<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>',
          );
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">' +
            '<DescribeStacksResult><Stacks/></DescribeStacksResult>' +
            '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>',
        );
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
});

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const clients = (proxy: FaultProxy, maxAttempts = 1) => ({
  cfn: new CloudFormationClient({ region: 'us-east-2', endpoint: proxy.endpoint, credentials, maxAttempts }),
  sm: new SecretsManagerClient({ region: 'us-east-2', endpoint: proxy.endpoint, credentials, maxAttempts }),
  r53: new Route53Client({ region: 'us-east-1', endpoint: proxy.endpoint, credentials, maxAttempts }),
});

async function failure(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
}

let proxies: FaultProxy[] = [];
async function proxyWith(...args: Parameters<typeof startFaultProxy>): Promise<FaultProxy> {
  const p = await startFaultProxy(...args);
  proxies.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

describe('fault proxy', () => {
  test('forwards calls and counts them per service and operation', async () => {
    const proxy = await proxyWith({ upstream: upstreamUrl });
    const { cfn, sm, r53 } = clients(proxy);
    await cfn.send(new DescribeStacksCommand({}));
    await cfn.send(new DescribeStacksCommand({}));
    const secret = await sm.send(new GetSecretValueCommand({ SecretId: 's' }));
    await r53.send(new ListHostedZonesCommand({}));
    expect(secret.SecretString).toBe('v');
    expect(Object.fromEntries(proxy.calls())).toEqual({
      'cloudformation.DescribeStacks': 2,
      'secretsmanager.GetSecretValue': 1,
      'route53.ListHostedZones': 1,
    });
    expect(proxy.total()).toBe(4);
  });

  test('throttles in the protocol of the request, so the SDK reads the right error code', async () => {
    const proxy = await proxyWith({ upstream: upstreamUrl, rules: [{ fault: 'throttle' }] });
    const { cfn, sm, r53 } = clients(proxy);
    const query = await failure(cfn.send(new DescribeStacksCommand({})));
    const json = await failure(sm.send(new GetSecretValueCommand({ SecretId: 's' })));
    const restXml = await failure(r53.send(new ListHostedZonesCommand({})));
    expect([query.name, query.$metadata?.httpStatusCode]).toEqual(['Throttling', 400]);
    expect([json.name, json.$metadata?.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    expect([restXml.name, restXml.$metadata?.httpStatusCode]).toEqual(['Throttling', 400]);
    expect([query, json, restXml].every(isTransientError)).toBe(true);
    expect(proxy.faults().get('cloudformation.DescribeStacks')).toBe(1);
  });

  test('5xx answers are retried by the SDK until the fault runs out', async () => {
    const proxy = await proxyWith({ upstream: upstreamUrl, rules: [{ fault: 503, times: 2 }] });
    const { cfn } = clients(proxy, 3);
    await expect(cfn.send(new DescribeStacksCommand({}))).resolves.toBeDefined();
    expect(proxy.log.map((c) => c.fault)).toEqual([503, 503, undefined]);
    const one = clients(proxy, 1);
    proxy.rules.push({ fault: 500, times: 1 });
    const err = await failure(one.cfn.send(new DescribeStacksCommand({})));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['InternalFailure', 500]);
  });

  test('firstAttempts faults only the first tries of each call, so a client with more attempts gets through', async () => {
    const proxy = await proxyWith({
      upstream: upstreamUrl,
      rules: [{ firstAttempts: 2, fault: 'throttle' }],
    });
    await expect(clients(proxy, 3).cfn.send(new DescribeStacksCommand({}))).resolves.toBeDefined();
    await expect(clients(proxy, 2).cfn.send(new DescribeStacksCommand({}))).rejects.toThrow('Rate exceeded');
    expect(proxy.log.map((c) => c.fault ?? 'ok')).toEqual([
      'throttle',
      'throttle',
      'ok',
      'throttle',
      'throttle',
    ]);
  });

  test('every Nth matching call fails, selected by X-Amz-Target or Action', async () => {
    const proxy = await proxyWith({
      upstream: upstreamUrl,
      rules: [{ operation: 'GetSecretValue', every: 3, fault: 'throttle' }],
    });
    const { cfn, sm } = clients(proxy);
    const outcomes: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      await cfn.send(new DescribeStacksCommand({}));
      outcomes.push(
        await sm.send(new GetSecretValueCommand({ SecretId: 's' })).then(
          () => true,
          () => false,
        ),
      );
    }
    expect(outcomes).toEqual([true, true, false, true, true, false]);
    expect(proxy.faults().get('cloudformation.DescribeStacks')).toBeUndefined();
  });

  test('a share of calls fails, the same calls for the same seed', async () => {
    const run = async (seed: number) => {
      const proxy = await proxyWith({ upstream: upstreamUrl, seed, rules: [{ share: 0.3, fault: 500 }] });
      const { cfn } = clients(proxy);
      for (let i = 0; i < 60; i++) await cfn.send(new DescribeStacksCommand({})).catch(() => undefined);
      return proxy.log.map((c) => c.fault !== undefined);
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    const failed = a.filter(Boolean).length;
    expect(failed).toBeGreaterThan(6);
    expect(failed).toBeLessThan(36);
  });

  test('a dropped connection fails the call without an answer, and the SDK retries it', async () => {
    const proxy = await proxyWith({ upstream: upstreamUrl, rules: [{ fault: 'drop', times: 1 }] });
    const before = upstreamHits;
    const err = await failure(clients(proxy).cfn.send(new DescribeStacksCommand({})));
    // Under jest's VM realm the SDK re-wraps Node's socket error, so only the message survives.
    expect(err.message).toMatch(/socket hang up|ECONNRESET/);
    expect(upstreamHits).toBe(before);
    proxy.rules.push({ fault: 'drop', times: 1 });
    await expect(clients(proxy, 2).cfn.send(new DescribeStacksCommand({}))).resolves.toBeDefined();
    expect(proxy.log.map((c) => c.fault)).toEqual(['drop', 'drop', undefined]);
  });

  test('stop refuses connections (the emulator died); resume serves again on the same endpoint', async () => {
    const proxy = await proxyWith({
      upstream: upstreamUrl,
      rules: [{ operation: /DescribeStacks$/, after: 1, fault: 'stop', times: 1 }],
    });
    const { cfn } = clients(proxy);
    await cfn.send(new DescribeStacksCommand({}));
    await failure(cfn.send(new DescribeStacksCommand({})));
    expect(proxy.stopped).toBe(true);
    const refused = await failure(clients(proxy).cfn.send(new DescribeStacksCommand({})));
    expect(`${refused.name} ${refused.message} ${String((refused as { code?: string }).code)}`).toMatch(
      /ECONNREFUSED/,
    );
    await proxy.resume();
    await expect(clients(proxy).cfn.send(new DescribeStacksCommand({}))).resolves.toBeDefined();
    expect(proxy.calls().get('cloudformation.DescribeStacks')).toBe(3);
  });

  test('an unsigned query call (AssumeRoleWithWebIdentity) is named by its API version', async () => {
    const proxy = await proxyWith({ upstream: upstreamUrl });
    await fetch(`${proxy.endpoint}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=x',
    });
    expect([...proxy.calls().keys()]).toEqual(['sts.AssumeRoleWithWebIdentity']);
  });
});
