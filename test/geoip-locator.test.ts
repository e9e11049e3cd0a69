// The GeoLocator geosteer serves with: databases by address family and in order, clients nothing
// knows, the per-network cache and its version, files reopened when they change (and kept when
// the new file is bad), the `geoip:` config section, and client addresses as typed for explain.
import { Writable } from 'node:stream';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { networkText, parseClientAddress } from '../src/base/address.js';
import { parseGeoipConfig, type GeoipConfig } from '../src/geoip/config.js';
import { DatabaseError, MmdbDatabase } from '../src/geoip/database.js';
import { GeoIpLocator, openGeoLocator, type WatchedGeoLocator } from '../src/geoip/locator.js';
import type { GeoResult } from '../src/geoip/types.js';
import { formatProblem, ProblemsError, sortProblems } from '../src/base/errors.js';
import { mapEntries, Source } from '../src/base/yaml-source.js';
import { buildGeoDatabase, type Place, writeMmdbFile, record } from './helpers/mmdb-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-locator-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
async function save(buf: Buffer, name = `db${seq++}.mmdb`): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, buf);
  return file;
}

async function open(buf: Buffer): Promise<MmdbDatabase> {
  return MmdbDatabase.open(await save(buf));
}

function locate(geo: GeoIpLocator, client: string): GeoResult {
  const c = parseClientAddress(client);
  if (!c) throw new Error(`bad client ${client}`);
  return geo.locate(c.bytes, c.prefix);
}

const DE: Place = { country: 'DE', continent: 'EU', lat: 50.11, lon: 8.68 };
const FR: Place = { country: 'FR', continent: 'EU', lat: 48.86, lon: 2.35 };
const US: Place = { country: 'US', continent: 'NA', lat: 40.71, lon: -74.01 };
const JP: Place = { country: 'JP', continent: 'AS', lat: 35.69, lon: 139.69 };

describe('databases by address family and in order', () => {
  it('separate IPv4 and IPv6 files: each client is read from the file of its family', async () => {
    const v4 = await open(buildGeoDatabase('dbip-city', 4, { '192.0.2.0/24': DE }));
    const v6 = await open(buildGeoDatabase('dbip-city', 6, { '2001:db8::/32': JP }));
    const geo = new GeoIpLocator({ databases: [v4, v6] });
    expect(locate(geo, '192.0.2.1')).toMatchObject({ country: 'DE', origin: v4.origin });
    expect(locate(geo, '2001:db8::1')).toMatchObject({ country: 'JP', origin: v6.origin });
  });

  it('one IPv6 file holding both families answers both', async () => {
    const both = await open(
      buildGeoDatabase('geoip2-city', 6, { '192.0.2.0/24': DE, '2001:db8::/32': JP }),
    );
    const geo = new GeoIpLocator({ databases: [both] });
    expect(locate(geo, '192.0.2.0/24')).toMatchObject({ country: 'DE', network: '192.0.2.0/24' });
    expect(locate(geo, '2001:db8:1::/48')).toMatchObject({
      country: 'JP',
      network: '2001:db8::/32',
    });
  });

  it('an IPv4-only configuration knows no IPv6 client, for all of ::/0', async () => {
    const geo = new GeoIpLocator({
      databases: [await open(buildGeoDatabase('geoip2-city', 4, { '192.0.2.0/24': DE }))],
    });
    expect(locate(geo, '2001:db8::/48')).toMatchObject({
      source: 'none',
      prefixLength: 0,
      network: '::/0',
    });
  });

  it('the first file that knows the client answers; the answer holds where both files agree', async () => {
    const city = await open(buildGeoDatabase('geoip2-city', 4, { '198.51.100.0/24': DE }));
    const country = await open(
      buildGeoDatabase('geoip2-country', 6, { '198.0.0.0/8': US, '2001:db8::/32': JP }),
    );
    const geo = new GeoIpLocator({ databases: [city, country] });
    expect(locate(geo, '198.51.100.7')).toMatchObject({
      country: 'DE',
      origin: city.origin,
      network: '198.51.100.0/24',
    });
    // The city file has no record in 198.51.101.0/24 (its empty /24 next to its /24); the
    // country file places all of 198/8: the answer holds for the /24, not the /8.
    expect(locate(geo, '198.51.101.7')).toMatchObject({
      country: 'US',
      origin: `${country.origin} (country point)`,
      network: '198.51.101.0/24',
    });
    expect(locate(geo, '198.200.0.0/16')).toMatchObject({
      country: 'US',
      network: '198.128.0.0/9',
    });
    expect(locate(geo, '2001:db8::/64')).toMatchObject({
      country: 'JP',
      origin: `${country.origin} (country point)`,
    });
  });

  it('a client network finer than the database holds for the database record, not the client prefix', async () => {
    const geo = new GeoIpLocator({
      databases: [
        await open(
          buildGeoDatabase('geoip2-city', 4, { '203.0.113.0/26': DE, '203.0.113.64/26': FR }),
        ),
      ],
    });
    // Asked as a /24 (ECS source prefix); the database splits it: the answer is for the /26.
    expect(locate(geo, '203.0.113.0/24')).toMatchObject({
      country: 'DE',
      prefixLength: 26,
      network: '203.0.113.0/26',
    });
  });

  it('an IPv4-mapped IPv6 client is located as its IPv4 address, in IPv6 terms', async () => {
    const geo = new GeoIpLocator({
      databases: [await open(buildGeoDatabase('geoip2-city', 4, { '192.0.2.0/24': DE }))],
    });
    expect(locate(geo, '::ffff:192.0.2.1')).toMatchObject({
      country: 'DE',
      prefixLength: 120,
      network: '::ffff:192.0.2.0/120',
    });
  });
});

describe('clients nothing knows', () => {
  it("get source 'none' and no place, never an error", async () => {
    const geo = new GeoIpLocator({
      databases: [await open(buildGeoDatabase('geoip2-city', 6, { '192.0.2.0/24': DE }))],
    });
    expect(locate(geo, '10.1.2.0/24')).toEqual({
      source: 'none',
      location: null,
      country: null,
      continent: null,
      subdivision: null,
      site: null,
      prefixLength: 1,
      network: '0.0.0.0/1',
      origin: '',
    });
    // Not even a malformed address throws.
    expect(geo.locate(new Uint8Array(5), 24)).toMatchObject({ source: 'none' });
    expect(
      new GeoIpLocator({ databases: [] }).locate(Uint8Array.of(192, 0, 2, 1), 32),
    ).toMatchObject({
      source: 'none',
      network: '0.0.0.0/0',
    });
  });

  it("with default_location they get source 'default', that place and its continent", async () => {
    const db = await open(buildGeoDatabase('geoip2-city', 6, { '192.0.2.0/24': DE }));
    const geo = new GeoIpLocator({
      databases: [db],
      defaultLocation: { lat: 52.37, lon: 4.89, country: 'NL' },
    });
    expect(locate(geo, '10.1.2.0/24')).toMatchObject({
      source: 'default',
      location: { lat: 52.37, lon: 4.89 },
      country: 'NL',
      continent: 'EU',
      network: '0.0.0.0/1',
      origin: 'geoip.default_location',
    });
    expect(locate(geo, '192.0.2.1')).toMatchObject({ source: 'database', country: 'DE' });
    const bare = new GeoIpLocator({
      databases: [db],
      defaultLocation: { lat: 1, lon: 2, country: null },
    });
    expect(locate(bare, '10.0.0.1')).toMatchObject({
      source: 'default',
      country: null,
      continent: null,
    });
  });
});

describe('cache per client network', () => {
  it('the same network asked again is answered from the cache, the same frozen object', async () => {
    const geo = new GeoIpLocator({
      databases: [await open(buildGeoDatabase('geoip2-city', 4, { '192.0.2.0/24': DE }))],
    });
    const a = locate(geo, '192.0.2.0/24');
    expect(locate(geo, '192.0.2.0/24')).toBe(a);
    // Bits beyond the prefix do not make another entry.
    expect(geo.locate(Uint8Array.of(192, 0, 2, 99), 24)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    // Another prefix of the same address is another client network.
    expect(locate(geo, '192.0.2.0/25')).not.toBe(a);
    expect(geo.version).toBe(0);
  });

  it('holds at most cache_size networks, dropping the oldest; 0 turns it off', async () => {
    const db = await open(
      buildGeoDatabase('geoip2-city', 6, { '192.0.2.0/24': DE, '2001:db8::/32': JP }),
    );
    const one = new GeoIpLocator({ databases: [db], cacheSize: 1 });
    const a = locate(one, '192.0.2.0/24');
    locate(one, '2001:db8::/48');
    const again = locate(one, '192.0.2.0/24');
    expect(again).not.toBe(a);
    expect(again).toEqual(a);
    const off = new GeoIpLocator({ databases: [db], cacheSize: 0 });
    expect(locate(off, '2001:db8::/48')).not.toBe(locate(off, '2001:db8::/48'));
  });
});

// Logs as pino writes them, for tests that wait for a reload (or a refusal) to be reported.
function capture() {
  const lines: { level: number; msg: string; file?: string; problems?: string[] }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Replace a file the way database updaters do: write elsewhere, rename over it. */
async function replace(file: string, bytes: Buffer | string): Promise<void> {
  const tmp = `${file}.new`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}

const config = (over: Partial<GeoipConfig>): GeoipConfig => ({
  databases: [],
  overrides: null,
  overridesRequired: false,
  defaultLocation: null,
  cacheSize: 1000,
  widenLookupsPerSecond: 50_000,
  ...over,
});

describe('files reopened when they change', () => {
  let geo: WatchedGeoLocator | null = null;
  afterEach(() => {
    geo?.close();
    geo = null;
  });
  const fast = { pollIntervalMs: 20, settleMs: 20 };

  it('a database replaced by rename is reopened: new answers, version bumped', async () => {
    const sub = join(dir, 'watch-db');
    await mkdir(sub);
    const file = join(sub, 'city.mmdb');
    await writeMmdbFile(file, [{ network: '192.0.2.0/24', data: record('geoip2-city', DE) }], {
      ipVersion: 6,
    });
    const log = capture();
    geo = await openGeoLocator(config({ databases: [file] }), { ...fast, logger: log.logger });
    const g = geo;
    expect(locate(g, '192.0.2.0/24').country).toBe('DE');
    const v0 = g.version;

    await writeMmdbFile(file, [{ network: '192.0.2.0/24', data: record('geoip2-city', FR) }], {
      ipVersion: 6,
    });
    await until('the new database answers', () => locate(g, '192.0.2.0/24').country === 'FR');
    expect(g.version).toBe(v0 + 1);
    expect(log.lines.some((l) => l.msg === 'geoip database reopened' && l.file === file)).toBe(
      true,
    );

    // A truncated replacement is refused and logged; the loaded data keeps answering.
    const good = buildGeoDatabase('geoip2-city', 6, { '192.0.2.0/24': US });
    await replace(file, good.subarray(0, good.length >> 1));
    await until('the refusal is logged', () =>
      log.lines.some((l) => l.level === 50 && l.file === file),
    );
    const refusal = log.lines.find((l) => l.level === 50)!;
    expect(refusal.msg).toBe('geoip database file not reloaded; keeping the data loaded before');
    expect(refusal.problems![0]).toMatch(new RegExp(`^${file}: not a (usable )?MaxMind DB file`));
    expect(locate(g, '192.0.2.0/24').country).toBe('FR');
    expect(g.version).toBe(v0 + 1);

    // The next good file is taken again.
    await replace(file, good);
    await until('the fixed database answers', () => locate(g, '192.0.2.0/24').country === 'US');
    expect(g.version).toBe(v0 + 2);

    // A database that disappears keeps answering from memory.
    await unlink(file);
    await until('the loss is logged', () =>
      log.lines.some((l) => l.level === 40 && l.file === file),
    );
    expect(locate(g, '192.0.2.0/24').country).toBe('US');
  });

  it('the overrides file: edits reloaded, broken edits refused with file:line:col, a new file picked up', async () => {
    const sub = join(dir, 'watch-ovr');
    await mkdir(sub);
    const db = join(sub, 'city.mmdb');
    await writeMmdbFile(db, [{ network: '10.0.0.0/8', data: record('geoip2-city', US) }], {
      ipVersion: 4,
    });
    const file = join(sub, 'overrides.yaml');
    const log = capture();
    // The default overrides path: absent at start-up, which is fine.
    geo = await openGeoLocator(config({ databases: [db], overrides: file }), {
      ...fast,
      logger: log.logger,
    });
    const g = geo;
    expect(locate(g, '10.1.0.0/16')).toMatchObject({ source: 'database', country: 'US' });

    await replace(file, 'overrides:\n  - network: 10.1.0.0/16\n    country: DE\n');
    await until(
      'the new overrides file is used',
      () => locate(g, '10.1.0.0/16').source === 'override',
    );
    expect(locate(g, '10.1.0.0/16')).toMatchObject({
      country: 'DE',
      origin: `${file}:2 (country point)`,
    });
    expect(locate(g, '10.2.0.0/16')).toMatchObject({ source: 'database', network: '10.2.0.0/15' });
    const v = g.version;

    await replace(file, 'overrides:\n  - network: 10.1.0.0/16\n    country: XX\n');
    await until('the refusal is logged', () => log.lines.some((l) => l.level === 50));
    expect(log.lines.find((l) => l.level === 50)!.problems).toEqual([
      `${file}:3:14: overrides[0].country: must be an ISO 3166-1 alpha-2 country code (e.g. DE), got string "XX" [bad-value]`,
    ]);
    expect(locate(g, '10.1.0.0/16').country).toBe('DE');
    expect(g.version).toBe(v);

    await replace(file, 'overrides:\n  - network: 10.1.0.0/16\n    site: eu-west\n');
    await until('the fixed overrides are used', () => locate(g, '10.1.0.0/16').site === 'eu-west');
    expect(g.version).toBe(v + 1);
  });

  it('reload() re-reads what changed, now, and reports it (watching off)', async () => {
    const file = await save(
      buildGeoDatabase('geoip2-city', 4, { '192.0.2.0/24': DE }),
      'manual.mmdb',
    );
    geo = await openGeoLocator(config({ databases: [file] }), { watch: false });
    expect(await geo.reload()).toEqual({ reloaded: [], failed: [] });
    await replace(file, buildGeoDatabase('geoip2-city', 4, { '192.0.2.0/24': JP }));
    expect(locate(geo, '192.0.2.1').country).toBe('DE');
    expect(await geo.reload()).toEqual({ reloaded: [file], failed: [] });
    expect(locate(geo, '192.0.2.1').country).toBe('JP');
    expect(geo.version).toBe(1);
    await replace(file, 'garbage');
    expect(await geo.reload()).toEqual({ reloaded: [], failed: [file] });
    expect(locate(geo, '192.0.2.1').country).toBe('JP');
  });
});

describe('openGeoLocator: a bad file at start-up is a configuration error', () => {
  it('a database that does not open names the file', async () => {
    const bad = await save(Buffer.from('not a database'), 'start-bad.mmdb');
    await expect(
      openGeoLocator(config({ databases: [bad] }), { watch: false }),
    ).rejects.toBeInstanceOf(DatabaseError);
    await expect(
      openGeoLocator(config({ databases: [join(dir, 'absent.mmdb')] }), { watch: false }),
    ).rejects.toThrow(/absent\.mmdb: ENOENT/);
  });

  it('overrides with problems list them all; a named overrides file must exist', async () => {
    const db = await save(buildGeoDatabase('geoip2-city', 4, { '192.0.2.0/24': DE }));
    const ovr = join(dir, 'start-overrides.yaml');
    await writeFile(ovr, 'overrides:\n  - network: 10.0.0.1/8\n    country: Germany\n');
    const err = await openGeoLocator(config({ databases: [db], overrides: ovr }), {
      watch: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemsError);
    expect((err as ProblemsError).problems.map(formatProblem)).toEqual([
      `${ovr}:2:14: overrides[0].network: host bits set in "10.0.0.1/8": the network is 10.0.0.0/8 [bad-address]`,
      `${ovr}:3:14: overrides[0].country: must be an ISO 3166-1 alpha-2 country code (e.g. DE), got string "Germany" [bad-value]`,
    ]);
    const missing = join(dir, 'no-overrides.yaml');
    await expect(
      openGeoLocator(config({ databases: [db], overrides: missing, overridesRequired: true }), {
        watch: false,
      }),
    ).rejects.toThrow(/no-overrides\.yaml:1:1: ENOENT/);
    const quiet = await openGeoLocator(config({ databases: [db], overrides: missing }), {
      watch: false,
    });
    expect(quiet.overrides.entries).toEqual([]);
    quiet.close();
  });
});

describe('the geoip: section of geosteer.yaml', () => {
  function parse(text: string, baseDir = dir) {
    const src = new Source(join(baseDir, 'geosteer.yaml'), text);
    const geoip = (mapEntries(src, src.root, '') ?? []).find((e) => e.key === 'geoip')!;
    const cfg = parseGeoipConfig(src, geoip.value, geoip.path, baseDir);
    // In reading order, as the config loader lists them.
    return { cfg, problems: sortProblems(src.problems).map(formatProblem) };
  }

  it('reads every key; paths are relative to the config file', async () => {
    const base = join(dir, 'cfg');
    await mkdir(join(base, 'geoip'), { recursive: true });
    await writeFile(join(base, 'geoip', 'a.mmdb'), buildGeoDatabase('geoip2-city', 6, {}));
    await writeFile(join(base, 'geoip', 'b.mmdb'), buildGeoDatabase('geoip2-country', 6, {}));
    await writeFile(join(base, 'geoip', 'mine.yaml'), 'overrides: []\n');
    const { cfg, problems } = parse(
      [
        'geoip:',
        '  database: [geoip/a.mmdb, geoip/b.mmdb]',
        '  overrides: geoip/mine.yaml',
        '  default_location: { lat: 50.11, lon: 8.68, country: DE }',
        '  cache_size: 0',
        '  widen_lookups_per_second: 0',
      ].join('\n'),
      base,
    );
    expect(problems).toEqual([]);
    expect(cfg).toEqual({
      databases: [join(base, 'geoip/a.mmdb'), join(base, 'geoip/b.mmdb')],
      overrides: join(base, 'geoip/mine.yaml'),
      overridesRequired: true,
      defaultLocation: { lat: 50.11, lon: 8.68, country: 'DE' },
      cacheSize: 0,
      widenLookupsPerSecond: 0,
    });
    expect(parse('geoip:\n  database: geoip/a.mmdb\n', base).cfg.databases).toEqual([
      join(base, 'geoip/a.mmdb'),
    ]);
  });

  it('an empty section means the defaults: DB-IP Lite, geoip/overrides.yaml if present', () => {
    const { cfg, problems } = parse('geoip: {}\n');
    expect(problems).toEqual([]);
    expect(cfg).toEqual({
      databases: null,
      overrides: join(dir, 'geoip/overrides.yaml'),
      overridesRequired: false,
      defaultLocation: null,
      cacheSize: 65536,
      widenLookupsPerSecond: 50000,
    });
  });

  it('reports every problem at its file:line:col', () => {
    const f = join(dir, 'geosteer.yaml');
    const { problems } = parse(
      [
        'geoip:',
        '  databse: geoip/a.mmdb',
        '  database: [missing.mmdb, 7]',
        '  overrides: nope.yaml',
        '  default_location: { lat: 91, lon: 8.68, country: EU, city: Paris }',
        '  cache_size: -1',
        '  widen_lookups_per_second: lots',
      ].join('\n'),
    );
    expect(problems).toEqual([
      `${f}:2:3: geoip.databse: unknown key "databse" in geoip (expected one of: database, overrides, default_location, cache_size, widen_lookups_per_second) [unknown-key]`,
      `${f}:3:14: geoip.database[0]: no such file: ${join(dir, 'missing.mmdb')} [io-error]`,
      `${f}:3:28: geoip.database[1]: must be a file path, got number 7 [wrong-type]`,
      `${f}:4:14: geoip.overrides: no such file: ${join(dir, 'nope.yaml')} [io-error]`,
      `${f}:5:28: geoip.default_location.lat: must be a number -90 to 90, got number 91 [bad-value]`,
      `${f}:5:52: geoip.default_location.country: must be an ISO 3166-1 alpha-2 country code (e.g. DE), got string "EU" [bad-value]`,
      `${f}:5:56: geoip.default_location.city: unknown key "city" in geoip.default_location (expected one of: lat, lon, country) [unknown-key]`,
      `${f}:6:15: geoip.cache_size: must be an integer 0-10000000, got number -1 [bad-value]`,
      `${f}:7:29: geoip.widen_lookups_per_second: must be an integer 0-100000000, got string "lots" [bad-value]`,
    ]);
  });
});

describe('parseClientAddress: a client as typed for explain', () => {
  const rows: [string, string | null][] = [
    ['198.51.100.7', '198.51.100.7/32'],
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['198.51.100.7/24', '198.51.100.0/24'], // bits beyond the prefix cleared
    [' 2001:db8::/56 ', '2001:db8::/56'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1/128'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['', null],
    ['example.com', null],
    ['198.51.100.0/33', null],
    ['2001:db8::/129', null],
    ['198.51.100.0/', null],
    ['198.51.100.0/x', null],
    ['256.1.1.1', null],
  ];
  it.each(rows)('%j → %s', (text, want) => {
    const c = parseClientAddress(text);
    if (want === null) expect(c).toBeNull();
    else {
      const [addr, len] = want.split('/');
      expect(c).not.toBeNull();
      expect(c!.prefix).toBe(Number(len));
      expect(c!.family).toBe(addr!.includes(':') ? 6 : 4);
      expect(networkText(c!.bytes, c!.prefix)).toBe(want);
    }
  });
});
