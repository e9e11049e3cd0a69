// One MaxMind-format database file, opened with the `maxmind` reader over a Buffer, with its
// schema detected and its records adapted to what geosteer needs (country, continent, subdivision,
// location) by schema.ts. The schema recorded per file is what its metadata and a sample record
// say, for logs and explain.

import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { Reader } from 'maxmind';
import { lookupText } from '../base/address.js';
import { detectSchema, placeOf, type Place, type Schema } from './schema.js';

export type { Place, Schema } from './schema.js';

export interface DatabaseInfo {
  file: string;
  schema: Schema;
  databaseType: string;
  ipVersion: 4 | 6;
  recordSize: number;
  nodeCount: number;
  buildEpoch: string;
}

export interface DatabaseLookup {
  /** Null when the file has no record for the address, or the record carries no place. */
  place: Place | null;
  /**
   * Prefix length of the tree record that answered (also when it was empty): every address within
   * it gets the same answer from this file. In IPv4 terms for an IPv4 address, whatever the file's
   * ip_version (the reader counts from the IPv4 subtree at ::/96).
   */
  prefix: number;
}

/** Errors opening a file say which file and why; the caller logs them and keeps the old reader. */
export class DatabaseError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'DatabaseError';
  }
}

const DATA_SECTION_SEPARATOR = 16;

export class MmdbDatabase {
  readonly info: DatabaseInfo;
  /** Short name for explain output: the file's base name. */
  readonly origin: string;

  private constructor(
    readonly file: string,
    /** The file's bytes, as the reader reads them (on a SharedArrayBuffer when opened by open). */
    readonly bytes: Buffer,
    private readonly reader: Reader<Record<string, unknown>>,
    readonly schema: Schema,
  ) {
    const m = reader.metadata;
    this.origin = basename(file);
    this.info = {
      file,
      schema,
      databaseType: m.databaseType,
      ipVersion: m.ipVersion as 4 | 6,
      recordSize: m.recordSize,
      nodeCount: m.nodeCount,
      buildEpoch: m.buildEpoch.toISOString(),
    };
  }

  get ipVersion(): 4 | 6 {
    return this.info.ipVersion;
  }

  static async open(file: string): Promise<MmdbDatabase> {
    let buf: Buffer;
    try {
      buf = await readShared(file);
    } catch (e) {
      throw new DatabaseError(file, (e as Error).message);
    }
    return MmdbDatabase.fromBuffer(file, buf);
  }

  /**
   * Checks what a truncated or foreign file would get wrong before any query reads it: the
   * metadata, the tree size against the file size, the 16 zero octets after the tree, and one
   * record decoded. The reader itself checks little and would fail later, per query.
   */
  static fromBuffer(file: string, bytes: Buffer): MmdbDatabase {
    const buf = sharedBuffer(bytes);
    let reader: Reader<Record<string, unknown>>;
    try {
      reader = new Reader(buf);
    } catch (e) {
      throw new DatabaseError(file, `not a MaxMind DB file (${(e as Error).message})`);
    }
    const m = reader.metadata;
    const bad = (why: string) => new DatabaseError(file, `not a usable MaxMind DB file: ${why}`);
    if (m.binaryFormatMajorVersion !== 2)
      throw bad(`binary format ${m.binaryFormatMajorVersion}, expected 2`);
    if (m.ipVersion !== 4 && m.ipVersion !== 6) throw bad(`ip_version ${m.ipVersion}`);
    if (!Number.isInteger(m.nodeCount) || m.nodeCount < 1) throw bad(`node_count ${m.nodeCount}`);
    if (typeof m.databaseType !== 'string') throw bad('no database_type');
    const dataStart = m.searchTreeSize + DATA_SECTION_SEPARATOR;
    if (dataStart > buf.length)
      throw bad(
        `search tree of ${m.searchTreeSize} octets in a ${buf.length}-octet file (truncated?)`,
      );
    for (let i = m.searchTreeSize; i < dataStart; i++)
      if (buf[i] !== 0) throw bad('no data section separator after the search tree (truncated?)');
    let sample: unknown = null;
    try {
      const at = firstDataAddress(buf, m.nodeCount, m.recordSize, m.ipVersion === 6 ? 128 : 32);
      if (at) sample = reader.get(lookupText(at));
    } catch (e) {
      throw bad(`a record does not decode (${(e as Error).message})`);
    }
    return new MmdbDatabase(file, buf, reader, detectSchema(m.databaseType, sample));
  }

  /** Look up one address (4 or 16 octets). Throws only when the file is corrupt past the checks above. */
  lookup(address: Uint8Array): DatabaseLookup {
    const [record, prefix] = this.reader.getWithPrefixLength(lookupText(address));
    return { place: record === null ? null : placeOf(record), prefix };
  }
}

/**
 * A file's bytes in memory every thread of the process can read: the answer threads
 * (src/threads/) each put a reader on a Buffer view of the one copy, instead of 60-190 MiB each.
 */
export async function readShared(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.from(new SharedArrayBuffer(size));
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break; // shortened while read: the checks in fromBuffer judge it
      at += bytesRead;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    await fh.close();
  }
}

/** These bytes on a SharedArrayBuffer: as they are when they already are, else copied once. */
function sharedBuffer(buf: Buffer): Buffer {
  if (buf.buffer instanceof SharedArrayBuffer) return buf;
  const out = Buffer.from(new SharedArrayBuffer(buf.length));
  buf.copy(out);
  return out;
}

/**
 * The address of the first data record in the tree (leftmost), by walking the raw search tree:
 * the reader does not expose one, and schema detection needs a real record. Bounded, so a corrupt
 * tree cannot make it loop.
 */
function firstDataAddress(
  buf: Buffer,
  nodeCount: number,
  recordSize: number,
  bits: number,
): Uint8Array | null {
  const nodeBytes = recordSize / 4;
  const addr = new Uint8Array(bits / 8);
  let visits = 0;
  const record = (node: number, side: number): number => {
    const at = node * nodeBytes;
    if (recordSize === 24) return buf.readUIntBE(at + side * 3, 3);
    if (recordSize === 32) return buf.readUInt32BE(at + side * 4);
    // 28-bit records: the middle octet holds the top nibble of each (left: high, right: low).
    const mid = buf[at + 3]!;
    return side === 0
      ? ((mid & 0xf0) << 20) | buf.readUIntBE(at, 3)
      : ((mid & 0x0f) << 24) | buf.readUIntBE(at + 4, 3);
  };
  const search = (node: number, depth: number): boolean => {
    if (++visits > 10_000) return false;
    for (const side of [0, 1]) {
      const r = record(node, side);
      if (side) addr[depth >> 3]! |= 0x80 >> (depth & 7);
      if (r > nodeCount) return true;
      if (r < nodeCount && depth + 1 < bits && search(r, depth + 1)) return true;
      if (side) addr[depth >> 3]! &= ~(0x80 >> (depth & 7));
    }
    return false;
  };
  return search(0, 0) ? addr : null;
}
