// DNSSEC resource records as data (RFC 4034 2-5), beside the RData kinds of wire/rr.ts, and their
// RDATA in wire form. Kept here until the answer path carries them (issue #13).
import { nameToLabels } from '../wire/name.js';
import type { RData } from '../wire/rr.js';

export const DnssecType = { DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, NXNAME: 128 } as const;

/** DNSKEY flags (RFC 4034 2.1.1): Zone Key bit, plus the Secure Entry Point bit for a KSK/CSK. */
export const DNSKEY_ZONE = 256;
export const DNSKEY_SEP = 1;
/** RFC 4034 2.1.2: the Protocol field MUST be 3. */
export const DNSKEY_PROTOCOL = 3;

export type DnssecRData =
  | { kind: 'dnskey'; flags: number; protocol: number; algorithm: number; publicKey: Uint8Array }
  | { kind: 'ds'; keyTag: number; algorithm: number; digestType: number; digest: Uint8Array }
  | {
      kind: 'rrsig';
      typeCovered: number;
      algorithm: number;
      labels: number;
      originalTtl: number;
      /** Seconds since the epoch, modulo 2^32 as RFC 4034 3.1.5 writes them. */
      expiration: number;
      inception: number;
      keyTag: number;
      signerName: string;
      signature: Uint8Array;
    }
  | { kind: 'nsec'; next: string; types: readonly number[] };

export type AnyRData = RData | DnssecRData;

export function isDnssecRData(rd: AnyRData): rd is DnssecRData {
  return rd.kind === 'dnskey' || rd.kind === 'ds' || rd.kind === 'rrsig' || rd.kind === 'nsec';
}

/** An RRset of any type geosteer serves or signs; wire/rr.ts RRsets are assignable to it. */
export interface SignableRRset {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: readonly AnyRData[];
}

/**
 * Uncompressed wire form of a name with ASCII letters lowercased (RFC 4034 6.2), octet by octet so
 * escaped letters (\065) fold too.
 */
export function canonicalName(name: string): Buffer {
  const labels = nameToLabels(name);
  const out = Buffer.alloc(labels.reduce((n, l) => n + l.length + 1, 1));
  let p = 0;
  for (const l of labels) {
    out[p++] = l.length;
    for (const b of l) out[p++] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  }
  out[p] = 0;
  return out;
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

/**
 * RDATA in canonical wire form (RFC 4034 6.2 item 3, with RFC 6840 5.1): embedded names
 * uncompressed, and lowercased for the types the RFC lists that geosteer serves (NS, CNAME, PTR,
 * MX, SRV, SOA, RRSIG's signer). NSEC's next name is written as given (RFC 6840 5.1 dropped NSEC
 * from that list); geosteer builds it lowercase anyway.
 */
export function rdataWire(rd: AnyRData): Buffer {
  switch (rd.kind) {
    case 'a':
    case 'aaaa':
    case 'opaque':
      return Buffer.from(rd.bytes);
    case 'name':
      return canonicalName(rd.name);
    case 'mx':
      return Buffer.concat([u16(rd.preference), canonicalName(rd.exchange)]);
    case 'srv':
      return Buffer.concat([
        u16(rd.priority),
        u16(rd.weight),
        u16(rd.port),
        canonicalName(rd.target),
      ]);
    case 'soa':
      return Buffer.concat([
        canonicalName(rd.mname),
        canonicalName(rd.rname),
        u32(rd.serial),
        u32(rd.refresh),
        u32(rd.retry),
        u32(rd.expire),
        u32(rd.minimum),
      ]);
    case 'txt':
      return Buffer.concat(rd.strings.flatMap((s) => [Buffer.from([s.length]), Buffer.from(s)]));
    case 'caa': {
      const tag = Buffer.from(rd.tag, 'ascii');
      return Buffer.concat([Buffer.from([rd.flags, tag.length]), tag, Buffer.from(rd.value)]);
    }
    case 'dnskey':
      // RFC 4034 2.1
      return Buffer.concat([
        u16(rd.flags),
        Buffer.from([rd.protocol, rd.algorithm]),
        Buffer.from(rd.publicKey),
      ]);
    case 'ds':
      // RFC 4034 5.1
      return Buffer.concat([
        u16(rd.keyTag),
        Buffer.from([rd.algorithm, rd.digestType]),
        Buffer.from(rd.digest),
      ]);
    case 'rrsig':
      return Buffer.concat([rrsigHeader(rd), Buffer.from(rd.signature)]);
    case 'nsec':
      // RFC 4034 4.1
      return Buffer.concat([Buffer.from(nameWire(rd.next)), typeBitmap(rd.types)]);
  }
}

/** RRSIG RDATA up to and including the Signer's Name (RFC 4034 3.1), the part that is signed. */
export function rrsigHeader(rd: Extract<DnssecRData, { kind: 'rrsig' }>): Buffer {
  return Buffer.concat([
    u16(rd.typeCovered),
    Buffer.from([rd.algorithm, rd.labels]),
    u32(rd.originalTtl),
    u32(rd.expiration),
    u32(rd.inception),
    u16(rd.keyTag),
    canonicalName(rd.signerName),
  ]);
}

/** Wire form of a name as given (no case folding). */
function nameWire(name: string): Buffer {
  const labels = nameToLabels(name);
  return Buffer.concat([
    ...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]),
    Buffer.from([0]),
  ]);
}

/**
 * RFC 4034 4.1.2: the Type Bit Maps field. Types are split into windows of 256 (the high octet);
 * each window present is written as its number, its bitmap length (1-32 octets, trailing zero
 * octets omitted), and the bitmap, where bit 0 of octet 0 (the most significant) is type 0.
 */
export function typeBitmap(types: readonly number[]): Buffer {
  const windows = new Map<number, Uint8Array>();
  for (const t of types) {
    const w = t >> 8;
    let bits = windows.get(w);
    if (!bits) windows.set(w, (bits = new Uint8Array(32)));
    bits[(t & 0xff) >> 3]! |= 0x80 >> (t & 7);
  }
  const parts: Buffer[] = [];
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const bits = windows.get(w)!;
    let len = 32;
    while (len > 0 && bits[len - 1] === 0) len--;
    parts.push(Buffer.from([w, len]), Buffer.from(bits.subarray(0, len)));
  }
  return Buffer.concat(parts);
}

/** Inverse of typeBitmap, for tests and tools: the types set, ascending. */
export function readTypeBitmap(buf: Uint8Array): number[] {
  const types: number[] = [];
  let p = 0;
  while (p + 2 <= buf.length) {
    const w = buf[p]!;
    const len = buf[p + 1]!;
    if (len < 1 || len > 32 || p + 2 + len > buf.length) throw new Error('malformed type bitmap');
    for (let i = 0; i < len; i++)
      for (let b = 0; b < 8; b++)
        if (buf[p + 2 + i]! & (0x80 >> b)) types.push((w << 8) | (i * 8 + b));
    p += 2 + len;
  }
  if (p !== buf.length) throw new Error('malformed type bitmap');
  return types;
}
