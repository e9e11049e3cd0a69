// How large a zone file may be (docs/zone-format.md#limits): limits no sane zone reaches, so
// that a bad file (a generator gone wrong, a hostile edit) costs bounded memory and time to
// reject instead of exhausting the process that serves every other zone. Nesting depth is
// checked while parsing (MAX_NESTING in base/yaml-parse.ts); size before parsing; counts after
// parsing and before compiling, which is where the memory per record is spent (with records: read
// in pieces, compile-pieces.ts, each piece is counted before it is compiled).
import { open } from 'node:fs/promises';
import { type Problem, ProblemCode as C } from '../base/errors.js';
import type { Pair, YAMLMap, YAMLSeq } from 'yaml';
import { STATIC_TYPES } from './zone-keys.js';
import {
  type Entry,
  isMap,
  isScalar,
  isSeq,
  joinPath,
  type Node,
  scalarText,
  type Source,
} from '../base/yaml-source.js';

export interface ZoneLimits {
  /** Octets per zone file. */
  readonly fileOctets: number;
  /** Names under `records:` per zone (a name may hold no record: `www: {}`). */
  readonly names: number;
  /** Records per zone: static values, steered names (one each), apex NS and glue, site addresses. */
  readonly records: number;
  /** Values per RRset: one type of one name, a site's addresses, the zone's nameservers. */
  readonly rrset: number;
}

/**
 * 16 MiB: a zone of 100,000 simple records is 3 MB. Read in pieces (compile-pieces.ts) `geosteer
 * check` on it peaks at 267 MiB, about 90 octets per octet of file, most of it the compiled zone
 * and its drafts; a file that must be read whole (anchors, flow-style records:, ...) peaked at
 * 0.9 GB (YAML parsing holds about 300 octets per octet of file), so a file at the limit needs
 * about 1.5 GB read in pieces and 5 GB read whole, not more.
 * 1,000,000 names and 1,000,000 records: ten times a large zone, and about what 16 MiB can hold.
 * 1,000 values per RRset: an A RRset that size is 16 KB, over any UDP answer; BIND 9.20's
 * max-records-per-type is 100.
 */
export const ZONE_LIMITS: ZoneLimits = {
  fileOctets: 16 * 1024 * 1024,
  names: 1_000_000,
  records: 1_000_000,
  rrset: 1_000,
};

/**
 * The file's text, or the problem that stops it being read: over `limit` octets (reported at the
 * first octet past the limit, having read no further than it), or an I/O error.
 */
export async function readZoneFile(
  file: string,
  limit: number = ZONE_LIMITS.fileOctets,
): Promise<{ text: string } | { problem: Problem }> {
  const problem = (line: number, col: number, code: C, message: string) => ({
    problem: { file, line, col, path: '', code, message },
  });
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    return problem(1, 1, C.io, (e as Error).message);
  }
  try {
    // Read to the end or one octet past the limit, whichever comes first (a file that grows while
    // it is read is cut there too); the size from stat only sizes the first buffer.
    let buf = Buffer.alloc(Math.min(limit + 1, (await fh.stat()).size + 1));
    let got = 0;
    for (;;) {
      if (got === buf.length) {
        if (buf.length > limit) break;
        const bigger = Buffer.alloc(Math.min(limit + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, got);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got <= limit) return { text: buf.toString('utf8', 0, got) };
    const before = buf.toString('utf8', 0, limit);
    const nl = before.lastIndexOf('\n');
    return problem(
      before.split('\n').length,
      before.length - nl,
      C.fileTooLarge,
      `the file is larger than ${limit} octets (${mib(limit)}), the most a zone file may be; split the zone or check what wrote it`,
    );
  } catch (e) {
    return problem(1, 1, C.io, (e as Error).message);
  } finally {
    await fh.close();
  }
}

/** One value of an RRset as written, with its YAML path. */
interface Value {
  node: Node | null;
  path: string;
}

/** Mapping entries with string keys, duplicates skipped; reports nothing (the compiler does). */
function pairs(src: Source, node: Node | null, path: string): Entry[] {
  if (!isMap(node)) return [];
  const out: Entry[] = [];
  for (const pair of (node as YAMLMap).items as Pair<Node, Node | null>[]) {
    const key = scalarText(pair.key);
    if (key === null || src.isDuplicateKey(pair.key)) continue;
    out.push({ key, keyNode: pair.key, value: pair.value ?? null, path: joinPath(path, key) });
  }
  return out;
}

/** The values of an RRset written as a value, a list, or { ttl, values }. */
function values(src: Source, node: Node | null, path: string): Value[] {
  if (isMap(node)) {
    const v = pairs(src, node, path).find((e) => e.key === 'values');
    return v ? values(src, v.value, v.path) : [];
  }
  if (isSeq(node))
    return (node as YAMLSeq<Node | null>).items.map((n, i) => ({ node: n, path: `${path}[${i}]` }));
  return isScalar(node) && node.value !== null ? [{ node, path }] : [];
}

/**
 * Counts what the zone would compile to, section by section in the file's order, and reports the
 * first value past each limit before the compiler spends memory on it. Counted as records: every
 * value of a static RRset, each steered name, each nameserver and its glue, each site address.
 * A zone read in pieces (compile-pieces.ts) counts `records:` one piece at a time.
 */
export class ZoneCounter {
  private records = 0;
  private names = 0;
  /** The problem that stopped the count, once one did. */
  passed: Problem | null = null;

  constructor(
    private readonly src: Source,
    private readonly limits: ZoneLimits = ZONE_LIMITS,
  ) {}

  /** A top-level entry other than `records:` (only nameservers and sites hold records). */
  section(top: Entry): boolean {
    const src = this.src;
    if (top.key === 'nameservers') {
      // `ttl:` beside the names is the RRset's TTL, not a nameserver.
      const ns = pairs(src, top.value, top.path).filter((e) => e.key !== 'ttl');
      if (!this.take(ns.map((e) => ({ node: e.keyNode, path: e.path })))) return false;
      for (const e of ns) if (!this.take(values(src, e.value, e.path))) return false;
    } else if (top.key === 'sites') {
      for (const site of pairs(src, top.value, top.path)) {
        const a = pairs(src, site.value, site.path).find((e) => e.key === 'addresses');
        if (a && !this.take(values(src, a.value, a.path))) return false;
      }
    }
    return true;
  }

  /** The names of `records:` (`node`), or of one piece of it. */
  recordNames(node: Node | null, path: string): boolean {
    const { src, limits } = this;
    for (const name of pairs(src, node, path)) {
      if (++this.names > limits.names) {
        return this.pass(
          name.keyNode,
          name.path,
          C.tooManyNames,
          `more than ${limits.names} names in one zone`,
        );
      }
      for (const e of pairs(src, name.value, name.path)) {
        const rrset = (STATIC_TYPES as readonly string[]).includes(e.key)
          ? values(src, e.value, e.path)
          : e.key === 'steer'
            ? [{ node: e.keyNode, path: e.path }]
            : [];
        if (!this.take(rrset)) return false;
      }
    }
    return true;
  }

  private take(rrset: Value[]): boolean {
    const limits = this.limits;
    if (rrset.length > limits.rrset) {
      const v = rrset[limits.rrset]!;
      return this.pass(
        v.node,
        v.path,
        C.rrsetTooLarge,
        `more than ${limits.rrset} values in one RRset`,
      );
    }
    for (const v of rrset)
      if (++this.records > limits.records)
        return this.pass(
          v.node,
          v.path,
          C.tooManyRecords,
          `more than ${limits.records} records in one zone`,
        );
    return true;
  }

  private pass(node: Node | null, path: string, code: C, message: string): false {
    this.src.report(node, path, code, message);
    this.passed = this.src.problems[this.src.problems.length - 1]!;
    return false;
  }
}

/** The top-level entries of a zone file, duplicates skipped. */
export function topEntries(src: Source): Entry[] {
  return pairs(src, src.root, '');
}

/**
 * Count a zone read whole (ZoneCounter). Returns false when a limit was passed: the zone is then
 * not compiled, and this is its only problem beside those found while reading.
 */
export function checkCounts(src: Source, limits: ZoneLimits = ZONE_LIMITS): boolean {
  const count = new ZoneCounter(src, limits);
  for (const top of topEntries(src))
    if (!(top.key === 'records' ? count.recordNames(top.value, top.path) : count.section(top)))
      return false;
  return true;
}

function mib(octets: number): string {
  return `${octets / 1024 / 1024} MiB`;
}
