// Operator overrides: what the file format rejects and exactly where it says so, longest-prefix
// matching, overrides winning over the database, and the network each answer is reported for
// (the ECS scope) never covering an override that does not hold the client.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClientAddress } from '../src/base/address.js';
import { MmdbDatabase } from '../src/geoip/database.js';
import { GeoIpLocator } from '../src/geoip/locator.js';
import {
  compileOverrides,
  loadOverrides,
  narrowPrefix,
  OverrideSet,
} from '../src/geoip/overrides.js';
import type { GeoResult } from '../src/geoip/types.js';
import { formatProblem, ProblemsError } from '../src/base/errors.js';
import { buildGeoDatabase } from './helpers/mmdb-writer.js';

const FILE = 'geoip/overrides.yaml';

function problems(lines: string[]): string[] {
  return compileOverrides(FILE, lines.join('\n') + '\n').problems.map(formatProblem);
}

interface Row {
  name: string;
  lines: string[];
  /** Formatted problems, in the order reported. */
  want: string[];
  /** For each problem, the text found at its line:col. */
  at: string[];
}

const at = (line: number, col: number) => `${FILE}:${line}:${col}:`;
const ENTRY_KEYS = 'network, location, country, continent, subdivision, site, note';

const rows: Row[] = [
  {
    name: 'an unknown top-level key',
    lines: ['overide:', '  - network: 10.0.0.0/8', '    country: DE'],
    want: [
      `${at(1, 1)} overide: unknown key "overide" in an overrides file (expected one of: overrides) [unknown-key]`,
    ],
    at: ['overide'],
  },
  {
    name: 'overrides that are not a list',
    lines: ['overrides:', '  network: 10.0.0.0/8'],
    want: [`${at(2, 3)} overrides: must be a list of overrides, got a mapping [wrong-type]`],
    at: ['network'],
  },
  {
    name: 'an entry that is not a mapping',
    lines: ['overrides:', '  - 10.0.0.0/8'],
    want: [`${at(2, 5)} overrides[0]: must be a mapping, got string "10.0.0.0/8" [wrong-type]`],
    at: ['10.0.0.0/8'],
  },
  {
    name: 'a malformed network',
    lines: ['overrides:', '  - network: 10.0.0/8', '    country: DE'],
    want: [
      `${at(2, 14)} overrides[0].network: not an IPv4 or IPv6 network (e.g. 10.0.0.0/8): "10.0.0/8" [bad-address]`,
    ],
    at: ['10.0.0/8'],
  },
  {
    name: 'host bits set, naming the network meant',
    lines: ['overrides:', '  - network: 10.1.2.3/8', '    country: DE'],
    want: [
      `${at(2, 14)} overrides[0].network: host bits set in "10.1.2.3/8": the network is 10.0.0.0/8 [bad-address]`,
    ],
    at: ['10.1.2.3/8'],
  },
  {
    name: 'host bits set in IPv6',
    lines: ['overrides:', '  - network: 2001:db8::1/64', '    country: DE'],
    want: [
      `${at(2, 14)} overrides[0].network: host bits set in "2001:db8::1/64": the network is 2001:db8::/64 [bad-address]`,
    ],
    at: ['2001:db8::1/64'],
  },
  {
    name: 'a prefix longer than the family allows',
    lines: ['overrides:', '  - network: 10.0.0.0/33', '    country: DE'],
    want: [
      `${at(2, 14)} overrides[0].network: prefix length must be 0-32, got "33" in "10.0.0.0/33" [bad-address]`,
    ],
    at: ['10.0.0.0/33'],
  },
  {
    name: 'a network that is not text',
    lines: ['overrides:', '  - network: [10.0.0.0/8]', '    country: DE'],
    want: [
      `${at(2, 14)} overrides[0].network: must be a network such as 10.0.0.0/8, got a list [bad-address]`,
    ],
    at: ['[10.0.0.0/8]'],
  },
  {
    name: 'no network',
    lines: ['overrides:', '  - country: DE'],
    want: [
      `${at(2, 5)} overrides[0]: an override needs a network, e.g. network: 10.0.0.0/8 [missing-key]`,
    ],
    at: ['country'],
  },
  {
    name: 'a network and nothing to place it with',
    lines: ['overrides:', '  - network: 10.0.0.0/8', '    note: nothing else'],
    want: [
      `${at(2, 5)} overrides[0]: an override needs a location, country, continent, subdivision or site [missing-key]`,
    ],
    at: ['network'],
  },
  {
    name: 'a misspelt key (which also leaves nothing to place the network with)',
    lines: ['overrides:', '  - network: 10.0.0.0/8', '    contry: DE'],
    want: [
      `${at(2, 5)} overrides[0]: an override needs a location, country, continent, subdivision or site [missing-key]`,
      `${at(3, 5)} overrides[0].contry: unknown key "contry" in an override (expected one of: ${ENTRY_KEYS}) [unknown-key]`,
    ],
    at: ['network', 'contry'],
  },
  {
    name: 'latitude out of range',
    lines: ['overrides:', '  - network: 10.0.0.0/8', '    location: { lat: 95, lon: 8.68 }'],
    want: [
      `${at(3, 22)} overrides[0].location.lat: must be a number -90 to 90, got number 95 [bad-value]`,
    ],
    at: ['95'],
  },
  {
    name: 'longitude out of range, block style',
    lines: [
      'overrides:',
      '  - network: 10.0.0.0/8',
      '    location:',
      '      lat: 50.11',
      '      lon: -181',
    ],
    want: [
      `${at(5, 12)} overrides[0].location.lon: must be a number -180 to 180, got number -181 [bad-value]`,
    ],
    at: ['-181'],
  },
  {
    name: 'a location without lon, and one written as text',
    lines: [
      'overrides:',
      '  - network: 10.0.0.0/8',
      '    location: { lat: 50.11 }',
      '  - network: 10.1.0.0/16',
      '    location: "50.11, 8.68"',
    ],
    want: [
      `${at(3, 15)} overrides[0].location: a location needs both lat and lon, e.g. { lat: 50.11, lon: 8.68 } [missing-key]`,
      `${at(5, 15)} overrides[1].location: must be a mapping, got string "50.11, 8.68" [wrong-type]`,
    ],
    at: ['{ lat', '"50.11'],
  },
  {
    name: 'an unknown country code, and one in lower case',
    lines: [
      'overrides:',
      '  - network: 10.0.0.0/8',
      '    country: XX',
      '  - network: 10.1.0.0/16',
      '    country: de',
    ],
    want: [
      `${at(3, 14)} overrides[0].country: must be an ISO 3166-1 alpha-2 country code (e.g. DE), got string "XX" [bad-value]`,
      `${at(5, 14)} overrides[1].country: country codes are written in upper case: "DE" [bad-value]`,
    ],
    at: ['XX', 'de'],
  },
  {
    name: 'a continent, a subdivision and a site that are not',
    lines: [
      'overrides:',
      '  - network: 10.0.0.0/8',
      '    continent: Europe',
      '    subdivision: California',
      '    site: eu west',
    ],
    want: [
      `${at(3, 16)} overrides[0].continent: must be a continent code (AF, AN, AS, EU, NA, OC, SA), got string "Europe" [bad-value]`,
      `${at(4, 18)} overrides[0].subdivision: must be an ISO 3166-2 subdivision code (e.g. US-CA), got string "California" [bad-value]`,
      `${at(5, 11)} overrides[0].site: must be a site name (letters, digits, '-', '_', '.'), got string "eu west" [bad-value]`,
    ],
    at: ['Europe', 'California', 'eu west'],
  },
  {
    name: 'a subdivision outside the country given',
    lines: ['overrides:', '  - network: 10.0.0.0/8', '    country: DE', '    subdivision: US-CA'],
    want: [
      `${at(4, 18)} overrides[0].subdivision: subdivision US-CA is not in country DE [bad-value]`,
    ],
    at: ['US-CA'],
  },
  {
    name: 'the same network twice, however spelt',
    lines: [
      'overrides:',
      '  - network: 2001:db8::/32',
      '    country: DE',
      '  - network: 2001:0db8:0::/32',
      '    country: FR',
    ],
    want: [
      `${at(4, 14)} overrides[1].network: duplicate network 2001:db8::/32: the first is at line 2, column 14 [bad-value]`,
    ],
    at: ['2001:0db8:0::/32'],
  },
  {
    name: 'a key written twice in one entry',
    lines: ['overrides:', '  - network: 10.0.0.0/8', '    country: DE', '    country: FR'],
    want: [
      `${at(4, 5)} overrides[0].country: duplicate key "country": the first is at line 3, column 5, and YAML keeps only one [duplicate-key]`,
    ],
    at: ['country: FR'],
  },
  {
    name: 'YAML that does not parse: an unclosed flow mapping',
    lines: [
      'overrides:',
      '  - network: 10.0.0.0/8',
      '    location: { lat: 1, lon: 2',
      '  - network: 10.1.0.0/16',
    ],
    want: [
      `${at(4, 3)} flow map in block collection must be sufficiently indented and end with a } [yaml-syntax]`,
    ],
    at: ['- network'],
  },
  {
    name: 'every problem at once, in reading order',
    lines: [
      'overrides:',
      '  - network: 192.0.2.0/25x',
      '    country: DE',
      '  - network: 198.51.100.0/24',
      '    location: { lat: 91, lon: 181 }',
    ],
    want: [
      `${at(2, 14)} overrides[0].network: prefix length must be 0-32, got "25x" in "192.0.2.0/25x" [bad-address]`,
      `${at(5, 22)} overrides[1].location.lat: must be a number -90 to 90, got number 91 [bad-value]`,
      `${at(5, 31)} overrides[1].location.lon: must be a number -180 to 180, got number 181 [bad-value]`,
    ],
    at: ['192.0.2.0/25x', '91', '181'],
  },
];

describe('overrides file: every problem at its file:line:col', () => {
  it.each(rows)('$name', ({ lines, want, at: tokens }) => {
    const got = problems(lines);
    expect(got).toEqual(want);
    got.forEach((p, i) => {
      const [, line, col] = /^[^:]+:(\d+):(\d+):/.exec(p)!;
      const text = lines[Number(line) - 1]!.slice(Number(col) - 1);
      expect(text.startsWith(tokens[i]!), `${p}\npoints at: ${text}`).toBe(true);
    });
  });

  it('an empty file, or an empty list, is no overrides', () => {
    expect(problems([''])).toEqual([]);
    expect(problems(['overrides: []'])).toEqual([]);
    expect(problems(['overrides:'])).toEqual([]);
  });
});

describe('overrides file: what each entry means', () => {
  it('reads every field, deriving continent, country and location where they are implied', () => {
    const { set, problems: p } = compileOverrides(
      FILE,
      [
        'overrides:',
        '  - network: 10.0.0.0/8',
        '    location: { lat: 50.11, lon: 8.68 }',
        '    country: DE',
        '    note: corporate LAN',
        '  - network: 172.16.0.0/12',
        '    site: eu-west',
        '  - network: 2001:db8:1234::/48',
        '    country: JP',
        '  - network: 2001:db8:5678::/48',
        '    subdivision: US-CA',
        '  - network: 192.0.2.1',
        '    continent: OC',
      ].join('\n'),
    );
    expect(p).toEqual([]);
    expect(
      set.entries.map((o) => ({
        text: o.text,
        origin: o.origin,
        location: o.location,
        country: o.country,
        continent: o.continent,
        subdivision: o.subdivision,
        site: o.site,
        point: o.locationFromCountry,
      })),
    ).toEqual([
      {
        text: '10.0.0.0/8',
        origin: `${FILE}:2`,
        location: { lat: 50.11, lon: 8.68 },
        country: 'DE',
        continent: 'EU',
        subdivision: null,
        site: null,
        point: false,
      },
      {
        text: '172.16.0.0/12',
        origin: `${FILE}:6`,
        location: null,
        country: null,
        continent: null,
        subdivision: null,
        site: 'eu-west',
        point: false,
      },
      {
        text: '2001:db8:1234::/48',
        origin: `${FILE}:8`,
        location: { lat: 36.2, lon: 138.25 },
        country: 'JP',
        continent: 'AS',
        subdivision: null,
        site: null,
        point: true,
      },
      {
        text: '2001:db8:5678::/48',
        origin: `${FILE}:10`,
        location: { lat: 37.09, lon: -95.71 },
        country: 'US',
        continent: 'NA',
        subdivision: 'US-CA',
        site: null,
        point: true,
      },
      {
        text: '192.0.2.1/32',
        origin: `${FILE}:12`,
        location: null,
        country: null,
        continent: 'OC',
        subdivision: null,
        site: null,
        point: false,
      },
    ]);
  });

  it('loadOverrides throws every problem as ProblemsError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-ovr-'));
    try {
      const file = join(dir, 'overrides.yaml');
      await writeFile(file, 'overrides:\n  - network: 10.0.0.0/8\n    country: XX\n');
      const err = await loadOverrides(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProblemsError);
      expect((err as Error).message).toBe(
        `${file}:3:14: overrides[0].country: must be an ISO 3166-1 alpha-2 country code (e.g. DE), got string "XX" [bad-value]`,
      );
      await expect(loadOverrides(join(dir, 'missing.yaml'))).rejects.toThrow(
        /missing\.yaml:1:1: ENOENT.*\[io-error\]/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// The database for the rest: 10.0.0.0/8 and 2001:db8::/32 in the US, 192.0.2.0/24 in France.
let dir: string;
let db: MmdbDatabase;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-ovr-db-'));
  const file = join(dir, 'city.mmdb');
  await writeFile(
    file,
    buildGeoDatabase('geoip2-city', 6, {
      '10.0.0.0/8': { country: 'US', continent: 'NA', lat: 40.71, lon: -74.01 },
      '192.0.2.0/24': { country: 'FR', continent: 'EU', lat: 48.86, lon: 2.35 },
      '2001:db8::/32': { country: 'US', continent: 'NA', lat: 40.71, lon: -74.01 },
    }),
  );
  db = await MmdbDatabase.open(file);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function locatorWith(lines: string[]): GeoIpLocator {
  const { set, problems: p } = compileOverrides(FILE, lines.join('\n'));
  expect(p.map(formatProblem)).toEqual([]);
  return new GeoIpLocator({ databases: [db], overrides: set });
}

function locate(geo: GeoIpLocator, client: string): GeoResult {
  const c = parseClientAddress(client)!;
  return geo.locate(c.bytes, c.prefix);
}

const OVERRIDES = [
  'overrides:',
  '  - network: 10.1.0.0/16', // line 2
  '    country: DE',
  '  - network: 10.1.2.0/24', // line 4
  '    location: { lat: 35.69, lon: 139.69 }',
  '    country: JP',
  '  - network: 10.1.2.128/25', // line 7
  '    site: eu-west',
  '  - network: 2001:db8:1234::/48', // line 9
  '    country: GB',
  '  - network: 172.16.0.0/12', // line 11: nothing in the database here
  '    country: NL',
];

describe('overrides win, longest match first', () => {
  // [client, source, country, site, network reported, origin]
  const cases: [string, string, string | null, string | null, string, string][] = [
    ['10.1.2.64/26', 'override', 'JP', null, '10.1.2.0/25', `${FILE}:4`], // /24 minus the /25 in it
    ['10.1.2.200', 'override', null, 'eu-west', '10.1.2.128/25', `${FILE}:7`],
    ['10.1.2.0/24', 'override', 'JP', null, '10.1.2.0/25', `${FILE}:4`], // asked as a /24, holds for a /25
    ['10.1.77.0/24', 'override', 'DE', null, '10.1.64.0/18', `${FILE}:2 (country point)`], // /16 minus the /24 in it
    ['10.9.0.0/16', 'database', 'US', null, '10.8.0.0/13', 'city.mmdb'], // the database's /8 minus the /16
    ['10.200.0.0/16', 'database', 'US', null, '10.128.0.0/9', 'city.mmdb'],
    ['172.20.1.0/24', 'override', 'NL', null, '172.16.0.0/12', `${FILE}:11 (country point)`],
    ['192.0.2.0/24', 'database', 'FR', null, '192.0.2.0/24', 'city.mmdb'],
    [
      '2001:db8:1234:ab::/64',
      'override',
      'GB',
      null,
      '2001:db8:1234::/48',
      `${FILE}:9 (country point)`,
    ],
    ['2001:db8:1235::/48', 'database', 'US', null, '2001:db8:1235::/48', 'city.mmdb'], // 1235 vs 1234: bit 47
    ['2001:db8:8000::/48', 'database', 'US', null, '2001:db8:8000::/33', 'city.mmdb'],
  ];
  it.each(cases)('%s → %s %s %s for %s (%s)', (client, source, country, site, network, origin) => {
    const r = locate(locatorWith(OVERRIDES), client);
    expect({
      source: r.source,
      country: r.country,
      site: r.site,
      network: r.network,
      origin: r.origin,
    }).toEqual({
      source,
      country,
      site,
      network,
      origin,
    });
    expect(r.prefixLength).toBe(Number(network.split('/')[1]));
  });

  it('an override with only a site places nothing else, even where the database knows the network', () => {
    expect(locate(locatorWith(OVERRIDES), '10.1.2.128/25')).toMatchObject({
      source: 'override',
      site: 'eu-west',
      location: null,
      country: null,
      continent: null,
    });
  });

  it('a country-only override takes the country point, and says so', () => {
    expect(locate(locatorWith(OVERRIDES), '10.1.9.0/24')).toMatchObject({
      location: { lat: 51.17, lon: 10.45 },
      continent: 'EU',
      origin: `${FILE}:2 (country point)`,
    });
  });
});

describe('reported networks never cover an override that does not hold the client', () => {
  it('narrows to one bit past where the client leaves the override, however deep it is', () => {
    // The client asks as a /16; an override /24 inside it leaves 172.16.0.0 at bit 21.
    const geo = locatorWith([
      'overrides:',
      '  - network: 172.16.0.0/12',
      '    site: eu-west',
      '  - network: 172.16.5.0/24',
      '    site: ap-east',
    ]);
    expect(locate(geo, '172.16.0.0/16')).toMatchObject({
      site: 'eu-west',
      prefixLength: 22,
      network: '172.16.0.0/22',
    });
    expect(locate(geo, '172.16.4.0/24')).toMatchObject({
      site: 'eu-west',
      prefixLength: 24,
      network: '172.16.4.0/24',
    });
    expect(locate(geo, '172.16.5.0/24')).toMatchObject({ site: 'ap-east', prefixLength: 24 });
    // A host route deep inside: everything around it is narrowed down to /32 next to it.
    const host = locatorWith(['overrides:', '  - network: 10.0.0.1', '    country: DE']);
    expect(locate(host, '10.0.0.0/32')).toMatchObject({
      source: 'database',
      network: '10.0.0.0/32',
    });
    expect(locate(host, '10.0.0.1/32')).toMatchObject({
      source: 'override',
      network: '10.0.0.1/32',
    });
  });

  it('unknown clients are narrowed the same way', () => {
    const geo = locatorWith(['overrides:', '  - network: 100.64.1.0/24', '    country: DE']);
    expect(locate(geo, '100.64.0.0/24')).toMatchObject({
      source: 'none',
      network: '100.64.0.0/24',
    });
    // The database's empty network here is 64.0.0.0/2; the override leaves 100.65 at bit 15.
    expect(locate(geo, '100.65.0.0/24')).toMatchObject({
      source: 'none',
      network: '100.65.0.0/16',
    });
    expect(locate(geo, '64.0.0.0/24')).toMatchObject({ source: 'none', network: '64.0.0.0/3' }); // 64 leaves 100 at bit 2
  });

  it('narrowPrefix: the override branch matters only at or below the base prefix', () => {
    expect([
      narrowPrefix(8, -1),
      narrowPrefix(8, 3),
      narrowPrefix(8, 8),
      narrowPrefix(8, 20),
    ]).toEqual([8, 8, 9, 21]);
  });

  it('an empty set matches nothing and narrows nothing', () => {
    expect(OverrideSet.EMPTY.match(Uint8Array.of(10, 0, 0, 1))).toEqual({
      override: null,
      depth: 0,
      branch: -1,
    });
  });
});
