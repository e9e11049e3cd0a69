// The test-only MaxMind DB writer, checked against two independent readers: the `maxmind` npm
// package (what geosteer uses) and libmaxminddb's mmdblookup (Debian package mmdb-bin). Every
// database the other GeoIP tests build comes from this writer, so it is verified here first.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMmdb,
  encodePointer,
  mmdb,
  type MmdbEntry,
  type MmdbValue,
  type RecordSize,
} from './helpers/mmdb-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-mmdb-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function save(buf: Buffer): Promise<string> {
  const file = join(dir, `db${n++}.mmdb`);
  await writeFile(file, buf);
  return file;
}

// mmdblookup prints values with their type: `"Frankfurt" <utf8_string>`, `50.110000 <double>`,
// maps as { "key": value ... }, arrays as [ ... ]. Parsed here into plain objects whose scalars are
// "text <type>" strings, so a test states types as well as values.
type Typed = string | Typed[] | { [k: string]: Typed };

function parseLookup(text: string): Typed {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|<\w+>|[{}[\]:]|[^\s{}[\]<>":]+/g) ?? [];
  let i = 0;
  const next = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`mmdblookup output ended early:\n${text}`);
    return t;
  };
  const unquote = (t: string) => (t.startsWith('"') ? t.slice(1, -1) : t);
  const value = (): Typed => {
    const t = next();
    if (t === '{') {
      const out: Record<string, Typed> = {};
      while (tokens[i] !== '}') {
        const key = unquote(next());
        expect(next()).toBe(':');
        out[key] = value();
      }
      i++;
      return out;
    }
    if (t === '[') {
      const out: Typed[] = [];
      while (tokens[i] !== ']') out.push(value());
      i++;
      return out;
    }
    return `${unquote(t)} ${next()}`;
  };
  return value();
}

interface Lookup {
  found: boolean;
  /** libmaxminddb's netmask: in IPv6 terms (96 + n) for an IPv4 address in an IPv6 database. */
  prefix: number;
  data: Typed | null;
  metadata: string;
}

function mmdblookup(file: string, ip: string, ...path: string[]): Lookup {
  const r = spawnSync('mmdblookup', ['--file', file, '--ip', ip, '--verbose', ...path], {
    encoding: 'utf8',
  });
  if (r.error)
    throw new Error(`mmdblookup (Debian package mmdb-bin) is needed: ${r.error.message}`);
  const out = r.stdout;
  const m = /Record prefix length: (\d+)\n([\s\S]*)$/.exec(out);
  if (!m) throw new Error(`unexpected mmdblookup output (exit ${r.status}):\n${out}\n${r.stderr}`);
  const found = r.status === 0;
  if (!found) expect(r.stderr).toContain('Could not find an entry');
  return {
    found,
    prefix: Number(m[1]),
    data: found ? parseLookup(m[2]!) : null,
    metadata: out.slice(0, m.index),
  };
}

const everyType: MmdbValue = {
  text: 'Frankfurt am Main',
  unicode: 'Zürich',
  empty: '',
  long: 'x'.repeat(300),
  uint16: mmdb.uint16(65535),
  uint32: 4_000_000_000,
  int32: -123456,
  int32pos: mmdb.int32(7),
  uint64: 2n ** 63n,
  uint128: mmdb.uint128(2n ** 100n + 5n),
  double: -33.868801,
  float: mmdb.float(2.5),
  yes: true,
  no: false,
  zero: 0,
  bytes: mmdb.bytes(Uint8Array.of(0, 1, 0xfe, 0xff)),
  list: [1, 'two', [3], { four: 4 }],
  nested: { a: { b: { c: 'deep' } } },
};

describe('data section: every MaxMind DB type', () => {
  it('reads back with the maxmind reader as the same values', () => {
    const buf = buildMmdb([{ network: '192.0.2.0/24', data: everyType }], { ipVersion: 4 });
    expect(new Reader(buf).get('192.0.2.1')).toEqual({
      text: 'Frankfurt am Main',
      unicode: 'Zürich',
      empty: '',
      long: 'x'.repeat(300),
      uint16: 65535,
      uint32: 4_000_000_000,
      int32: -123456,
      int32pos: 7,
      uint64: 2n ** 63n,
      uint128: 2n ** 100n + 5n,
      double: -33.868801,
      float: 2.5,
      yes: true,
      no: false,
      zero: 0,
      bytes: Buffer.from([0, 1, 0xfe, 0xff]),
      list: [1, 'two', [3], { four: 4 }],
      nested: { a: { b: { c: 'deep' } } },
    });
  });

  it('reads back with mmdblookup, each value with its type', async () => {
    const file = await save(
      buildMmdb([{ network: '192.0.2.0/24', data: everyType }], { ipVersion: 4 }),
    );
    expect(mmdblookup(file, '192.0.2.1').data).toEqual({
      text: 'Frankfurt am Main <utf8_string>',
      unicode: 'Zürich <utf8_string>',
      empty: ' <utf8_string>',
      long: `${'x'.repeat(300)} <utf8_string>`,
      uint16: '65535 <uint16>',
      uint32: '4000000000 <uint32>',
      int32: '-123456 <int32>',
      int32pos: '7 <int32>',
      uint64: '9223372036854775808 <uint64>',
      uint128: '0x00000010000000000000000000000005 <uint128>',
      double: '-33.868801 <double>',
      float: '2.500000 <float>',
      yes: 'true <boolean>',
      no: 'false <boolean>',
      zero: '0 <uint32>',
      bytes: '0001FEFF <bytes>',
      list: ['1 <uint32>', 'two <utf8_string>', ['3 <uint32>'], { four: '4 <uint32>' }],
      nested: { a: { b: { c: 'deep <utf8_string>' } } },
    });
  });
});

describe('metadata section', () => {
  it('carries what mmdblookup and maxmind report', async () => {
    const buf = buildMmdb([{ network: '192.0.2.0/24', data: { a: 1 } }], {
      ipVersion: 6,
      recordSize: 24,
      databaseType: 'GeoLite2-City',
      languages: ['en', 'de'],
      description: { en: 'test build', de: 'Testbau' },
      buildEpoch: 1_717_000_000n,
    });
    const meta = new Reader(buf).metadata;
    expect(meta).toMatchObject({
      binaryFormatMajorVersion: 2,
      binaryFormatMinorVersion: 0,
      databaseType: 'GeoLite2-City',
      ipVersion: 6,
      recordSize: 24,
      languages: ['en', 'de'],
      description: { en: 'test build', de: 'Testbau' },
      buildEpoch: new Date(1_717_000_000_000),
    });
    const text = mmdblookup(await save(buf), '192.0.2.1').metadata;
    expect(text).toContain(`Node count:    ${meta.nodeCount}`);
    expect(text).toContain('Record size:   24 bits');
    expect(text).toContain('IP version:    IPv6');
    expect(text).toContain('Binary format: 2.0');
    expect(text).toContain('Build epoch:   1717000000 (2024-05-29 16:26:40 UTC)');
    expect(text).toContain('Type:          GeoLite2-City');
    expect(text).toMatch(/Languages:\s+en de/);
    expect(text).toMatch(/en:\s+test build/);
    expect(text).toMatch(/de:\s+Testbau/);
  });
});

// Nested networks: each more specific one is carved out of the wider one, so an address's record
// prefix is where its path leaves the others, not the prefix the network was written with.
const NETWORKS: MmdbEntry[] = [
  { network: '10.1.2.128/25', data: { tag: 'leaf' } },
  { network: '10.0.0.0/8', data: { tag: 'ten' } },
  { network: '10.1.0.0/16', data: { tag: 'ten-one' } },
  { network: '192.0.2.0/24', data: { tag: 'doc' } },
  { network: '198.51.100.7', data: { tag: 'host' } },
];
const NETWORKS6: MmdbEntry[] = [
  { network: '2001:db8::/32', data: { tag: 'doc6' } },
  { network: '2001:db8:1234::/48', data: { tag: 'deep6' } },
];

// [address, tag or null (no record), prefix length as the maxmind reader gives it (IPv4 terms for IPv4)]
const IPV4_ROWS: [string, string | null, number][] = [
  ['10.1.2.200', 'leaf', 25],
  ['10.1.2.3', 'ten-one', 25], // 10.1.2.0/25: the other half of the /24 holding the /25
  ['10.1.3.1', 'ten-one', 24], // leaves 10.1.2.128/25's path at bit 23
  ['10.1.255.255', 'ten-one', 17], // 10.1.128.0/17: third octet 255 leaves 2 at bit 16
  ['10.200.0.1', 'ten', 9], // 10.128.0.0/9: leaves 10.1/16's path at bit 8
  ['10.0.0.1', 'ten', 16],
  ['192.0.2.55', 'doc', 24],
  ['198.51.100.7', 'host', 32],
  ['198.51.100.8', null, 29],
  ['11.0.0.1', null, 8],
  ['1.2.3.4', null, 5],
  ['128.0.0.1', null, 2],
];
const IPV6_ROWS: [string, string | null, number][] = [
  ['2001:db8:1234:5::1', 'deep6', 48],
  ['2001:db8::1', 'doc6', 36], // 0x1234 starts 0001: the deep /48 branches off at bit 35
  ['2001:db8:8000::', 'doc6', 33],
  ['2001:db9::1', null, 32],
  ['3fff::1', null, 4], // 0011 vs 2001's 0010: bit 3
];

describe.each([24, 28, 32] as RecordSize[])('search tree with %i-bit records', (recordSize) => {
  it('IPv4 database: both readers find the same records and prefix lengths', async () => {
    const buf = buildMmdb(NETWORKS, { ipVersion: 4, recordSize });
    const reader = new Reader(buf);
    const file = await save(buf);
    for (const [ip, tag, prefix] of IPV4_ROWS) {
      const [data, len] = reader.getWithPrefixLength(ip);
      expect({ ip, tag: (data as { tag?: string } | null)?.tag ?? null, len }).toEqual({
        ip,
        tag,
        len: prefix,
      });
      const l = mmdblookup(file, ip);
      expect({ ip, data: l.data, prefix: l.prefix }).toEqual({
        ip,
        data: tag === null ? null : { tag: `${tag} <utf8_string>` },
        prefix,
      });
    }
  });

  it('IPv6 database: IPv4 networks live at ::/96 and IPv6 ones beside them', async () => {
    const buf = buildMmdb([...NETWORKS, ...NETWORKS6], { ipVersion: 6, recordSize });
    const reader = new Reader(buf);
    const file = await save(buf);
    for (const [ip, tag, prefix] of [...IPV4_ROWS, ...IPV6_ROWS]) {
      const v4 = !ip.includes(':');
      const [data, len] = reader.getWithPrefixLength(ip);
      // The maxmind reader counts an IPv4 address's prefix from the IPv4 subtree.
      expect({ ip, tag: (data as { tag?: string } | null)?.tag ?? null, len }).toEqual({
        ip,
        tag,
        len: prefix,
      });
      const l = mmdblookup(file, ip);
      // libmaxminddb counts from the root: 96 more for an IPv4 address.
      expect({ ip, tag: l.data, prefix: l.prefix }).toEqual({
        ip,
        tag: tag === null ? null : { tag: `${tag} <utf8_string>` },
        prefix: v4 ? prefix + 96 : prefix,
      });
      if (v4) {
        // The same record at ::a.b.c.d, read as an IPv6 address.
        const [d6, len6] = reader.getWithPrefixLength(`::${ip}`);
        expect([d6, len6]).toEqual([data, prefix + 96]);
      }
    }
  });
});

describe('IPv4 aliases in an IPv6 database (ipv4Aliases, as in MaxMind GeoIP2 files)', () => {
  it('::ffff:a.b.c.d and 2002:AABB:CCDD:: reach the IPv4 subtree', async () => {
    const buf = buildMmdb([...NETWORKS, ...NETWORKS6], { ipVersion: 6, ipv4Aliases: true });
    const reader = new Reader(buf);
    const file = await save(buf);
    const rows: [string, string | null, number][] = [
      ['::ffff:10.1.2.200', 'leaf', 96 + 25],
      ['2002:a01:2c8::1', 'leaf', 16 + 25], // 6to4 of 10.1.2.200
      ['::ffff:192.0.2.1', 'doc', 96 + 24],
      ['::ffff:11.0.0.1', null, 96 + 8],
      ['2001:db8:1234::1', 'deep6', 48],
    ];
    for (const [ip, tag, prefix] of rows) {
      const [data, len] = reader.getWithPrefixLength(ip);
      expect({ ip, tag: (data as { tag?: string } | null)?.tag ?? null, len }).toEqual({
        ip,
        tag,
        len: prefix,
      });
      const l = mmdblookup(file, ip);
      expect({ ip, prefix: l.prefix, found: l.found }).toEqual({ ip, prefix, found: tag !== null });
    }
    // Aliased, not copied: the IPv4 subtree is stored once.
    const plain = new Reader(buildMmdb([...NETWORKS, ...NETWORKS6], { ipVersion: 6 }));
    expect(reader.metadata.nodeCount - plain.metadata.nodeCount).toBeLessThan(96);
  });
});

describe('pointers', () => {
  it('are encoded in 2 to 5 octets by offset (spec "Pointer - 1")', () => {
    const sizes = [0, 2047, 2048, 526335, 526336, 134744063, 134744064, 2 ** 32 - 1].map(
      (o) => encodePointer(o).length,
    );
    expect(sizes).toEqual([2, 2, 3, 3, 4, 4, 5, 5]);
    // SS=1 stores offset - 2048, SS=2 offset - 526336.
    expect(encodePointer(2048)).toEqual([0x28, 0, 0]);
    expect(encodePointer(526336)).toEqual([0x30, 0, 0, 0]);
  });

  it('repeated values become pointers of 2, 3 and 4 octets that both readers follow', async () => {
    // 700 records, each with 1 KB of its own text and one value shared with its neighbour: the
    // second copy is a pointer back to the first, from anywhere in a 700 KB data section.
    const entries: MmdbEntry[] = [];
    for (let i = 0; i < 700; i++)
      entries.push({
        network: `10.${i >> 8}.${i & 255}.0/24`,
        data: {
          own: `${i}:${'o'.repeat(1000)}`,
          shared: { pair: `pair-${i >> 1}`, text: 's'.repeat(50) + String(i >> 1) },
        },
      });
    const buf = buildMmdb(entries, { ipVersion: 4 });
    const undeduped = buildMmdb(entries, { ipVersion: 4, dedupe: false });
    expect(buf.length).toBeGreaterThan(526336 + 100_000);
    expect(buf.length).toBeLessThan(undeduped.length);
    const reader = new Reader(buf);
    for (let i = 0; i < 700; i++)
      expect(reader.get(`10.${i >> 8}.${i & 255}.1`)).toEqual({
        own: `${i}:${'o'.repeat(1000)}`,
        shared: { pair: `pair-${i >> 1}`, text: 's'.repeat(50) + String(i >> 1) },
      });
    const file = await save(buf);
    for (const i of [1, 3, 5, 401, 521, 699]) {
      const l = mmdblookup(file, `10.${i >> 8}.${i & 255}.1`, 'shared', 'pair');
      expect(l.data).toBe(`pair-${i >> 1} <utf8_string>`);
    }
  });
});

describe('input checks', () => {
  it('refuses an IPv6 network in an IPv4 database and host bits in a network', () => {
    expect(() => buildMmdb([{ network: '2001:db8::/32', data: {} }], { ipVersion: 4 })).toThrow(
      /IPv6 network 2001:db8::\/32 in an IPv4 database/,
    );
    expect(() => buildMmdb([{ network: '10.0.0.1/8', data: {} }], { ipVersion: 4 })).toThrow(
      /host bits set/,
    );
  });

  it('an empty database opens and knows nothing', async () => {
    const buf = buildMmdb([], { ipVersion: 6 });
    expect(new Reader(buf).getWithPrefixLength('2001:db8::1')).toEqual([null, 1]);
    expect(mmdblookup(await save(buf), '2001:db8::1')).toMatchObject({ found: false, prefix: 1 });
    expect(execFileSync('mmdblookup', ['--version'], { encoding: 'utf8' })).toMatch(/mmdblookup/);
  });
});
