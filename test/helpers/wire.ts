// Raw DNS messages for end-to-end tests: builders that can write what dns-packet refuses to
// (bad counts, pointers in the question, broken OPT records, trailing bytes) and readers for
// the header bits and the OPT record of a reply. Independent of geosteer's own wire code.
import dnsPacket from 'dns-packet';

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** The 4-bit header RCODE (the extended part is in the OPT record). */
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function header(b: Buffer): Header {
  const f = b.readUInt16BE(2);
  return {
    id: b.readUInt16BE(0),
    qr: (f & 0x8000) !== 0,
    opcode: (f >> 11) & 0xf,
    aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0,
    rd: (f & 0x0100) !== 0,
    ra: (f & 0x0080) !== 0,
    ad: (f & 0x0020) !== 0,
    cd: (f & 0x0010) !== 0,
    rcode: f & 0xf,
    qdcount: b.readUInt16BE(4),
    ancount: b.readUInt16BE(6),
    nscount: b.readUInt16BE(8),
    arcount: b.readUInt16BE(10),
  };
}

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;
export const CLASS = { IN: 1, CH: 3, ANY: 255 } as const;

/** A decoded reply; dns-packet sets `rcode` on decode but its types leave it out. */
export type Reply = dnsPacket.Packet & { rcode?: string };

export function decode(b: Buffer): Reply {
  return dnsPacket.decode(b) as Reply;
}

/** Wire form of a name, letter case kept, no compression. */
export function wireName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.split('.').filter((l) => l !== '')) {
    const l = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([l.length]), l);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

/** One question entry: name, type, class. */
export function questionBytes(name: string, qtype: number, qclass: number = CLASS.IN): Buffer {
  return Buffer.concat([wireName(name), u16(qtype), u16(qclass)]);
}

export interface OptSpec {
  udpSize?: number;
  version?: number;
  dnssecOk?: boolean;
  extendedRcode?: number;
  options?: { code: number; data: Buffer }[];
  /** Replace the whole RDATA (for malformed option lists). */
  rdata?: Buffer;
  /** Owner name; the root unless a test wants a bad one. */
  owner?: string;
}

/** An OPT pseudo-RR (RFC 6891 6.1.2). */
export function optBytes(o: OptSpec = {}): Buffer {
  const rdata =
    o.rdata ??
    Buffer.concat((o.options ?? []).flatMap((x) => [u16(x.code), u16(x.data.length), x.data]));
  const ttl = Buffer.alloc(4);
  ttl[0] = o.extendedRcode ?? 0;
  ttl[1] = o.version ?? 0;
  ttl.writeUInt16BE(o.dnssecOk ? 0x8000 : 0, 2);
  return Buffer.concat([
    wireName(o.owner ?? ''),
    u16(TYPE.OPT),
    u16(o.udpSize ?? 1232),
    ttl,
    u16(rdata.length),
    rdata,
  ]);
}

/** A plain A record, for stuffing answer or authority sections of a query. */
export function aRecord(name: string, address = '192.0.2.1'): Buffer {
  return Buffer.concat([
    wireName(name),
    u16(TYPE.A),
    u16(CLASS.IN),
    Buffer.from([0, 0, 0, 60]),
    u16(4),
    Buffer.from(address.split('.').map(Number)),
  ]);
}

export interface RawMessage {
  id?: number;
  /** Whole second header word; default RD set, opcode QUERY. */
  flags?: number;
  questions?: Buffer[];
  answers?: Buffer[];
  authority?: Buffer[];
  additional?: Buffer[];
  /** Override a header count (to lie about the sections). */
  qdcount?: number;
  ancount?: number;
  nscount?: number;
  arcount?: number;
  /** Bytes appended after the last section. */
  trailing?: Buffer;
}

export function message(m: RawMessage): Buffer {
  const qs = m.questions ?? [];
  const an = m.answers ?? [];
  const ns = m.authority ?? [];
  const ar = m.additional ?? [];
  const head = Buffer.concat([
    u16(m.id ?? 0x1234),
    u16(m.flags ?? 0x0100),
    u16(m.qdcount ?? qs.length),
    u16(m.ancount ?? an.length),
    u16(m.nscount ?? ns.length),
    u16(m.arcount ?? ar.length),
  ]);
  return Buffer.concat([head, ...qs, ...an, ...ns, ...ar, m.trailing ?? Buffer.alloc(0)]);
}

export interface QuerySpec {
  id?: number;
  rd?: boolean;
  opcode?: number;
  qclass?: number;
  /** EDNS: an OPT record is added when this is given. */
  edns?: OptSpec;
}

/** A well-formed query, built by hand so the name keeps exactly the letter case given. */
export function query(name: string, qtype: number, q: QuerySpec = {}): Buffer {
  const flags = ((q.opcode ?? 0) << 11) | (q.rd === false ? 0 : 0x0100);
  return message({
    id: q.id ?? 0x1234,
    flags,
    questions: [questionBytes(name, qtype, q.qclass ?? CLASS.IN)],
    additional: q.edns ? [optBytes(q.edns)] : [],
  });
}

/** Byte range of the (single) question in a message: [12, end). */
export function questionEnd(b: Buffer): number {
  let p = 12;
  while (b[p] !== 0) p += 1 + b[p]!;
  return p + 1 + 4;
}

export interface ReplyOpt {
  udpSize: number;
  extendedRcode: number;
  version: number;
  dnssecOk: boolean;
  options: { code: number; data: Buffer }[];
}

/** The OPT record of a reply, read from the raw bytes (null when there is none). */
export function replyOpt(b: Buffer): ReplyOpt | null {
  const p = decode(b);
  const opts = (p.additionals ?? []).filter((a) => a.type === 'OPT');
  if (opts.length > 1) throw new Error('reply has more than one OPT record');
  const o = opts[0] as unknown as
    | {
        udpPayloadSize: number;
        extendedRcode: number;
        ednsVersion: number;
        flags: number;
        options: { code: number; data: Buffer }[];
      }
    | undefined;
  if (!o) return null;
  return {
    udpSize: o.udpPayloadSize,
    extendedRcode: o.extendedRcode,
    version: o.ednsVersion,
    dnssecOk: (o.flags & 0x8000) !== 0,
    options: o.options,
  };
}

/** Full 12-bit RCODE: header bits plus the OPT extension (RFC 6891 6.1.3). */
export function fullRcode(b: Buffer): number {
  const opt = replyOpt(b);
  return header(b).rcode | ((opt?.extendedRcode ?? 0) << 4);
}

/** Seeded PRNG (mulberry32): fuzz cases are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A section as sorted "owner TTL TYPE data" lines, owners case-folded, OPT left out. SOA data is
 * "MNAME RNAME MINIMUM" (the serial is derived from the content, so tests do not pin it).
 */
export function section(rrs: dnsPacket.Answer[] | undefined): string[] {
  return (rrs ?? [])
    .filter((a) => a.type !== 'OPT')
    .map((a) => {
      const r = a as { name: string; type: string; ttl?: number; class?: string; data?: unknown };
      return `${r.name.toLowerCase()} ${r.ttl ?? ''} ${r.type} ${dataText(r.type, r.data)}`;
    })
    .sort();
}

function dataText(type: string, d: unknown): string {
  if (type === 'SOA') {
    const s = d as { mname: string; rname: string; minimum: number };
    return `${s.mname} ${s.rname} ${s.minimum}`;
  }
  if (type === 'MX') {
    const m = d as { preference: number; exchange: string };
    return `${m.preference} ${m.exchange}`;
  }
  if (type === 'SRV') {
    const s = d as { priority: number; weight: number; port: number; target: string };
    return `${s.priority} ${s.weight} ${s.port} ${s.target}`;
  }
  if (Array.isArray(d))
    return d.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))).join('|');
  if (Buffer.isBuffer(d)) return d.toString();
  return String(d);
}
