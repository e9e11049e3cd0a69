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
      flags: opts.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
      options: opts.ednsOptions ?? [],
    } as unknown as dnsPacket.Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? Math.floor(Math.random() * 65535),
    flags: opts.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ type: type as dnsPacket.RecordType, name, class: (opts.qclass ?? 'IN') as dnsPacket.RecordClass }],
    additionals,
  });
}

/** Send raw bytes over UDP; resolves with the raw reply, or null after `timeoutMs` of silence. */
export function udpExchange(port: number, msg: Buffer, host = '127.0.0.1', timeoutMs = 1000): Promise<Buffer | null> {
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
export function tcpExchange(port: number, msgs: Buffer[], expect = msgs.length, host = '127.0.0.1', timeoutMs = 2000): Promise<Buffer[]> {
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

export async function queryUdp(port: number, name: string, type: string, opts: QueryOptions = {}, host = '127.0.0.1'): Promise<Packet> {
  const reply = await udpExchange(port, buildQuery(name, type, opts), host);
  if (!reply) throw new Error(`no UDP reply for ${name} ${type}`);
  return dnsPacket.decode(reply);
}

export async function queryTcp(port: number, name: string, type: string, opts: QueryOptions = {}, host = '127.0.0.1'): Promise<Packet> {
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
  if (Array.isArray(d)) return d.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))).join('|');
  if (Buffer.isBuffer(d)) return d.toString();
  if (typeof d === 'object' && d !== null) return JSON.stringify(d).toLowerCase();
  return String(d).toLowerCase();
}
