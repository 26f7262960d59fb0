import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv4, connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { InputError } from '../util/errors.js';

export interface ClientSubnet {
  /** Network address with the host bits zeroed (RFC 7871 §6). */
  address: string;
  prefix: number;
  family: 1 | 2;
}

export interface DnsQueryOptions {
  server: { host: string; port: number };
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'SOA';
  /** `198.51.100.0/24`: sent as the EDNS Client Subnet option. */
  clientSubnet?: string;
  timeoutMs: number;
  /** Query id (tests); random otherwise. */
  id?: number;
}

export interface DnsRecord {
  name: string;
  type: string;
  ttl?: number;
  data: string;
}

export interface DnsResponse {
  rcode: string;
  authoritative: boolean;
  answers: DnsRecord[];
  /** `tcp` when the UDP answer was truncated (TC) and the query was repeated over TCP. */
  transport: 'udp' | 'tcp';
  /** ECS scope prefix the server answered with, when it echoed the option. */
  ecsScope?: number;
}

function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}

function expandIpv6(addr: string): number[] {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':').filter(Boolean) : [];
  const t = tail ? tail.split(':').filter(Boolean) : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function formatIpv6(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Parse `a.b.c.d/n` or `v6/n` into a client subnet with the host bits zeroed. */
export function parseClientSubnet(text: string, field = 'clientSubnet'): ClientSubnet {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const ip = m?.[1] ?? '';
  const v = isIP(ip);
  const prefix = Number(m?.[2]);
  if (!m || !v || prefix > (v === 4 ? 32 : 128)) {
    throw new InputError(field, `'${text}' is not a subnet like 198.51.100.0/24`);
  }
  if (v === 4) {
    const bytes = maskBytes(ip.split('.').map(Number), prefix);
    return { address: bytes.join('.'), prefix, family: 1 };
  }
  return { address: formatIpv6(maskBytes(expandIpv6(ip), prefix)), prefix, family: 2 };
}

/** The wire query: recursion not desired (we ask authoritative servers), EDNS with ECS when given. */
export function encodeQuery(opts: Pick<DnsQueryOptions, 'name' | 'type' | 'clientSubnet' | 'id'>): Buffer {
  const options: dnsPacket.PacketOpt[] = [];
  if (opts.clientSubnet) {
    const s = parseClientSubnet(opts.clientSubnet);
    options.push({
      code: 8, // CLIENT_SUBNET
      ip: s.address,
      family: s.family,
      sourcePrefixLength: s.prefix,
      scopePrefixLength: 0,
    });
  }
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? Math.floor(Math.random() * 65_536),
    flags: 0,
    questions: [{ type: opts.type, name: opts.name, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options,
      },
    ],
  });
}

function toResponse(packet: dnsPacket.Packet, transport: 'udp' | 'tcp'): DnsResponse {
  const answers: DnsRecord[] = (packet.answers ?? []).map((a) => {
    const rec = a as { name: string; type: string; ttl?: number; data?: unknown };
    return {
      name: rec.name,
      type: rec.type,
      ttl: rec.ttl,
      data: typeof rec.data === 'string' ? rec.data : JSON.stringify(rec.data ?? ''),
    };
  });
  const out: DnsResponse = {
    rcode: (packet as { rcode?: string }).rcode ?? 'NOERROR',
    authoritative: ((packet.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    answers,
    transport,
  };
  for (const add of packet.additionals ?? []) {
    if (add.type !== 'OPT') continue;
    for (const o of (add as dnsPacket.OptAnswer).options ?? []) {
      const ecs = o as unknown as { code?: number; scopePrefixLength?: number };
      if (ecs.code === 8 && typeof ecs.scopePrefixLength === 'number') out.ecsScope = ecs.scopePrefixLength;
    }
  }
  return out;
}

async function serverAddress(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

function queryUdp(
  address: string,
  port: number,
  query: Buffer,
  id: number,
  timeoutMs: number,
): Promise<dnsPacket.Packet> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(isIPv4(address) ? 'udp4' : 'udp6');
    const timer = setTimeout(() => {
      sock.close();
      reject(
        Object.assign(new Error(`no UDP answer from ${address}:${port} within ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (msg) => {
      let packet: dnsPacket.Packet;
      try {
        packet = dnsPacket.decode(msg);
      } catch {
        return; // not a DNS answer: keep waiting
      }
      if (packet.id !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve(packet);
    });
    sock.send(query, port, address);
  });
}

function queryTcp(
  address: string,
  port: number,
  query: Buffer,
  timeoutMs: number,
): Promise<dnsPacket.Packet> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: address, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        Object.assign(new Error(`no TCP answer from ${address}:${port} within ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 2) return;
      const n = buf.readUInt16BE(0);
      if (buf.length < n + 2) return;
      clearTimeout(timer);
      sock.destroy();
      try {
        resolve(dnsPacket.decode(buf.subarray(2, n + 2)));
      } catch (err) {
        reject(err);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Ask one server one question over UDP; when the answer is truncated (TC), ask again over TCP
 * with the 2-byte length prefix (RFC 1035 §4.2.2). Throws on timeout or socket errors.
 */
export async function queryDns(opts: DnsQueryOptions): Promise<DnsResponse> {
  const id = opts.id ?? Math.floor(Math.random() * 65_536);
  const query = encodeQuery({ ...opts, id });
  const address = await serverAddress(opts.server.host);
  const udp = await queryUdp(address, opts.server.port, query, id, opts.timeoutMs);
  if (((udp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) === 0) return toResponse(udp, 'udp');
  const tcp = await queryTcp(address, opts.server.port, query, opts.timeoutMs);
  return toResponse(tcp, 'tcp');
}
