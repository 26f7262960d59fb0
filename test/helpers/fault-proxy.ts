import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to a selected call instead of forwarding it. */
export type FaultKind =
  /** 400 Throttling in the request's own protocol (query/REST-XML: XML; JSON: `__type`). */
  | 'throttle'
  /** 500 InternalFailure. */
  | 500
  /** 503 ServiceUnavailable. */
  | 503
  /** Close the connection without an answer. */
  | 'drop'
  /** Close this connection and stop listening: the emulator died. */
  | 'stop';

export interface FaultRule {
  /** Which calls: `Service.Operation` / `Operation` (exact) or a RegExp over `service.Operation`; default all. */
  operation?: string | RegExp;
  /** Deterministic: fault every Nth matching call (the Nth, 2Nth…). */
  every?: number;
  /** Random: fault this share (0..1) of matching calls, drawn from the proxy's seeded PRNG. */
  share?: number;
  /** Let this many matching calls through before the rule may fire. */
  after?: number;
  /** Fire at most this many times. */
  times?: number;
  /**
   * Only on the SDK's first N attempts of a call (its `amz-sdk-request: attempt=K` header), so a client
   * with more attempts always gets through: deterministic whatever the concurrency.
   */
  firstAttempts?: number;
  fault: FaultKind;
}

export interface FaultProxyOptions {
  /** Where calls go (moto's endpoint). */
  upstream: string;
  rules?: FaultRule[];
  /** Seed of the PRNG used by `share` rules (same seed, same faults). */
  seed?: number;
  port?: number;
  /** Keep the response bodies of matching operations (`service.Operation`), e.g. to learn issued keys. */
  record?: RegExp;
  /** Keep each call's request (method, path, body, signing key and region): the IAM call recorder's input. */
  keepRequests?: boolean;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
  /** The access key id that signed it (none for unsigned calls). */
  accessKeyId?: string;
  /** The region of the signature's credential scope. */
  region?: string;
}

export interface ProxiedCall {
  /** `service.Operation`, e.g. `cloudformation.CreateChangeSet`. */
  operation: string;
  /** The fault injected, or undefined when forwarded. */
  fault?: FaultKind;
  /** With `keepRequests`. */
  request?: ProxiedRequest;
}

export interface FaultProxy {
  /** Value for AWS_ENDPOINT_URL. */
  endpoint: string;
  port: number;
  /** Rules in force; replace or push at any time. */
  rules: FaultRule[];
  /** Every request that reached the proxy, in order. */
  log: ProxiedCall[];
  /** Response bodies of the operations named by `record`. */
  recorded: { operation: string; body: string }[];
  /** Requests per `service.Operation` (faulted ones included: they are calls the client made). */
  calls(): Map<string, number>;
  /** Faults injected per `service.Operation`. */
  faults(): Map<string, number>;
  /** Total requests (all operations). */
  total(): number;
  /** Forget the log (rules and rule counters stay). */
  resetCounts(): void;
  /** Refuse connections from now on (listening socket closed, open connections cut). */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  resume(): Promise<void>;
  readonly stopped: boolean;
  close(): Promise<void>;
}

type Protocol = 'query' | 'json' | 'rest-xml' | 'rest-json';

interface RequestShape {
  service: string;
  operation: string;
  protocol: Protocol;
}

// Query-protocol services sign the body; unsigned calls (AssumeRoleWithWebIdentity) are known by API version.
const QUERY_VERSIONS: Record<string, string> = {
  '2011-06-15': 'sts',
  '2010-05-15': 'cloudformation',
  '2015-12-01': 'elasticloadbalancing',
  '2014-10-31': 'rds',
  '2010-08-01': 'monitoring',
};

// Route 53 is REST-XML: the operation is in the method and path.
const ROUTE53_PATHS: [string, RegExp, string][] = [
  ['POST', /\/hostedzone\/[^/]+\/rrset\/?$/, 'ChangeResourceRecordSets'],
  ['GET', /\/hostedzone\/[^/]+\/rrset\/?$/, 'ListResourceRecordSets'],
  ['GET', /\/change\/[^/]+$/, 'GetChange'],
  ['GET', /\/hostedzone\/[^/]+$/, 'GetHostedZone'],
  ['GET', /\/hostedzone\/?$/, 'ListHostedZones'],
  ['GET', /\/hostedzonesbyname\/?$/, 'ListHostedZonesByName'],
  ['POST', /\/hostedzone\/?$/, 'CreateHostedZone'],
  ['GET', /\/healthcheck\/[^/]+\/status$/, 'GetHealthCheckStatus'],
  ['GET', /\/healthcheck\/[^/]+$/, 'GetHealthCheck'],
  ['GET', /\/healthcheck\/?$/, 'ListHealthChecks'],
  ['POST', /\/healthcheck\/?$/, 'CreateHealthCheck'],
  ['GET', /\/testdnsanswer$/, 'TestDNSAnswer'],
];

function signedService(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  return typeof auth === 'string' ? /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] : undefined;
}

/** Name the AWS operation of a raw HTTP request, for any of the protocols the SDK speaks. */
export function describeRequest(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: string,
): RequestShape {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix = '', op = target] = target.split('.');
    return { service: signedService(headers) ?? prefix, operation: op, protocol: 'json' };
  }
  const contentType = String(headers['content-type'] ?? '');
  const form = contentType.includes('x-www-form-urlencoded')
    ? new URLSearchParams(body)
    : new URL(path, 'http://x').searchParams;
  const action = form.get('Action');
  if (action) {
    const service = signedService(headers) ?? QUERY_VERSIONS[form.get('Version') ?? ''] ?? 'unknown';
    return { service, operation: action, protocol: 'query' };
  }
  const service = signedService(headers) ?? 'unknown';
  const pathname = new URL(path, 'http://x').pathname;
  if (service === 'route53' || pathname.startsWith('/2013-04-01/')) {
    const hit = ROUTE53_PATHS.find(([m, re]) => m === method && re.test(pathname));
    return { service: 'route53', operation: hit?.[2] ?? `${method} ${pathname}`, protocol: 'rest-xml' };
  }
  // Other REST services (EKS): the method and path stand in for the operation name.
  return { service, operation: `${method} ${pathname}`, protocol: 'rest-json' };
}

/** mulberry32: small, seeded, good enough to pick which calls fail. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ruleMatches(rule: FaultRule, shape: RequestShape): boolean {
  const key = `${shape.service}.${shape.operation}`;
  if (rule.operation === undefined) return true;
  if (typeof rule.operation === 'string')
    return rule.operation === shape.operation || rule.operation.toLowerCase() === key.toLowerCase();
  return rule.operation.test(key);
}

function errorBody(shape: RequestShape, code: string, message: string): { type: string; body: string } {
  const requestId = `fault-proxy-${Date.now().toString(36)}`;
  if (shape.protocol === 'json')
    return {
      type: 'application/x-amz-json-1.1',
      body: JSON.stringify({ __type: code, message }),
    };
  if (shape.protocol === 'rest-json') return { type: 'application/json', body: JSON.stringify({ message }) };
  const xmlns =
    shape.protocol === 'rest-xml'
      ? ' xmlns="https://route53.amazonaws.com/doc/2013-04-01/"'
      : ` xmlns="http://${shape.service}.amazonaws.com/doc/"`;
  return {
    type: 'text/xml',
    body:
      `<ErrorResponse${xmlns}><Error><Type>${code === 'Throttling' ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function sendFault(res: ServerResponse, shape: RequestShape, fault: 400 | 500 | 503): void {
  const [code, message] =
    fault === 400
      ? [shape.protocol === 'json' ? 'ThrottlingException' : 'Throttling', 'Rate exceeded']
      : fault === 500
        ? ['InternalFailure', 'fault-proxy: injected internal failure']
        : [
            shape.protocol === 'json' ? 'ServiceUnavailableException' : 'ServiceUnavailable',
            'fault-proxy: injected service unavailable',
          ];
  const { type, body } = errorBody(shape, code, message);
  const headers: Record<string, string> = {
    'content-type': type,
    'x-amzn-requestid': 'fault-proxy',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (shape.protocol === 'json' || shape.protocol === 'rest-json') headers['x-amzn-errortype'] = code;
  res.writeHead(fault, headers).end(body);
}

/**
 * An HTTP proxy in front of the AWS emulator that names each call's operation, counts calls, and injects
 * throttling, 5xx, dropped connections or the emulator's death on chosen calls (every Nth, a seeded share,
 * or by operation).
 */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const random = seededRandom(opts.seed ?? 1);
  const rules: FaultRule[] = opts.rules ?? [];
  const log: ProxiedCall[] = [];
  // Per-rule counters live beside the rule objects so `rules` can be replaced freely.
  const seen = new WeakMap<FaultRule, { matched: number; fired: number }>();
  const sockets = new Set<Socket>();
  let stopped = false;
  let server: Server;
  let port = opts.port ?? 0;

  const pickFault = (shape: RequestShape, attempt: number): FaultKind | undefined => {
    for (const rule of proxy.rules) {
      if (!ruleMatches(rule, shape)) continue;
      if (rule.firstAttempts !== undefined && attempt > rule.firstAttempts) continue;
      const counter = seen.get(rule) ?? { matched: 0, fired: 0 };
      seen.set(rule, counter);
      counter.matched++;
      if (counter.matched <= (rule.after ?? 0)) continue;
      if (rule.times !== undefined && counter.fired >= rule.times) continue;
      const n = counter.matched - (rule.after ?? 0);
      const fire =
        rule.every !== undefined
          ? n % rule.every === 0
          : rule.share !== undefined
            ? random() < rule.share
            : true;
      if (!fire) continue;
      counter.fired++;
      return rule.fault;
    }
    return undefined;
  };

  const recorded: { operation: string; body: string }[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, operation?: string): void => {
    const up = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (operation && opts.record?.test(operation)) {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => recorded.push({ operation, body: Buffer.concat(chunks).toString('utf8') }));
        }
        upRes.pipe(res);
      },
    );
    up.on('error', () => {
      // The emulator itself is gone: behave like it, cut the connection.
      req.socket.destroy();
    });
    up.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const shape = describeRequest(req.method ?? 'GET', req.url ?? '/', req.headers, body.toString('utf8'));
      const operation = `${shape.service}.${shape.operation}`;
      // moto's own control plane (reset, data.json) is not an AWS call.
      if ((req.url ?? '').startsWith('/moto-api')) return forward(req, res, body);
      const attempt = Number(/attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''))?.[1] ?? 1);
      const fault = pickFault(shape, attempt);
      const auth = String(req.headers.authorization ?? '');
      const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\//.exec(auth);
      const request: ProxiedRequest | undefined = opts.keepRequests
        ? {
            method: req.method ?? 'GET',
            path: req.url ?? '/',
            body: body.toString('utf8'),
            ...(scope ? { accessKeyId: scope[1], region: scope[2] } : {}),
          }
        : undefined;
      log.push({ operation, fault, ...(request ? { request } : {}) });
      if (fault === undefined) return forward(req, res, body, operation);
      if (fault === 'drop') return void req.socket.destroy();
      if (fault === 'stop') {
        req.socket.destroy();
        return void proxy.stop();
      }
      sendFault(res, shape, fault === 'throttle' ? 400 : fault);
    });
  };

  const listen = async (): Promise<void> => {
    server = createServer(handle);
    server.keepAliveTimeout = 1000;
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    stopped = false;
  };

  const count = (pick: (c: ProxiedCall) => boolean): Map<string, number> => {
    const out = new Map<string, number>();
    for (const c of log) if (pick(c)) out.set(c.operation, (out.get(c.operation) ?? 0) + 1);
    return out;
  };

  await listen();
  const proxy: FaultProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    rules,
    log,
    recorded,
    calls: () => count(() => true),
    faults: () => count((c) => c.fault !== undefined),
    total: () => log.length,
    resetCounts: () => void log.splice(0),
    get stopped() {
      return stopped;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async resume() {
      if (!stopped) return;
      await listen();
    },
    async close() {
      await proxy.stop();
    },
  };
  return proxy;
}
