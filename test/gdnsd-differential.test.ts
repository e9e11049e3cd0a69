// Differential test of `steer: nearest` and its ECS scope against gdnsd (Debian package `gdnsd`),
// whose geoip plugin in city-auto mode is the reference GSLB for distance-based steering: both
// servers read the same GeoIP2 City .mmdb, built here by the test writer, and are asked the same
// questions with the same EDNS Client Subnet options over UDP on 127.0.0.1.
//
// For every client subnet below, both must pick the same site, and geosteer's ECS scope must not
// be longer than gdnsd's by more than SCOPE_MARGIN (docs/geoip.md, "ECS scope compared with
// gdnsd"). gdnsd merges adjacent networks with the same distance-ranked site list when it loads
// the database; geosteer widens per client network on demand (src/policy/scope.ts).
//
// PowerDNS's pickclosest is not a reference here: it ranks by flat degree distance, not great-circle
// distance, so it disagrees with both on some clients.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonPrefixLength } from '../src/base/address.js';
import {
  GeoIpLocator,
  MmdbDatabase,
  openGeoLocator,
  parseCidr,
  type WatchedGeoLocator,
} from '../src/geoip/index.js';
import type { GeoLocator } from '../src/geoip/types.js';
import { distanceKm } from '../src/policy/geo-math.js';
import { buildQuery, ecsEchoes, ecsOption, udpExchange } from './helpers/dns-client.js';
import { startGdnsd, type GdnsdServer, type GdnsdSite } from './helpers/gdnsd.js';
import { buildGeoDatabase, type Place } from './helpers/mmdb-writer.js';
import { startServer, type TestServer } from './helpers/server.js';
import { DEFAULT_WIDEN_LOOKUPS_PER_SECOND } from '../src/geoip/budget.js';

/** Record data as text (A, AAAA, CNAME). */
const dataOf = (a: dnsPacket.Answer): string => String((a as { data?: unknown }).data);

/**
 * How many bits longer than gdnsd's geosteer's ECS scope may be. Measured over CLIENTS: 0 with
 * scope widening (both find the largest network with the same ranked site list); without it
 * geosteer would answer with the database network, up to 21 bits longer (see the last test).
 */
const SCOPE_MARGIN = 0;

const ORIGIN = 'gslb.test';
const SITES: readonly GdnsdSite[] = [
  { name: 'us-east', lat: 39.04, lon: -77.49, address: '192.0.2.10' }, // Ashburn
  { name: 'eu-west', lat: 53.35, lon: -6.26, address: '198.51.100.10' }, // Dublin
  { name: 'ap-south', lat: 19.07, lon: 72.88, address: '203.0.113.10' }, // Mumbai
];
const SITE_OF = new Map(SITES.map((s) => [s.address, s.name]));

const CITY = {
  newYork: [40.71, -74.01],
  chicago: [41.88, -87.63],
  toronto: [43.65, -79.38],
  dallas: [32.78, -96.8],
  miami: [25.76, -80.19],
  losAngeles: [34.05, -118.24],
  seattle: [47.61, -122.33],
  mexicoCity: [19.43, -99.13],
  saoPaulo: [-23.55, -46.63],
  buenosAires: [-34.6, -58.38],
  bogota: [4.71, -74.07],
  lima: [-12.05, -77.04],
  london: [51.51, -0.13],
  paris: [48.86, 2.35],
  amsterdam: [52.37, 4.9],
  madrid: [40.42, -3.7],
  berlin: [52.52, 13.4],
  rome: [41.9, 12.5],
  warsaw: [52.23, 21.01],
  stockholm: [59.33, 18.07],
  lagos: [6.52, 3.38],
  nairobi: [-1.29, 36.82],
  cairo: [30.04, 31.24],
  johannesburg: [-26.2, 28.05],
  tokyo: [35.68, 139.69],
  seoul: [37.57, 126.98],
  singapore: [1.29, 103.85],
  delhi: [28.61, 77.21],
  hongKong: [22.32, 114.17],
  bangkok: [13.76, 100.5],
  dubai: [25.2, 55.27],
  sydney: [-33.87, 151.21],
  auckland: [-36.85, 174.76],
} as const satisfies Record<string, readonly [number, number]>;
type City = keyof typeof CITY;
const COUNTRY: Record<City, [string, string]> = {
  newYork: ['US', 'NA'],
  chicago: ['US', 'NA'],
  toronto: ['CA', 'NA'],
  dallas: ['US', 'NA'],
  miami: ['US', 'NA'],
  losAngeles: ['US', 'NA'],
  seattle: ['US', 'NA'],
  mexicoCity: ['MX', 'NA'],
  saoPaulo: ['BR', 'SA'],
  buenosAires: ['AR', 'SA'],
  bogota: ['CO', 'SA'],
  lima: ['PE', 'SA'],
  london: ['GB', 'EU'],
  paris: ['FR', 'EU'],
  amsterdam: ['NL', 'EU'],
  madrid: ['ES', 'EU'],
  berlin: ['DE', 'EU'],
  rome: ['IT', 'EU'],
  warsaw: ['PL', 'EU'],
  stockholm: ['SE', 'EU'],
  lagos: ['NG', 'AF'],
  nairobi: ['KE', 'AF'],
  cairo: ['EG', 'AF'],
  johannesburg: ['ZA', 'AF'],
  tokyo: ['JP', 'AS'],
  seoul: ['KR', 'AS'],
  singapore: ['SG', 'AS'],
  delhi: ['IN', 'AS'],
  hongKong: ['HK', 'AS'],
  bangkok: ['TH', 'AS'],
  dubai: ['AE', 'AS'],
  sydney: ['AU', 'OC'],
  auckland: ['NZ', 'OC'],
};

/**
 * The database: networks of many sizes on every inhabited continent. Neighbours often rank the
 * sites the same way (New York, Chicago and Toronto; London and Paris), so gdnsd merges them, and
 * some do not (Paris and Berlin; Lagos and Nairobi). Two islands (a London /20 inside New York, a
 * Tokyo /24 inside Paris) cut holes the merged networks must go around. No network is finer than
 * /24 (IPv4) or /56 (IPv6), the granularity geosteer steers clients at.
 */
const NETWORKS: [string, City][] = [
  ['24.0.0.0/16', 'newYork'],
  ['24.0.128.0/20', 'london'],
  ['24.1.0.0/16', 'newYork'],
  ['24.2.0.0/15', 'newYork'],
  ['24.4.0.0/14', 'chicago'],
  ['24.8.0.0/13', 'toronto'],
  ['24.16.0.0/12', 'dallas'],
  ['24.32.0.0/11', 'miami'],
  ['76.0.0.0/12', 'losAngeles'],
  ['76.16.0.0/12', 'losAngeles'],
  ['76.32.0.0/11', 'seattle'],
  ['187.128.0.0/10', 'mexicoCity'],
  ['177.0.0.0/10', 'saoPaulo'],
  ['181.0.0.0/12', 'buenosAires'],
  ['181.16.0.0/12', 'bogota'],
  ['181.32.0.0/11', 'lima'],
  ['81.0.0.0/16', 'london'],
  ['81.1.0.0/16', 'london'],
  ['81.2.0.0/15', 'paris'],
  ['81.2.77.0/24', 'tokyo'],
  ['81.4.0.0/16', 'amsterdam'],
  ['81.5.0.0/16', 'madrid'],
  ['81.6.0.0/15', 'berlin'],
  ['81.8.0.0/14', 'rome'],
  ['81.12.0.0/14', 'warsaw'],
  ['81.16.0.0/12', 'stockholm'],
  ['2.0.0.0/12', 'london'],
  ['2.16.0.0/12', 'paris'],
  ['41.0.0.0/12', 'lagos'],
  ['41.16.0.0/12', 'nairobi'],
  ['41.32.0.0/11', 'cairo'],
  ['41.64.0.0/10', 'johannesburg'],
  ['126.0.0.0/10', 'tokyo'],
  ['126.64.0.0/10', 'seoul'],
  ['49.0.0.0/12', 'singapore'],
  ['49.16.0.0/12', 'delhi'],
  ['49.128.0.0/10', 'auckland'],
  ['1.0.0.0/14', 'hongKong'],
  ['1.4.0.0/14', 'bangkok'],
  ['1.128.0.0/11', 'sydney'],
  ['5.0.0.0/14', 'dubai'],
  ['2600:1000::/28', 'newYork'],
  ['2600:1010::/28', 'chicago'],
  ['2600:1020::/27', 'losAngeles'],
  ['2a00:1000::/28', 'paris'],
  ['2a00:1010::/28', 'berlin'],
  ['2a00:1020::/27', 'london'],
  ['2400:1000::/28', 'tokyo'],
  ['2400:1010::/28', 'singapore'],
  ['2400:1020::/28', 'sydney'],
];

/** Client subnets: inside each city's networks, beside the islands, and in space the database lacks. */
const CLIENTS: string[] = [
  '24.0.3.0/24', // New York
  '24.0.129.0/24', // the London island inside New York
  '24.0.200.0/24', // New York, beside the island
  '24.1.77.0/24',
  '24.3.1.0/24',
  '24.5.9.0/24', // Chicago
  '24.9.0.0/24', // Toronto
  '24.20.5.0/24', // Dallas
  '24.40.1.0/24', // Miami
  '76.1.2.0/24', // Los Angeles
  '76.40.0.0/24', // Seattle
  '187.130.4.0/24', // Mexico City
  '177.3.3.0/24', // São Paulo
  '181.1.0.0/24', // Buenos Aires
  '181.17.8.0/24', // Bogotá
  '181.40.0.0/24', // Lima
  '81.0.5.0/24', // London
  '81.2.5.0/24', // Paris
  '81.2.76.0/24', // Paris, beside the Tokyo island
  '81.2.77.0/24', // the Tokyo island
  '81.4.4.0/24', // Amsterdam
  '81.5.250.0/24', // Madrid
  '81.7.1.0/24', // Berlin
  '81.9.9.0/24', // Rome
  '81.13.0.0/24', // Warsaw
  '81.20.0.0/24', // Stockholm
  '2.1.0.0/24', // London
  '2.17.0.0/24', // Paris
  '41.1.1.0/24', // Lagos
  '41.17.0.0/24', // Nairobi
  '41.33.3.0/24', // Cairo
  '41.70.0.0/24', // Johannesburg
  '126.1.2.0/24', // Tokyo
  '126.65.0.0/24', // Seoul
  '49.1.1.0/24', // Singapore
  '49.17.0.0/24', // Delhi
  '49.130.0.0/24', // Auckland
  '1.1.1.0/24', // Hong Kong
  '1.5.0.0/24', // Bangkok
  '1.130.0.0/24', // Sydney
  '5.1.0.0/24', // Dubai
  '100.64.1.0/24', // not in the database
  '200.1.2.0/24', // not in the database
  '81.2.0.0/16', // a short source prefix: Paris, whose /15 the island splits
  '24.4.0.0/14',
  '2600:1000:5::/48', // New York
  '2600:1010:1::/48', // Chicago
  '2600:1020::/56', // Los Angeles
  '2a00:1000:3::/48', // Paris
  '2a00:1010:7::/48', // Berlin
  '2a00:1020:1:100::/56', // London
  '2400:1000:2::/48', // Tokyo
  '2400:1010::/48', // Singapore
  '2400:1020:9::/48', // Sydney
  '2c0f:1000::/48', // not in the database
];

const places: Record<string, Place> = Object.fromEntries(
  NETWORKS.map(([net, city]) => {
    const [country, continent] = COUNTRY[city];
    const [lat, lon] = CITY[city];
    return [net, { country, continent, lat, lon }];
  }),
);

/** The city of the most specific network holding the client's address, or null. */
function cityOf(subnet: string): City | null {
  const c = parseCidr(subnet.replace(/\/\d+$/, ''));
  if (!c.ok) throw new Error(c.message);
  let best: { city: City; prefix: number } | null = null;
  for (const [net, city] of NETWORKS) {
    const n = parseCidr(net);
    if (!n.ok || n.network.family !== c.network.family) continue;
    if (commonPrefixLength(n.network.bytes, c.network.bytes, n.network.prefix) !== n.network.prefix)
      continue;
    if (!best || n.network.prefix > best.prefix) best = { city, prefix: n.network.prefix };
  }
  return best?.city ?? null;
}

let dir: string;
let mmdb: string;
let geo: WatchedGeoLocator;
let geosteer: TestServer;
let gdnsd: GdnsdServer | null = null;
let gdnsdError: Error | null = null;

function zoneYaml(): string {
  return [
    `zone: ${ORIGIN}`,
    'nameservers:',
    `  ns1.${ORIGIN}: [192.0.2.53]`,
    'records:',
    '  www:',
    '    steer: nearest',
    `    sites: [${SITES.map((s) => s.name).join(', ')}]`,
    'sites:',
    ...SITES.flatMap((s) => [
      `  ${s.name}:`,
      `    location: { lat: ${s.lat}, lon: ${s.lon} }`,
      `    addresses: [${s.address}]`,
    ]),
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-gdnsd-diff-'));
  mmdb = join(dir, 'GeoIP2-City.mmdb');
  // GeoIP2-City, not GeoLite2-City: gdnsd refuses city-auto mode over recent GeoLite2 files,
  // which (since 2019) lack coordinates.
  await writeFile(
    mmdb,
    buildGeoDatabase('geoip2-city', 6, places, { databaseType: 'GeoIP2-City' }),
  );
  geo = await openGeoLocator(
    {
      databases: [mmdb],
      overrides: null,
      overridesRequired: false,
      defaultLocation: null,
      cacheSize: 4096,
      widenLookupsPerSecond: DEFAULT_WIDEN_LOOKUPS_PER_SECOND,
    },
    { watch: false },
  );
  geosteer = await startServer({ [`${ORIGIN}.yaml`]: zoneYaml() }, { geo });
  // A missing or failing gdnsd fails every test below with gdnsd's message (not a skip).
  gdnsd = await startGdnsd({ mmdb, sites: SITES, origin: ORIGIN }).catch((e: unknown) => {
    gdnsdError = e as Error;
    return null;
  });
}, 30_000);

/** The gdnsd to compare with; throws why it did not start. */
function reference(): GdnsdServer {
  if (!gdnsd) throw gdnsdError ?? new Error('gdnsd did not start');
  return gdnsd;
}

afterAll(async () => {
  await gdnsd?.stop();
  await geosteer?.stop();
  geo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Answer {
  site: string;
  scope: number;
}

async function ask(port: number, subnet: string): Promise<Answer> {
  const msg = buildQuery(`www.${ORIGIN}`, 'A', { edns: 1232, ednsOptions: [ecsOption(subnet)] });
  const raw = await udpExchange(port, msg, '127.0.0.1', 2000);
  if (!raw) throw new Error(`no reply from port ${port} for ${subnet}`);
  const p = dnsPacket.decode(raw);
  const a = (p.answers ?? []).filter((r) => r.type === 'A').map((r) => dataOf(r));
  const echoes = ecsEchoes(p);
  if (a.length !== 1 || echoes.length !== 1)
    throw new Error(`port ${port}, ${subnet}: ${a.length} addresses, ${echoes.length} ECS options`);
  return { site: SITE_OF.get(a[0]!) ?? a[0]!, scope: echoes[0]!.scopePrefix };
}

describe('nearest against gdnsd city-auto mode, same GeoIP2 City database', () => {
  it('gdnsd is running', () => {
    expect(reference().pid).toBeGreaterThan(0);
  });

  it('the fixture has no near ties: each city’s sites differ by more than 100 km', () => {
    for (const [city, [lat, lon]] of Object.entries(CITY)) {
      const km = SITES.map((s) => distanceKm({ lat, lon }, s)).sort((a, b) => a - b);
      expect(km[1]! - km[0]!, city).toBeGreaterThan(100);
      expect(km[2]! - km[1]!, city).toBeGreaterThan(100);
    }
    expect(CLIENTS.length).toBeGreaterThanOrEqual(30);
    // Clients on every inhabited continent, each in the database network the fixture says.
    const continents = new Set(
      CLIENTS.map((c) => cityOf(c)).flatMap((city) => (city ? [COUNTRY[city][1]] : [])),
    );
    expect(continents).toEqual(new Set(['NA', 'SA', 'EU', 'AF', 'AS', 'OC']));
  });

  it.each(CLIENTS)(
    'ECS %s: the same site as gdnsd, and a scope at most SCOPE_MARGIN longer',
    async (subnet) => {
      const ours = await ask(geosteer.port, subnet);
      const theirs = await ask(reference().port, subnet);
      expect(ours.site).toBe(theirs.site);
      expect(
        ours.scope - theirs.scope,
        `geosteer /${ours.scope}, gdnsd /${theirs.scope}`,
      ).toBeLessThanOrEqual(SCOPE_MARGIN);
    },
  );

  it('without widening the scope would be the database network: up to 21 bits longer than gdnsd’s', async () => {
    // The same database through a locator that offers no uncached lookups: no widening.
    const plain = new GeoIpLocator({ databases: [await MmdbDatabase.open(mmdb)] });
    const narrow: GeoLocator = { locate: (a, p) => plain.locate(a, p), version: 0 };
    const t = await startServer({ [`${ORIGIN}.yaml`]: zoneYaml() }, { geo: narrow });
    try {
      let worst = 0;
      for (const subnet of CLIENTS) {
        const ours = await ask(t.port, subnet);
        const theirs = await ask(reference().port, subnet);
        expect(ours.site).toBe(theirs.site);
        worst = Math.max(worst, ours.scope - theirs.scope);
      }
      expect(worst).toBe(21);
    } finally {
      await t.stop();
    }
  });
});
