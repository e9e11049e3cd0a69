// A small DNS client over real sockets for tests. Queries are built and replies decoded with
// dns-packet, an implementation independent of geosteer's own wire code.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';

export interface QueryOptions {
  /** EDNS UDP payload size; undefined sends no OPT record. */
  edns?: number;
  ednsVersion?: number;
  dnssecOk?: boolean;
  /** More EDNS header flag bits, e.g. 0x4000 for CO (RFC 9824 5.1). */
  ednsFlags?: number;
  ednsOptions?: { code: number; data: Buffer }[];
  recursionDesired?: boolean;
  id?: number;
  qclass?: string;
}

export function buildQuery(name: string, type: string, opts: QueryOptions = {}): Buffer {
  const additionals: dnsPacket.Answer[] = [];
  if (opts.edns !== undefined) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: opts.edns,
      extendedRcode: 0,
      ednsVersion: opts.ednsVersion ?? 0,
      flags: (opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0) | (opts.ednsFlags ?? 0),
      options: opts.ednsOptions ?? [],
    } as unknown as dnsPacket.Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? Math.floor(Math.random() * 65535),
    flags: opts.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [
      {
        type: type as dnsPacket.RecordType,
        name,
        class: (opts.qclass ?? 'IN') as dnsPacket.RecordClass,
      },
    ],
    additionals,
  });
}

/** Send raw bytes over UDP; resolves with the raw reply, or null after `timeoutMs` of silence. */
export function udpExchange(
  port: number,
  msg: Buffer,
  host = '127.0.0.1',
  timeoutMs = 1000,
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, timeoutMs);
    sock.on('message', (reply) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.send(msg, port, host);
  });
}

/** Send framed messages over one TCP connection and collect `expect` framed replies. */
export function tcpExchange(
  port: number,
  msgs: Buffer[],
  expect = msgs.length,
  host = '127.0.0.1',
  timeoutMs = 2000,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host });
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`tcp: got ${replies.length}/${expect} replies before timeout`));
    }, timeoutMs);
    sock.on('connect', () => {
      for (const m of msgs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        sock.write(Buffer.concat([len, m]));
      }
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        replies.push(buf.subarray(2, 2 + n));
        buf = buf.subarray(2 + n);
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        sock.destroy();
        resolve(replies);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function queryUdp(
  port: number,
  name: string,
  type: string,
  opts: QueryOptions = {},
  host = '127.0.0.1',
): Promise<Packet> {
  const reply = await udpExchange(port, buildQuery(name, type, opts), host);
  if (!reply) throw new Error(`no UDP reply for ${name} ${type}`);
  return dnsPacket.decode(reply);
}

export async function queryTcp(
  port: number,
  name: string,
  type: string,
  opts: QueryOptions = {},
  host = '127.0.0.1',
): Promise<Packet> {
  const [reply] = await tcpExchange(port, [buildQuery(name, type, opts)], 1, host);
  return dnsPacket.decode(reply!);
}

/** Header flags of a decoded packet as a set of names, e.g. ['qr', 'aa']. */
export function flagsOf(p: Packet): string[] {
  const f = p.flags ?? 0;
  const out: string[] = [];
  // dns-packet moves QR into `type` and masks it out of `flags`.
  if (p.type === 'response') out.push('qr');
  if (f & 0x0400) out.push('aa');
  if (f & 0x0200) out.push('tc');
  if (f & 0x0100) out.push('rd');
  if (f & 0x0080) out.push('ra');
  return out;
}

/** Record data of a section as comparable strings: "name TTL TYPE data". */
export function rrs(section: dnsPacket.Answer[] | undefined): string[] {
  return (section ?? [])
    .filter((a) => a.type !== 'OPT')
    .map((a) => `${a.name.toLowerCase()} ${'ttl' in a ? a.ttl : ''} ${a.type} ${dataText(a)}`)
    .sort();
}

function dataText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  if (Array.isArray(d))
    return d.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))).join('|');
  if (Buffer.isBuffer(d)) return d.toString();
  if (typeof d === 'object' && d !== null) return JSON.stringify(d).toLowerCase();
  return String(d).toLowerCase();
}

// EDNS Client Subnet (RFC 7871 6), built and read here byte by byte rather than with dns-packet's
// ECS codec, so tests can also send options that are malformed on purpose.

export const ECS_OPTION_CODE = 8;

/** Fields of an ECS option; `address` holds exactly the octets sent (or received). */
export interface EcsFields {
  family: number;
  sourcePrefix: number;
  scopePrefix: number;
  address: Buffer;
}

/**
 * The ECS option for a client subnet in CIDR text ("198.51.100.0/24", "2001:db8::/56"): FAMILY
 * 1 or 2, the prefix as SOURCE PREFIX-LENGTH, and ceil(prefix/8) address octets. `patch` replaces
 * any field, to build malformed options.
 */
export function ecsOption(
  subnet: string,
  patch: Partial<EcsFields> = {},
): { code: number; data: Buffer } {
  const [addr, len] = subnet.split('/') as [string, string | undefined];
  const v6 = addr.includes(':');
  const bytes = v6 ? ipv6Octets(addr) : Buffer.from(addr.split('.').map(Number));
  const sourcePrefix = len === undefined ? bytes.length * 8 : Number(len);
  const f: EcsFields = {
    family: v6 ? 2 : 1,
    sourcePrefix,
    scopePrefix: 0,
    address: bytes.subarray(0, Math.ceil(sourcePrefix / 8)),
    ...patch,
  };
  return { code: ECS_OPTION_CODE, data: ecsData(f) };
}

/** The option data for exactly these fields. */
export function ecsData(f: EcsFields): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(f.family, 0);
  head[2] = f.sourcePrefix;
  head[3] = f.scopePrefix;
  return Buffer.concat([head, f.address]);
}

/** Every ECS option in a decoded reply's OPT record (RFC 7871 7.2.1: at most one is expected). */
export function ecsEchoes(p: Packet): EcsFields[] {
  const out: EcsFields[] = [];
  for (const a of p.additionals ?? []) {
    if (a.type !== 'OPT') continue;
    for (const o of (a as unknown as { options: { code: number; data: Buffer }[] }).options ?? []) {
      if (o.code !== ECS_OPTION_CODE || o.data.length < 4) continue;
      out.push({
        family: o.data.readUInt16BE(0),
        sourcePrefix: o.data[2]!,
        scopePrefix: o.data[3]!,
        address: Buffer.from(o.data.subarray(4)),
      });
    }
  }
  return out;
}

/** RFC 4291 2.2 text to 16 octets ("::" expanded; no embedded IPv4). */
function ipv6Octets(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all =
    tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
