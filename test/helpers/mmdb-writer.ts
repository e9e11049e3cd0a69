// A test-only writer for the MaxMind DB format, so tests build their own small .mmdb files in code
// and read them with the real `maxmind` reader (and libmaxminddb's mmdblookup). Spec:
// https://maxmind.github.io/MaxMind-DB/ ("MaxMind DB File Format Specification", version 2.0).
//
// File layout: binary search tree | 16 zero octets | data section | "\xAB\xCD\xEFMaxMind.com" | metadata map.

import { writeFile, rename } from 'node:fs/promises';
import { parseCidr } from '../../src/base/address.js';

/** Values with an explicit MaxMind type; plain JS values get a type from their shape (see `encode`). */
export interface Typed {
  readonly mmdbType:
    'double' | 'float' | 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128' | 'bytes';
  readonly value: number | bigint | Uint8Array;
}

export type MmdbValue =
  | string
  | number
  | boolean
  | bigint
  | Typed
  | readonly MmdbValue[]
  | { readonly [key: string]: MmdbValue };

export const mmdb = {
  double: (value: number): Typed => ({ mmdbType: 'double', value }),
  float: (value: number): Typed => ({ mmdbType: 'float', value }),
  uint16: (value: number): Typed => ({ mmdbType: 'uint16', value }),
  uint32: (value: number): Typed => ({ mmdbType: 'uint32', value }),
  int32: (value: number): Typed => ({ mmdbType: 'int32', value }),
  uint64: (value: bigint): Typed => ({ mmdbType: 'uint64', value }),
  uint128: (value: bigint): Typed => ({ mmdbType: 'uint128', value }),
  bytes: (value: Uint8Array): Typed => ({ mmdbType: 'bytes', value }),
};

export interface MmdbEntry {
  /** "192.0.2.0/24", "2001:db8::/32", or a bare address. */
  readonly network: string;
  readonly data: MmdbValue;
}

export type RecordSize = 24 | 28 | 32;

export interface MmdbOptions {
  readonly ipVersion: 4 | 6;
  readonly recordSize?: RecordSize;
  readonly databaseType?: string;
  readonly languages?: readonly string[];
  readonly description?: Readonly<Record<string, string>>;
  /** Seconds since the epoch. */
  readonly buildEpoch?: bigint;
  /**
   * IPv6 databases only: make ::ffff:0:0/96 (IPv4-mapped) and 2002::/16 (6to4) lead to the IPv4
   * subtree at ::/96, as MaxMind's own writer does for its GeoIP2 databases.
   */
  readonly ipv4Aliases?: boolean;
  /** Write repeated strings and records once and point to them (default true). */
  readonly dedupe?: boolean;
}

// Data section type numbers (spec "Output Data Section").
const T = {
  pointer: 1,
  utf8: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

class Bytes {
  private buf = Buffer.alloc(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  push(...octets: number[]): void {
    this.room(octets.length);
    for (const o of octets) this.buf[this.length++] = o & 0xff;
  }

  append(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Control byte(s): 3 type bits (0 = extended, type-7 in the next octet), then the size encoding. */
function control(out: Bytes, type: number, size: number): void {
  let sizeBits: number;
  let extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    extra = [size - 29];
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    const s = size - 285;
    extra = [s >> 8, s];
  } else if (size < 65821 + 16777216) {
    sizeBits = 31;
    const s = size - 65821;
    extra = [s >> 16, s >> 8, s];
  } else throw new Error(`mmdb-writer: size ${size} too large`);
  if (type <= 7) out.push((type << 5) | sizeBits);
  else out.push(sizeBits, type - 7);
  out.push(...extra);
}

/** Spec "Pointer - 1": four sizes; SS=1 and SS=2 values are stored minus 2048 and 526336. */
export function encodePointer(offset: number): number[] {
  if (offset < 2048) return [0x20 | (offset >> 8), offset];
  if (offset < 526336) {
    const v = offset - 2048;
    return [0x28 | (v >> 16), v >> 8, v];
  }
  if (offset < 134744064) {
    const v = offset - 526336;
    return [0x30 | (v >>> 24), v >> 16, v >> 8, v];
  }
  return [0x38, offset >>> 24, offset >> 16, offset >> 8, offset];
}

function minimalBytes(v: bigint): number[] {
  const out: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return out;
}

function isTyped(v: unknown): v is Typed {
  return typeof v === 'object' && v !== null && 'mmdbType' in v;
}

/** A stable key for a value, types included, so equal records are written once. */
function canonical(v: MmdbValue): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
    if (typeof x === 'object' && x !== null && !Array.isArray(x) && !isTyped(x))
      return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));
    return x;
  });
}

class DataSection {
  readonly out = new Bytes();
  private readonly seen = new Map<string, number>();

  constructor(private readonly dedupe: boolean) {}

  /**
   * Write a value and return where it starts. A value equal to one written before becomes a
   * pointer to it inside maps and arrays; a whole record (`top`) just reuses the earlier offset,
   * since the search tree points at data, not at a pointer.
   */
  write(v: MmdbValue, top = false): number {
    const key = this.dedupe && (typeof v !== 'string' || v.length >= 3) ? canonical(v) : null;
    const at = this.out.length;
    if (key !== null) {
      const prev = this.seen.get(key);
      if (prev !== undefined && top) return prev;
      if (prev !== undefined) {
        this.out.push(...encodePointer(prev));
        return at;
      }
      this.seen.set(key, at);
    }
    encode(this.out, v, (x) => this.write(x));
    return at;
  }
}

/**
 * Encode one value. Plain numbers: a non-negative integer below 2^32 is uint32, a negative one
 * int32, anything else a double; use `mmdb.*` for another type (latitude as double, say).
 */
function encode(out: Bytes, v: MmdbValue, child: (v: MmdbValue) => void): void {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    control(out, T.utf8, b.length);
    out.append(b);
  } else if (typeof v === 'boolean') control(out, T.boolean, v ? 1 : 0);
  else if (typeof v === 'bigint') encode(out, mmdb.uint64(v), child);
  else if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) encode(out, mmdb.uint32(v), child);
    else if (Number.isInteger(v) && v < 0 && v >= -(2 ** 31)) encode(out, mmdb.int32(v), child);
    else encode(out, mmdb.double(v), child);
  } else if (isTyped(v)) encodeTyped(out, v);
  else if (Array.isArray(v)) {
    control(out, T.array, v.length);
    for (const x of v as readonly MmdbValue[]) child(x);
  } else {
    const entries = Object.entries(v as Record<string, MmdbValue>);
    control(out, T.map, entries.length);
    for (const [k, x] of entries) {
      child(k);
      child(x);
    }
  }
}

function encodeTyped(out: Bytes, t: Typed): void {
  const { mmdbType: type, value } = t;
  switch (type) {
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(value as number);
      control(out, T.double, 8);
      out.append(b);
      return;
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(value as number);
      control(out, T.float, 4);
      out.append(b);
      return;
    }
    case 'bytes':
      control(out, T.bytes, (value as Uint8Array).length);
      out.append(value as Uint8Array);
      return;
    case 'int32': {
      const n = value as number;
      // Shorter int32 encodings are zero-padded on the left, so a negative value needs all 4 octets.
      const b = n < 0 ? [n >>> 24, n >> 16, n >> 8, n] : minimalBytes(BigInt(n));
      control(out, T.int32, b.length);
      out.push(...b);
      return;
    }
    default: {
      const max = { uint16: 2, uint32: 4, uint64: 8, uint128: 16 }[type];
      const n = BigInt(value as number | bigint);
      if (n < 0n || n >= 1n << BigInt(max * 8))
        throw new Error(`mmdb-writer: ${String(value)} does not fit ${type}`);
      const b = minimalBytes(n);
      control(out, T[type], b.length);
      out.push(...b);
    }
  }
}

// The search tree: a binary trie over address bits. A slot is empty, a data leaf, or a node.
interface Leaf {
  readonly data: MmdbValue;
}
type Slot = TreeNode | Leaf | null;
class TreeNode {
  readonly children: [Slot, Slot];
  constructor(fill: Slot) {
    this.children = [fill, fill];
  }
}

function bit(bytes: Uint8Array, i: number): 0 | 1 {
  return ((bytes[i >> 3]! >> (7 - (i & 7))) & 1) as 0 | 1;
}

/** Point the slot for bits[0..depth) at `leaf`, splitting any wider leaf on the way down. */
function setSlot(root: TreeNode, bits: Uint8Array, depth: number, slot: Slot): void {
  if (depth === 0) {
    root.children[0] = root.children[1] = slot;
    return;
  }
  let node = root;
  for (let i = 0; i < depth - 1; i++) {
    const b = bit(bits, i);
    const c = node.children[b];
    if (c instanceof TreeNode) node = c;
    else node = node.children[b] = new TreeNode(c);
  }
  node.children[bit(bits, depth - 1)] = slot;
}

function slotAt(root: TreeNode, bits: Uint8Array, depth: number): Slot {
  let s: Slot = root;
  for (let i = 0; i < depth && s instanceof TreeNode; i++) s = s.children[bit(bits, i)];
  return s;
}

/** Tree bits of an entry: IPv4 networks in an IPv6 tree live at ::/96 (spec "IPv4 addresses in an IPv6 tree"). */
function treeBits(entry: MmdbEntry, ipVersion: 4 | 6): { bits: Uint8Array; depth: number } {
  const r = parseCidr(entry.network);
  if (!r.ok) throw new Error(`mmdb-writer: ${r.message}`);
  const { bytes, family, prefix } = r.network;
  if (family === ipVersion) return { bits: bytes, depth: prefix };
  if (family === 6)
    throw new Error(`mmdb-writer: IPv6 network ${entry.network} in an IPv4 database`);
  const bits = new Uint8Array(16);
  bits.set(bytes, 12);
  return { bits, depth: 96 + prefix };
}

const MAX_RECORD: Record<RecordSize, number> = { 24: 2 ** 24, 28: 2 ** 28, 32: 2 ** 32 };

function writeRecords(
  out: Buffer,
  at: number,
  left: number,
  right: number,
  size: RecordSize,
): void {
  if (size === 24) {
    out.writeUIntBE(left, at, 3);
    out.writeUIntBE(right, at + 3, 3);
  } else if (size === 28) {
    // Spec: the middle octet holds the top 4 bits of the left record (high nibble) and of the right one.
    out.writeUIntBE(left & 0xffffff, at, 3);
    out[at + 3] = (((left >>> 24) & 0x0f) << 4) | ((right >>> 24) & 0x0f);
    out.writeUIntBE(right & 0xffffff, at + 4, 3);
  } else {
    out.writeUInt32BE(left, at);
    out.writeUInt32BE(right, at + 4);
  }
}

/**
 * Build a MaxMind DB. Networks may overlap: a more specific network wins inside a wider one,
 * whatever the order given (entries are inserted widest first; equal networks: the later wins).
 */
export function buildMmdb(entries: readonly MmdbEntry[], options: MmdbOptions): Buffer {
  const { ipVersion } = options;
  const recordSize = options.recordSize ?? 28;
  const root = new TreeNode(null);
  const placed = entries
    .map((e, i) => ({ ...treeBits(e, ipVersion), data: e.data, i }))
    .sort((a, b) => a.depth - b.depth || a.i - b.i);
  for (const p of placed) setSlot(root, p.bits, p.depth, { data: p.data });

  if (options.ipv4Aliases) {
    if (ipVersion !== 6) throw new Error('mmdb-writer: ipv4Aliases needs an IPv6 database');
    const zero = new Uint8Array(16);
    let ipv4 = slotAt(root, zero, 96);
    // The alias must lead to a node, so the IPv4 subtree has one even when it holds a single leaf.
    if (!(ipv4 instanceof TreeNode)) {
      ipv4 = new TreeNode(ipv4);
      setSlot(root, zero, 96, ipv4);
    }
    const mapped = new Uint8Array(16);
    mapped[10] = mapped[11] = 0xff;
    setSlot(root, mapped, 96, ipv4);
    const sixToFour = new Uint8Array(16);
    sixToFour[0] = 0x20;
    sixToFour[1] = 0x02;
    setSlot(root, sixToFour, 16, ipv4);
  }

  // Number the nodes breadth-first from the root (the reader starts at node 0). Aliased nodes are
  // reached twice but numbered once.
  const numbers = new Map<TreeNode, number>();
  const order: TreeNode[] = [root];
  numbers.set(root, 0);
  for (let i = 0; i < order.length; i++)
    for (const c of order[i]!.children)
      if (c instanceof TreeNode && !numbers.has(c)) {
        numbers.set(c, order.length);
        order.push(c);
      }
  const nodeCount = order.length;

  const data = new DataSection(options.dedupe ?? true);
  const leafOffsets = new Map<Leaf, number>();
  const record = (s: Slot): number => {
    let v: number;
    if (s === null) v = nodeCount;
    else if (s instanceof TreeNode) v = numbers.get(s)!;
    else {
      let off = leafOffsets.get(s);
      if (off === undefined) {
        off = data.write(s.data, true);
        leafOffsets.set(s, off);
      }
      // Spec: a record above node_count points into the data section at (record - node_count - 16).
      v = off + nodeCount + 16;
    }
    if (v >= MAX_RECORD[recordSize])
      throw new Error(`mmdb-writer: record value ${v} does not fit ${recordSize} bits`);
    return v;
  };

  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((n, i) =>
    writeRecords(tree, i * nodeBytes, record(n.children[0]), record(n.children[1]), recordSize),
  );

  const meta = new Bytes();
  // The metadata map is decoded on its own: no pointers in it.
  const metaValue: MmdbValue = {
    binary_format_major_version: mmdb.uint16(2),
    binary_format_minor_version: mmdb.uint16(0),
    build_epoch: mmdb.uint64(options.buildEpoch ?? 1_700_000_000n),
    database_type: options.databaseType ?? 'geosteer-test',
    description: options.description ?? { en: 'geosteer test database' },
    ip_version: mmdb.uint16(ipVersion),
    languages: options.languages ?? ['en'],
    node_count: mmdb.uint32(nodeCount),
    record_size: mmdb.uint16(recordSize),
  };
  const writeMeta = (v: MmdbValue): void => encode(meta, v, writeMeta);
  writeMeta(metaValue);

  return Buffer.concat([tree, Buffer.alloc(16), data.out.done(), METADATA_MARKER, meta.done()]);
}

/** Write atomically (temporary file, then rename), as a database updater should. */
export async function writeMmdbFile(
  file: string,
  entries: readonly MmdbEntry[],
  options: MmdbOptions,
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, buildMmdb(entries, options));
  await rename(tmp, file);
}

// Record shapes of the three schemas geosteer reads. Coordinates are doubles in GeoIP2 and floats
// in DB-IP Lite, as in the real files.

export interface Place {
  country: string;
  continent?: string;
  lat?: number;
  lon?: number;
  /** ISO 3166-2 subdivision code without the country, e.g. "CA". */
  subdivision?: string;
  city?: string;
}

export type Schema = 'geoip2-city' | 'geoip2-country' | 'dbip-city';

const GEONAME_IDS: Record<string, number> = { EU: 6255148, NA: 6255149, AS: 6255147 };

export function record(schema: Schema, p: Place): MmdbValue {
  if (schema === 'dbip-city')
    return {
      city: p.city ?? '',
      country_code: p.country,
      latitude: mmdb.float(p.lat ?? 0),
      longitude: mmdb.float(p.lon ?? 0),
      postcode: '',
      state1: p.subdivision ? `State ${p.subdivision}` : '',
      state2: '',
      timezone: '',
    };
  const base: Record<string, MmdbValue> = {
    continent: {
      code: p.continent ?? 'EU',
      geoname_id: GEONAME_IDS[p.continent ?? 'EU'] ?? 6255148,
      names: { en: `Continent ${p.continent ?? 'EU'}` },
    },
    country: { geoname_id: 1000, iso_code: p.country, names: { en: `Country ${p.country}` } },
    registered_country: {
      geoname_id: 1000,
      iso_code: p.country,
      names: { en: `Country ${p.country}` },
    },
  };
  if (schema === 'geoip2-country') return base;
  if (p.lat !== undefined && p.lon !== undefined)
    base.location = {
      accuracy_radius: mmdb.uint16(20),
      latitude: mmdb.double(p.lat),
      longitude: mmdb.double(p.lon),
      time_zone: 'Etc/UTC',
    };
  if (p.subdivision)
    base.subdivisions = [
      { geoname_id: 2000, iso_code: p.subdivision, names: { en: p.subdivision } },
    ];
  if (p.city) base.city = { geoname_id: 3000, names: { en: p.city } };
  return base;
}

/** The database_type each schema's real files carry. */
export function databaseType(schema: Schema, ipVersion: 4 | 6): string {
  return schema === 'geoip2-city'
    ? 'GeoLite2-City'
    : schema === 'geoip2-country'
      ? 'GeoLite2-Country'
      : `city ipv${ipVersion}`;
}

/** A whole database of one schema: `places` keyed by network. */
export function buildGeoDatabase(
  schema: Schema,
  ipVersion: 4 | 6,
  places: Readonly<Record<string, Place>>,
  options: Partial<MmdbOptions> = {},
): Buffer {
  return buildMmdb(
    Object.entries(places).map(([network, p]) => ({ network, data: record(schema, p) })),
    { databaseType: databaseType(schema, ipVersion), ...options, ipVersion },
  );
}
