import * as dgram from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { encodeQuery, parseClientSubnet, queryDns } from '../../src/verify/dns-query.js';
import { InputError } from '../../src/util/errors.js';

function ecsOption(query: Buffer): {
  family?: number;
  sourcePrefixLength?: number;
  ip?: string;
  data?: Buffer;
} {
  const packet = dnsPacket.decode(query);
  const opt = packet.additionals?.find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  const o = opt?.options.find((x) => (x as { code: unknown }).code === 8);
  return (o ?? {}) as { family?: number; sourcePrefixLength?: number; ip?: string; data?: Buffer };
}

describe('EDNS Client Subnet encoding', () => {
  test('the subnet is sent with its prefix and only the prefix bytes of the address, host bits zeroed', () => {
    const q = encodeQuery({ name: 'coderdemo.io', type: 'A', clientSubnet: '198.51.100.77/24', id: 7 });
    const ecs = ecsOption(q);
    expect(ecs.family).toBe(1);
    expect(ecs.sourcePrefixLength).toBe(24);
    expect(ecs.ip).toBe('198.51.100.0');
    // family(2) + source(1) + scope(1) + ceil(24/8) address bytes (RFC 7871 §6)
    expect(ecs.data).toEqual(Buffer.from([0, 1, 24, 0, 198, 51, 100]));
  });

  test('a /20 keeps the partial byte masked', () => {
    expect(parseClientSubnet('3.128.255.9/20')).toEqual({ address: '3.128.240.0', prefix: 20, family: 1 });
  });

  test('IPv6 subnets are masked too', () => {
    expect(parseClientSubnet('2001:db8:abcd:12::1/48')).toEqual({
      address: '2001:db8:abcd::',
      prefix: 48,
      family: 2,
    });
    const ecs = ecsOption(
      encodeQuery({ name: 'x.test', type: 'AAAA', clientSubnet: '2001:db8::/32', id: 1 }),
    );
    expect(ecs.family).toBe(2);
    expect(ecs.data).toEqual(Buffer.from([0, 2, 32, 0, 0x20, 0x01, 0x0d, 0xb8]));
  });

  test('without a subnet the query carries EDNS but no ECS option', () => {
    expect(ecsOption(encodeQuery({ name: 'x.test', type: 'A', id: 1 })).family).toBeUndefined();
  });

  test.each(['198.51.100.0', '198.51.100.0/33', 'not-an-ip/24', '::/129'])(
    '%s is rejected naming the field',
    (s) => {
      expect(() => parseClientSubnet(s, 'vantagePoints[0].clientSubnet')).toThrow(InputError);
      expect(() => parseClientSubnet(s, 'vantagePoints[0].clientSubnet')).toThrow(
        /vantagePoints\[0\]\.clientSubnet/,
      );
    },
  );
});

describe('UDP with TCP fallback', () => {
  let udp: dgram.Socket;
  let tcp: Server;
  let port: number;
  let truncate = true;
  const tcpQueries: Buffer[] = [];

  function answer(query: Buffer, truncated: boolean): Buffer {
    const q = dnsPacket.decode(query);
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0),
      questions: q.questions,
      answers: truncated
        ? []
        : Array.from({ length: 3 }, (_, i) => ({
            type: 'A' as const,
            name: 'coderdemo.io',
            ttl: 60,
            data: `192.0.2.${i + 1}`,
          })),
    });
  }

  beforeAll(async () => {
    tcp = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < buf.readUInt16BE(0) + 2) return;
        const query = buf.subarray(2, buf.readUInt16BE(0) + 2);
        tcpQueries.push(Buffer.from(query));
        const out = answer(query, false);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.end(Buffer.concat([len, out]));
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    port = (tcp.address() as { port: number }).port;
    udp = dgram.createSocket('udp4');
    udp.on('message', (msg, rinfo) => udp.send(answer(msg, truncate), rinfo.port, rinfo.address));
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
  });

  afterAll(async () => {
    udp.close();
    await new Promise((r) => tcp.close(r));
  });

  test('a truncated UDP answer is asked again over TCP, with the same client subnet', async () => {
    truncate = true;
    const r = await queryDns({
      server: { host: '127.0.0.1', port },
      name: 'coderdemo.io',
      type: 'A',
      clientSubnet: '18.130.0.0/24',
      timeoutMs: 2000,
    });
    expect(r.transport).toBe('tcp');
    expect(r.answers.map((a) => a.data)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(r.authoritative).toBe(true);
    expect(ecsOption(tcpQueries.at(-1)!).ip).toBe('18.130.0.0');
  });

  test('a complete UDP answer stays on UDP', async () => {
    truncate = false;
    const before = tcpQueries.length;
    const r = await queryDns({
      server: { host: '127.0.0.1', port },
      name: 'coderdemo.io',
      type: 'A',
      timeoutMs: 2000,
    });
    expect(r.transport).toBe('udp');
    expect(r.answers).toHaveLength(3);
    expect(tcpQueries.length).toBe(before);
  });

  test('a server that never answers is a timeout error', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      await expect(
        queryDns({
          server: { host: '127.0.0.1', port: silent.address().port },
          name: 'x.test',
          type: 'A',
          timeoutMs: 200,
        }),
      ).rejects.toThrow(/no UDP answer/);
    } finally {
      silent.close();
    }
  });
});
