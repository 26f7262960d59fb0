import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CHANGE_SET_CREATE, ROUND_TRIP } from '../../src/aws/timing-model.js';
import { parseTemplate } from '../../src/gitops/cfn-yaml.js';
import {
  createOps,
  modelStackExecution,
  templateResources,
  updateOps,
  type ModeledResource,
} from '../../src/plan/rollout-estimate.js';
import { describeRequest } from './fault-proxy.js';

/**
 * What this proxy adds to moto, and what it does not model: moto finishes every change set and every
 * stack operation at once, in one thread. In front of it this proxy
 * - `scale` (bench): plays the timing model (src/aws/timing-model.ts) time-scaled — a change set stays
 *   CREATE_IN_PROGRESS for its modeled seconds, an executed stack stays *_IN_PROGRESS (without outputs)
 *   until its modeled resources have finished, its resource events appear as each modeled resource
 *   finishes, and every answer is delayed by the modeled round trip;
 * - `hold` (tests): keeps the executions of chosen stacks in progress until the test releases them,
 *   as complete or failed.
 * Not modeled: throttling, eventual consistency, rollbacks of real failures (a released failure only
 * shows ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE and a failed event), deletes of whole stacks.
 * Only the query-protocol CloudFormation calls apply-region makes are looked at; all else passes.
 */
export interface StackTimingProxyOptions {
  upstream: string;
  /** Real seconds per modeled second (1/60: a modeled minute takes a second). Undefined: no model. */
  scale?: number;
  /** Hold the executions of these stacks (by stack name) until released. */
  hold?: (stackName: string) => boolean;
}

/** One execution as the proxy played it (real clock, ms). */
export interface PlayedExecution {
  stackName: string;
  changeSetType: 'CREATE' | 'UPDATE';
  startedAt: number;
  /** When it finished (modeled end, or the release); undefined while held. */
  endedAt?: number;
  outcome?: 'complete' | 'failed';
  /** Modeled duration in seconds (model mode). */
  modeledSeconds?: number;
}

export interface StackTimingProxy {
  endpoint: string;
  /** Requests per `service.Operation`. */
  calls(): Map<string, number>;
  total(): number;
  executions: PlayedExecution[];
  /** Stacks whose execution is held now. */
  held(): string[];
  /** Resolves once an execution of this stack is held. */
  whenHeld(stackName: string, timeoutMs?: number): Promise<void>;
  release(stackName: string, outcome?: 'complete' | 'failed', reason?: string): void;
  /** Forget executions, change sets and counts (moto's reset is separate). */
  reset(): void;
  /** Change the time scale for what starts from now on (0 or undefined: no modeled time). */
  setScale(scale: number | undefined): void;
  close(): Promise<void>;
}

interface ChangeSetRecord {
  stackName: string;
  stackId?: string;
  name: string;
  type: 'CREATE' | 'UPDATE';
  template: Record<string, unknown>;
  parameters: Record<string, string>;
  readyAt: number;
}

interface Execution extends PlayedExecution {
  stackId: string;
  endAt: number;
  resources: ModeledResource[];
  held: boolean;
  reason?: string;
  /** moto's DescribeStacks answer taken once per execution, served rewritten while in progress. */
  cachedDescribe?: { status: number; headers: Record<string, string>; body: string };
}

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

function nameOf(stackOrArn: string | null): string {
  if (!stackOrArn) return '';
  return /:stack\/([^/]+)\//.exec(stackOrArn)?.[1] ?? stackOrArn;
}

function formParameters(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; form.has(`Parameters.member.${i}.ParameterKey`); i++) {
    out[form.get(`Parameters.member.${i}.ParameterKey`)!] =
      form.get(`Parameters.member.${i}.ParameterValue`) ?? '';
  }
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function eventXml(e: {
  stackId: string;
  stackName: string;
  id: string;
  logicalId: string;
  type: string;
  status: string;
  at: number;
  reason?: string;
}): string {
  return (
    `<member><StackId>${xmlEscape(e.stackId)}</StackId><EventId>${xmlEscape(e.id)}</EventId>` +
    `<StackName>${xmlEscape(e.stackName)}</StackName><LogicalResourceId>${xmlEscape(e.logicalId)}</LogicalResourceId>` +
    `<PhysicalResourceId>${xmlEscape(e.logicalId)}</PhysicalResourceId><ResourceType>${xmlEscape(e.type)}</ResourceType>` +
    `<Timestamp>${new Date(e.at).toISOString()}</Timestamp><ResourceStatus>${e.status}</ResourceStatus>` +
    (e.reason ? `<ResourceStatusReason>${xmlEscape(e.reason)}</ResourceStatusReason>` : '') +
    `</member>`
  );
}

/** moto behind a proxy that makes CloudFormation take its time (model) or wait for the test (hold). */
export async function startStackTimingProxy(opts: StackTimingProxyOptions): Promise<StackTimingProxy> {
  const upstream = new URL(opts.upstream);
  let scale = opts.scale;
  const ms = (seconds: number) => (scale === undefined ? 0 : seconds * 1000 * scale);
  const changeSets = new Map<string, ChangeSetRecord>();
  const deployed = new Map<
    string,
    { template: Record<string, unknown>; parameters: Record<string, string> }
  >();
  const executions: Execution[] = [];
  const waiters: { stack: string; resolve: () => void }[] = [];
  const log: string[] = [];
  const sockets = new Set<Socket>();

  const latest = (stack: string) => [...executions].reverse().find((e) => e.stackName === stack);
  const active = (e: Execution | undefined, now = Date.now()) =>
    !!e && (e.held || (e.outcome === undefined && now < e.endAt));
  const settle = (e: Execution, now = Date.now()) => {
    if (!e.held && e.outcome === undefined && now >= e.endAt) {
      e.outcome = 'complete';
      e.endedAt = e.endAt;
    }
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> =>
    new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers))
              if (typeof v === 'string' && k !== 'content-length' && k !== 'transfer-encoding')
                headers[k] = v;
            resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const send = (
    res: ServerResponse,
    r: { status: number; headers: Record<string, string>; body: string },
  ) => {
    res.writeHead(r.status, { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) });
    res.end(r.body);
  };

  const stackEventsBody = (stack: string): string => {
    const now = Date.now();
    const members: string[] = [];
    for (const e of executions.filter((x) => x.stackName === stack)) {
      settle(e, now);
      const inProgress = `${e.changeSetType}_IN_PROGRESS`;
      const base = { stackId: e.stackId, stackName: stack };
      members.push(
        eventXml({
          ...base,
          id: `${e.startedAt}-stack-start`,
          logicalId: stack,
          type: 'AWS::CloudFormation::Stack',
          status: inProgress,
          at: e.startedAt,
        }),
      );
      for (const r of e.resources) {
        const verb = r.op.toUpperCase();
        const start = e.startedAt + ms(r.startS);
        const end = e.startedAt + ms(r.endS);
        if (start <= now && !(e.outcome === 'failed' && e.endedAt! < start))
          members.push(
            eventXml({
              ...base,
              id: `${e.startedAt}-${r.logicalId}-start`,
              logicalId: r.logicalId,
              type: r.type,
              status: `${verb}_IN_PROGRESS`,
              at: start,
            }),
          );
        if (end <= now && e.outcome !== 'failed' && !e.held)
          members.push(
            eventXml({
              ...base,
              id: `${e.startedAt}-${r.logicalId}-end`,
              logicalId: r.logicalId,
              type: r.type,
              status: `${verb}_COMPLETE`,
              at: end,
            }),
          );
      }
      if (e.outcome === 'failed') {
        members.push(
          eventXml({
            ...base,
            id: `${e.startedAt}-failed`,
            logicalId: stack,
            type: 'AWS::CloudFormation::Stack',
            status: `${e.changeSetType}_FAILED`,
            at: e.endedAt!,
            reason: e.reason ?? 'released as failed by the test',
          }),
        );
      } else if (e.outcome === 'complete') {
        members.push(
          eventXml({
            ...base,
            id: `${e.startedAt}-stack-end`,
            logicalId: stack,
            type: 'AWS::CloudFormation::Stack',
            status: `${e.changeSetType}_COMPLETE`,
            at: e.endedAt!,
          }),
        );
      }
    }
    // Newest first, as CloudFormation lists them (the resource events were pushed in modeled order).
    const sorted = members
      .map((m, i) => ({ m, i, at: Date.parse(/<Timestamp>([^<]+)</.exec(m)![1]!) }))
      .sort((a, b) => b.at - a.at || b.i - a.i)
      .map((x) => x.m);
    return (
      `<DescribeStackEventsResponse xmlns="${NS}"><DescribeStackEventsResult><StackEvents>${sorted.join('')}` +
      `</StackEvents></DescribeStackEventsResult><ResponseMetadata><RequestId>timing-proxy</RequestId></ResponseMetadata></DescribeStackEventsResponse>`
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const text = body.toString('utf8');
    if ((req.url ?? '').startsWith('/moto-api')) return send(res, await forward(req, body));
    const shape = describeRequest(req.method ?? 'GET', req.url ?? '/', req.headers, text);
    log.push(`${shape.service}.${shape.operation}`);
    if (scale) await new Promise((r) => setTimeout(r, ms(ROUND_TRIP.seconds)));
    if (shape.service !== 'cloudformation' || shape.protocol !== 'query')
      return send(res, await forward(req, body));
    const form = new URLSearchParams(text);
    const stack = nameOf(form.get('StackName'));
    const csName = nameOf(form.get('ChangeSetName')).replace(/^.*:changeSet\/([^/]+)\/.*$/, '$1');
    const now = Date.now();

    switch (shape.operation) {
      case 'CreateChangeSet': {
        const r = await forward(req, body);
        if (r.status === 200) {
          const type = form.get('ChangeSetType') === 'UPDATE' ? 'UPDATE' : 'CREATE';
          changeSets.set(`${stack}/${csName}`, {
            stackName: stack,
            stackId: /<StackId>([^<]+)<\/StackId>/.exec(r.body)?.[1],
            name: csName,
            type,
            template: parseTemplate(form.get('TemplateBody') ?? '{}', `${stack}.template`),
            parameters: formParameters(form),
            readyAt: now + ms(CHANGE_SET_CREATE.seconds),
          });
        }
        return send(res, r);
      }
      case 'DescribeChangeSet': {
        const r = await forward(req, body);
        const cs = changeSets.get(`${stack}/${csName}`);
        if (r.status === 200 && cs && Date.now() < cs.readyAt) {
          r.body = r.body
            .replace(/<Status>CREATE_COMPLETE<\/Status>/, '<Status>CREATE_IN_PROGRESS</Status>')
            .replace(
              /<ExecutionStatus>AVAILABLE<\/ExecutionStatus>/,
              '<ExecutionStatus>UNAVAILABLE</ExecutionStatus>',
            );
        }
        return send(res, r);
      }
      case 'ExecuteChangeSet': {
        const cs = changeSets.get(`${stack}/${csName}`);
        const r = await forward(req, body);
        if (r.status === 200 && cs) {
          const resources = templateResources(cs.template);
          const before = deployed.get(stack);
          const ops =
            cs.type === 'CREATE' || !before
              ? createOps(resources)
              : updateOps(before, { template: cs.template, parameters: cs.parameters });
          const modeled = modelStackExecution(resources, ops);
          const held = opts.hold?.(stack) ?? false;
          const stackId = cs.stackId ?? `arn:aws:cloudformation:x:000000000000:stack/${stack}/proxy`;
          executions.push({
            stackName: stack,
            stackId,
            changeSetType: cs.type,
            startedAt: Date.now(),
            endAt: held ? Number.POSITIVE_INFINITY : Date.now() + ms(modeled.executeS),
            resources: scale ? modeled.resources : [],
            held,
            modeledSeconds: modeled.executeS,
          });
          deployed.set(stack, { template: cs.template, parameters: cs.parameters });
          if (held) for (const w of waiters.filter((x) => x.stack === stack)) w.resolve();
        }
        return send(res, r);
      }
      case 'DescribeStacks': {
        const e = latest(stack);
        if (!stack || !e) return send(res, await forward(req, body));
        settle(e);
        if (active(e)) {
          e.cachedDescribe ??= await forward(req, body);
          const c = e.cachedDescribe;
          // moto already finished it: show it in progress, without the outputs it only has once complete.
          return send(res, {
            ...c,
            body: c.body
              .replace(
                /<StackStatus>[A-Z_]+<\/StackStatus>/,
                `<StackStatus>${e.changeSetType}_IN_PROGRESS</StackStatus>`,
              )
              .replace(/<Outputs>[\s\S]*?<\/Outputs>/, '<Outputs/>'),
          });
        }
        const r = await forward(req, body);
        if (e.outcome === 'failed') {
          const status = e.changeSetType === 'CREATE' ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE';
          r.body = r.body.replace(
            /<StackStatus>[A-Z_]+<\/StackStatus>/,
            `<StackStatus>${status}</StackStatus><StackStatusReason>${xmlEscape(e.reason ?? 'released as failed')}</StackStatusReason>`,
          );
        }
        return send(res, r);
      }
      case 'DescribeStackEvents': {
        if (!latest(stack)) return send(res, await forward(req, body));
        return send(res, {
          status: 200,
          headers: { 'content-type': 'text/xml' },
          body: stackEventsBody(stack),
        });
      }
      default:
        return send(res, await forward(req, body));
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => req.socket.destroy());
    });
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => {
      const out = new Map<string, number>();
      for (const op of log) out.set(op, (out.get(op) ?? 0) + 1);
      return out;
    },
    total: () => log.length,
    executions,
    held: () => executions.filter((e) => e.held).map((e) => e.stackName),
    whenHeld: (stack, timeoutMs = 20_000) =>
      executions.some((e) => e.held && e.stackName === stack)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`${stack} was never executed (held)`)),
              timeoutMs,
            );
            waiters.push({
              stack,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          }),
    release: (stack, outcome = 'complete', reason) => {
      const e = executions.find((x) => x.held && x.stackName === stack);
      if (!e)
        throw new Error(
          `${stack} is not held (held: ${executions
            .filter((x) => x.held)
            .map((x) => x.stackName)
            .join(', ')})`,
        );
      e.held = false;
      e.outcome = outcome;
      e.reason = reason;
      e.endedAt = Date.now();
      e.endAt = e.endedAt;
    },
    setScale: (next) => {
      scale = next;
    },
    reset: () => {
      changeSets.clear();
      deployed.clear();
      executions.splice(0);
      log.splice(0);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
