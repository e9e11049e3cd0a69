// The zone, GeoIP databases and overrides the explain tests share, all built in code.
//
// Sites: us-east (Ashburn, two IPv4 VIPs), eu-west (Dublin), eu-central (Frankfurt), eu-old
// (Amsterdam, drained in the zone file), ap-south (Mumbai, IPv4 only). Client networks in the
// City databases: Paris, New York, Tokyo, Nairobi (IPv4), Paris and New York (IPv6). Overrides:
// 10.20.0.0/16 straight to eu-west, 10.30.0.0/16 placed in Frankfurt. 100.64.0.0/10 is unknown.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MmdbDatabase } from '../src/geoip/database.js';
import { GeoIpLocator } from '../src/geoip/locator.js';
import { compileOverrides } from '../src/geoip/overrides.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import { buildGeoDatabase, type Place } from './helpers/mmdb-writer.js';

export const ZONE = 'gslb.test';
export const ZONE_FILE = `${ZONE}.yaml`;

export const ZONE_YAML = `zone: ${ZONE}
nameservers:
  ns1.${ZONE}: [192.0.2.53]
records:
  static:
    A: [192.0.2.1]
  alias: # a static CNAME to a steered name
    CNAME: www
  www:
    steer: nearest
    sites: [us-east, eu-west, ap-south]
    ttl: 30
  near:
    steer: nearest
    sites: [us-east, eu-west, eu-central, ap-south]
    spread: 1500km
  api:
    steer: weighted
    sites: { us-east: 3, eu-west: 2, ap-south: 1 }
  db:
    steer: failover
    groups: [[eu-old, us-east], [eu-west, ap-south]]
    min_available: 2
  login:
    steer: sticky
    sites: [us-east, eu-west, ap-south]
  shop:
    steer: geo
    rules:
      - { subnet: [203.0.113.0/24], sites: [ap-south] }
      - { continent: [EU, AF], sites: [eu-west, us-east] }
      - { country: [JP], sites: [ap-south, eu-west] }
      - { default: true, sites: [us-east, eu-west] }
  mumbai: # no site here has IPv6
    steer: nearest
    sites: [ap-south]
  legacy:
    NS: [ns.legacy.example.net.]
sites:
  us-east:
    location: { lat: 39.04, lon: -77.49 }
    country: US
    addresses: [192.0.2.10, 192.0.2.11, '2001:db8:10::1']
  eu-west:
    location: { lat: 53.35, lon: -6.26 }
    country: IE
    addresses: [198.51.100.10, '2001:db8:20::1']
  eu-central:
    location: { lat: 50.11, lon: 8.68 }
    country: DE
    addresses: [198.51.100.20, '2001:db8:30::1']
  eu-old:
    location: { lat: 52.37, lon: 4.9 }
    country: NL
    addresses: [198.51.100.30]
    state: drain
  ap-south:
    location: { lat: 19.07, lon: 72.88 }
    country: IN
    addresses: [203.0.113.10]
`;

export const CITY = {
  paris: { lat: 48.86, lon: 2.35 },
  newYork: { lat: 40.71, lon: -74.01 },
  tokyo: { lat: 35.68, lon: 139.69 },
  nairobi: { lat: -1.29, lon: 36.82 },
};

export const PLACES_V4: Record<string, Place> = {
  '81.0.0.0/16': { country: 'FR', continent: 'EU', ...CITY.paris },
  '24.0.0.0/16': { country: 'US', continent: 'NA', ...CITY.newYork },
  '126.0.0.0/16': { country: 'JP', continent: 'AS', ...CITY.tokyo },
  '41.0.0.0/16': { country: 'KE', continent: 'AF', ...CITY.nairobi },
};
export const PLACES_V6: Record<string, Place> = {
  '2a00:1000::/28': { country: 'FR', continent: 'EU', ...CITY.paris },
  '2600:1000::/28': { country: 'US', continent: 'NA', ...CITY.newYork },
};

export const OVERRIDES_FILE = 'overrides.yaml';
export const OVERRIDES_YAML = `overrides:
  - network: 10.20.0.0/16
    site: eu-west
  - network: 10.30.0.0/16
    location: { lat: 50.11, lon: 8.68 }
    country: DE
`;

export const DB_V4 = 'city-v4.mmdb';
export const DB_V6 = 'city-v6.mmdb';

export function databases(): { v4: Buffer; v6: Buffer } {
  return {
    v4: buildGeoDatabase('geoip2-city', 4, PLACES_V4),
    v6: buildGeoDatabase('geoip2-city', 6, PLACES_V6),
  };
}

/** A locator over the databases and overrides above; `dir` is where they are said to live. */
export function locator(dir = '.'): GeoIpLocator {
  const { v4, v6 } = databases();
  const { set, problems } = compileOverrides(join(dir, OVERRIDES_FILE), OVERRIDES_YAML);
  if (problems.length) throw new Error(problems.map(formatProblem).join('\n'));
  return new GeoIpLocator({
    databases: [
      MmdbDatabase.fromBuffer(join(dir, DB_V4), v4),
      MmdbDatabase.fromBuffer(join(dir, DB_V6), v6),
    ],
    overrides: set,
  });
}

/** The zone, freshly compiled: each call has its own rotations. */
export function zones(file = ZONE_FILE): ZoneSet {
  const r = compileText(file, ZONE_YAML);
  if (!r.zone) throw new Error(r.problems.map(formatProblem).join('\n'));
  return new ZoneSet([r.zone], 1);
}

/** Write the zone, databases, overrides and a geosteer.yaml naming them into `dir`. */
export async function writeSetup(dir: string): Promise<{ config: string; zonesDir: string }> {
  const zonesDir = join(dir, 'zones');
  await mkdir(zonesDir, { recursive: true });
  await writeFile(join(zonesDir, ZONE_FILE), ZONE_YAML);
  const { v4, v6 } = databases();
  await writeFile(join(dir, DB_V4), v4);
  await writeFile(join(dir, DB_V6), v6);
  await writeFile(join(dir, OVERRIDES_FILE), OVERRIDES_YAML);
  const config = join(dir, 'geosteer.yaml');
  await writeFile(
    config,
    `zones: zones\ngeoip:\n  database: [${DB_V4}, ${DB_V6}]\n  overrides: ${OVERRIDES_FILE}\n`,
  );
  return { config, zonesDir };
}
