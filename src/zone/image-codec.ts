// The byte form of one static node in a zone image (image.ts): its names, flags and RRsets, with
// each RDATA kind of wire/rr.ts written field by field, so a node decodes back to the same data
// the compiler made (answers stay RRsets until wire/encode.ts; DNSSEC signs between the two).
import type { RData, RRset } from '../wire/rr.js';
import type { ZoneNode } from './zone.js';

const KINDS = ['a', 'aaaa', 'name', 'mx', 'srv', 'soa', 'txt', 'caa', 'opaque'] as const;
const CUT = 1;
const OCCLUDED = 2;

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Appends to a growing byte buffer (the image is written once, on the main thread). */
export class ImageWriter {
  buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    this.bytes(utf8.encode(s));
  }
}

/** Reads one node from the image's bytes; every value is copied out (the image stays immutable). */
export class ImageReader {
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    public at: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(): number {
    return this.buf[this.at++]!;
  }
  u16(): number {
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    // slice, not subarray: the RDATA must not be a view on shared memory handed to callers.
    const b = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }
  str(): string {
    const n = this.u32();
    // TextDecoder will not read a view on a SharedArrayBuffer: copy the few octets first.
    const s = text.decode(this.buf.slice(this.at, this.at + n));
    this.at += n;
    return s;
  }
}

function writeRData(w: ImageWriter, r: RData): void {
  w.u8(KINDS.indexOf(r.kind));
  switch (r.kind) {
    case 'a':
    case 'aaaa':
      w.str(r.address);
      w.bytes(r.bytes);
      return;
    case 'name':
      w.str(r.name);
      return;
    case 'mx':
      w.u16(r.preference);
      w.str(r.exchange);
      return;
    case 'srv':
      w.u16(r.priority);
      w.u16(r.weight);
      w.u16(r.port);
      w.str(r.target);
      return;
    case 'soa':
      w.str(r.mname);
      w.str(r.rname);
      for (const v of [r.serial, r.refresh, r.retry, r.expire, r.minimum]) w.u32(v);
      return;
    case 'txt':
      w.u16(r.strings.length);
      for (const s of r.strings) w.bytes(s);
      return;
    case 'caa':
      w.u8(r.flags);
      w.str(r.tag);
      w.bytes(r.value);
      return;
    case 'opaque':
      w.bytes(r.bytes);
      return;
  }
}

function readRData(r: ImageReader): RData {
  const kind = KINDS[r.u8()]!;
  switch (kind) {
    case 'a':
    case 'aaaa':
      return { kind, address: r.str(), bytes: r.bytes() };
    case 'name':
      return { kind, name: r.str() };
    case 'mx':
      return { kind, preference: r.u16(), exchange: r.str() };
    case 'srv':
      return { kind, priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.str() };
    case 'soa': {
      const mname = r.str();
      const rname = r.str();
      const [serial, refresh, retry, expire, minimum] = [
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
        r.u32(),
      ];
      return {
        kind,
        mname,
        rname,
        serial: serial!,
        refresh: refresh!,
        retry: retry!,
        expire: expire!,
        minimum: minimum!,
      };
    }
    case 'txt': {
      const strings: Uint8Array[] = [];
      for (let n = r.u16(); n > 0; n--) strings.push(r.bytes());
      return { kind, strings };
    }
    case 'caa':
      return { kind, flags: r.u8(), tag: r.str(), value: r.bytes() };
    case 'opaque':
      return { kind, bytes: r.bytes() };
  }
}

/**
 * A static node: name, flags, then each RRset (type, TTL, RDATA). An RRset's owner is the node's
 * name (the compiler makes it so: zone/draft.ts addSet); a node that breaks that is refused.
 */
export function writeNode(w: ImageWriter, node: ZoneNode): void {
  w.str(node.name);
  w.u8((node.cut ? CUT : 0) | (node.occluded ? OCCLUDED : 0));
  w.u16(node.rrsets.size);
  for (const [type, set] of node.rrsets) {
    if (set.name !== node.name || set.type !== type)
      throw new Error(`zone image: RRset ${set.name}/${set.type} filed under ${node.name}/${type}`);
    w.u16(type);
    w.u32(set.ttl);
    w.u16(set.rdata.length);
    for (const rd of set.rdata) writeRData(w, rd);
  }
}

export function readNode(r: ImageReader): ZoneNode {
  const name = r.str();
  const flags = r.u8();
  const rrsets = new Map<number, RRset>();
  for (let n = r.u16(); n > 0; n--) {
    const type = r.u16();
    const ttl = r.u32();
    const rdata: RData[] = [];
    for (let k = r.u16(); k > 0; k--) rdata.push(readRData(r));
    rrsets.set(type, { name, type, ttl, rdata });
  }
  return {
    name,
    rrsets,
    cut: (flags & CUT) !== 0,
    occluded: (flags & OCCLUDED) !== 0,
    dynamic: null,
    delegation: null,
  };
}
