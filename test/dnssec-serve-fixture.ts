// A signed geosteer zone for the answer-path tests: gslb.example.test with static, steered,
// CNAME-into-steered, wildcard and delegated names, its keys written to a key directory in
// BIND's format, and a GeoIP database placing client networks near each site.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyFiles } from '../src/dnssec/key-files.js';
import { type DnssecKey, dsRData, generateKey } from '../src/dnssec/keys.js';
import { dnssecRdataText } from '../src/dnssec/present.js';
import { openGeoLocator, type WatchedGeoLocator } from '../src/geoip/index.js';
import { DEFAULT_WIDEN_LOOKUPS_PER_SECOND } from '../src/geoip/budget.js';
import { buildGeoDatabase, type Place } from './helpers/mmdb-writer.js';

export const SIGNED = 'gslb.example.test';

/** Client networks by site: ECS subnets the nearest policy sends to each site. */
export const NEAR: Record<string, { subnet: string; address: string }> = {
  'us-east': { subnet: '24.0.0.0/24', address: '192.0.2.10' },
  'eu-west': { subnet: '81.0.0.0/24', address: '198.51.100.10' },
};

const PLACES: Record<string, Place> = {
  '24.0.0.0/16': { country: 'US', continent: 'NA', lat: 40.71, lon: -74.01 },
  '81.0.0.0/16': { country: 'FR', continent: 'EU', lat: 48.86, lon: 2.35 },
  '127.0.0.0/8': { country: 'FR', continent: 'EU', lat: 48.86, lon: 2.35 },
};

export function signedZoneYaml(keysDir = 'keys', extra = ''): string {
  return `
zone: ${SIGNED}
ttl: 300
soa:
  primary: ns1.${SIGNED}
  contact: hostmaster@example.test
  negative_ttl: 60
nameservers:
  ns1.${SIGNED}: [127.0.0.1]
dnssec:
  keys: ${keysDir}${extra}
records:
  static:
    A: [192.0.2.1]
    AAAA: [2001:db8::1]
  www:
    steer: nearest
    sites: [us-east, eu-west]
  alias:
    CNAME: www
  '*.wild':
    A: [192.0.2.7]
  a.b.ent:
    TXT: ['ent']
  sub:
    NS: [ns1.sub]
  ns1.sub:
    A: [192.0.2.99]
sites:
  us-east:
    location: { lat: 39.04, lon: -77.49 }
    addresses: [192.0.2.10]
  eu-west:
    location: { lat: 53.35, lon: -6.26 }
    addresses: [198.51.100.10]
`;
}

/** A CSK for the zone, created a year back so it is active at any test time, in `dir`/keys. */
export async function signedZoneDir(algorithm: 13 | 15 = 13): Promise<{
  dir: string;
  key: DnssecKey;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-signed-'));
  const key = generateKey(SIGNED, {
    algorithm,
    sep: true,
    now: Date.now() / 1000 - 365 * 86400,
  });
  await writeKeyFiles(join(dir, 'keys'), key);
  return { dir, key };
}

/** The DS of `key` as BIND's trust-anchors clause wants it (delv -a). */
export async function anchorFile(dir: string, zone: string, key: DnssecKey): Promise<string> {
  const file = join(dir, `anchor-${key.tag}.conf`);
  const [tag, alg, digestType, digest] = dnssecRdataText(dsRData(key)).split(' ');
  await writeFile(
    file,
    `trust-anchors { ${zone}. static-ds ${tag} ${alg} ${digestType} "${digest}"; };\n`,
  );
  return file;
}

export async function geoLocator(dir: string): Promise<WatchedGeoLocator> {
  const file = join(dir, 'city.mmdb');
  await writeFile(
    file,
    buildGeoDatabase('geoip2-city', 6, PLACES, { databaseType: 'GeoIP2-City' }),
  );
  return openGeoLocator(
    {
      databases: [file],
      overrides: null,
      overridesRequired: false,
      defaultLocation: null,
      cacheSize: 1024,
      widenLookupsPerSecond: DEFAULT_WIDEN_LOOKUPS_PER_SECOND,
    },
    { watch: false },
  );
}
