// EDNS Client Subnet (RFC 7871) end to end: a real server on 127.0.0.1 steering with a real
// GeoIpLocator over a GeoIP2 City .mmdb built in code, queried over UDP and TCP sockets.
//
// Sites: us-east (Ashburn), eu-west (Dublin), ap-south (Mumbai, IPv4 only). Client networks, from
// the database below: North America (New York, Chicago, San Jose), Europe (Paris, Berlin, London),
// Asia (Tokyo, Singapore), and 127.0.0.0/8 placed in Singapore so that the packet's own source
// address (127.0.0.1) is told apart from an ECS address.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeoLocator, type WatchedGeoLocator } from '../src/geoip/index.js';
import { TestHealthTable } from './helpers/health.js';
import {
  buildQuery,
  ecsData,
  ecsEchoes,
  ecsOption,
  type EcsFields,
  tcpExchange,
  udpExchange,
} from './helpers/dns-client.js';
import { buildGeoDatabase, type Place } from './helpers/mmdb-writer.js';
import { startServer, type TestServer } from './helpers/server.js';
import { DEFAULT_WIDEN_LOOKUPS_PER_SECOND } from '../src/geoip/budget.js';

/** Record data as text (A, AAAA, CNAME). */
const dataOf = (a: dnsPacket.Answer): string => String((a as { data?: unknown }).data);

const ZONE = 'gslb.test';
const CITY = {
  newYork: { lat: 40.71, lon: -74.01 },
  chicago: { lat: 41.88, lon: -87.63 },
  sanJose: { lat: 37.34, lon: -121.89 },
  paris: { lat: 48.86, lon: 2.35 },
  berlin: { lat: 52.52, lon: 13.4 },
  london: { lat: 51.51, lon: -0.13 },
  tokyo: { lat: 35.68, lon: 139.69 },
  singapore: { lat: 1.29, lon: 103.85 },
};
const at = (country: string, continent: string, c: { lat: number; lon: number }): Place => ({
  country,
  continent,
  ...c,
});

/** The GeoIP2 City database both the locator and the assertions read. */
const PLACES: Record<string, Place> = {
  '24.0.0.0/16': at('US', 'NA', CITY.newYork),
  // Split below /24: a /32 ECS source cut to /24 is located by 24.0.7.0, so it stays in New York.
  '24.0.7.128/25': at('JP', 'AS', CITY.tokyo),
  '24.1.0.0/16': at('US', 'NA', CITY.chicago),
  '76.0.0.0/16': at('US', 'NA', CITY.sanJose),
  '81.0.0.0/16': at('FR', 'EU', CITY.paris),
  '81.1.0.0/16': at('DE', 'EU', CITY.berlin),
  '2.16.0.0/16': at('GB', 'EU', CITY.london),
  '126.0.0.0/16': at('JP', 'AS', CITY.tokyo),
  '49.0.0.0/16': at('SG', 'AS', CITY.singapore),
  '127.0.0.0/8': at('SG', 'AS', CITY.singapore),
  '2600:1000::/28': at('US', 'NA', CITY.newYork),
  '2a00:1000::/28': at('FR', 'EU', CITY.paris),
  '2400:1000::/28': at('JP', 'AS', CITY.tokyo),
  // Split below /56: a /128 ECS source cut to /56 is located by 2400:1000:0:ff00::, Tokyo.
  '2400:1000:0:ff01::/64': at('FR', 'EU', CITY.paris),
};

const SITE_OF: Record<string, string> = {
  '192.0.2.10': 'us-east',
  '2001:db8:10::1': 'us-east',
  '198.51.100.10': 'eu-west',
  '2001:db8:20::1': 'eu-west',
  '203.0.113.10': 'ap-south',
};

/** A TXT value sized so that its answer fits 512 octets without an ECS echo, but not with one. */
const FILL = 'f'.repeat(450);

function zoneYaml(drained: readonly string[] = []): string {
  const state = (s: string) => (drained.includes(s) ? '\n    state: drain' : '');
  return `
zone: ${ZONE}
nameservers:
  ns1.${ZONE}: [192.0.2.53]
records:
  static:
    A: [192.0.2.1]
    AAAA: [2001:db8::1]
  alias: # a static CNAME to a steered name
    CNAME: www
  fill:
    TXT: ['${FILL}']
  www:
    steer: nearest
    sites: [us-east, eu-west, ap-south]
  api:
    steer: weighted
    sites: { us-east: 3, eu-west: 2, ap-south: 1 }
  login:
    steer: sticky
    sites: [us-east, eu-west, ap-south]
  db:
    steer: failover
    groups: [[us-east], [eu-west, ap-south]]
sites:
  us-east:
    location: { lat: 39.04, lon: -77.49 }
    addresses: [192.0.2.10, '2001:db8:10::1']${state('us-east')}
  eu-west:
    location: { lat: 53.35, lon: -6.26 }
    addresses: [198.51.100.10, '2001:db8:20::1']${state('eu-west')}
  ap-south:
    location: { lat: 19.07, lon: 72.88 }
    addresses: [203.0.113.10]${state('ap-south')}
`;
}

let dir: string;
let geo: WatchedGeoLocator;
let t: TestServer;
const health = new TestHealthTable();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'geosteer-ecs-'));
  const file = join(dir, 'city.mmdb');
  await writeFile(
    file,
    buildGeoDatabase('geoip2-city', 6, PLACES, { databaseType: 'GeoIP2-City' }),
  );
  geo = await openGeoLocator(
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
  t = await startServer({ [`${ZONE}.yaml`]: zoneYaml() }, { geo, health });
});
afterAll(async () => {
  await t?.stop();
  geo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Option = { code: number; data: Buffer };
interface Ask {
  /** A client subnet ("81.0.5.0/24"), or ready-made options (malformed ones, two of them). */
  ecs?: string | Option[];
  transport?: 'udp' | 'tcp';
  udpSize?: number;
  id?: number;
}
interface Got {
  raw: Buffer;
  rcode: number;
  tc: boolean;
  /** A and AAAA data in the answer, in order. */
  addresses: string[];
  sites: string[];
  cnames: string[];
  echoes: EcsFields[];
  /** The one echo's SCOPE PREFIX-LENGTH (fails the test when there is not exactly one). */
  scope: number;
}

async function ask(name: string, type: 'A' | 'AAAA' | 'TXT', o: Ask = {}): Promise<Got> {
  const options = o.ecs === undefined ? [] : typeof o.ecs === 'string' ? [ecsOption(o.ecs)] : o.ecs;
  const msg = buildQuery(`${name}.${ZONE}`, type, {
    edns: o.udpSize ?? 1232,
    ednsOptions: options,
    id: o.id ?? 0x4242,
  });
  const raw =
    o.transport === 'tcp' ? (await tcpExchange(t.port, [msg]))[0]! : await udpExchange(t.port, msg);
  if (!raw) throw new Error(`no reply to ${name} ${type}`);
  const p = dnsPacket.decode(raw);
  const answers = p.answers ?? [];
  const addresses = answers
    .filter((a) => a.type === 'A' || a.type === 'AAAA')
    .map((a) => dataOf(a));
  const echoes = ecsEchoes(p);
  return {
    raw,
    rcode: raw[3]! & 0xf,
    tc: (raw[2]! & 0x02) !== 0,
    addresses,
    sites: addresses.map((a) => SITE_OF[a] ?? a),
    cnames: answers.filter((a) => a.type === 'CNAME').map((a) => dataOf(a)),
    echoes,
    get scope(): number {
      expect(echoes).toHaveLength(1);
      return echoes[0]!.scopePrefix;
    },
  };
}

/** Up to `n` /24s spread evenly over the IPv4 network holding `subnet`'s address at `prefix` (0-24). */
function slash24s(subnet: string, n: number, prefix = Number(subnet.split('/')[1])): string[] {
  const v = subnet
    .split('/')[0]!
    .split('.')
    .map(Number)
    .reduce((x, o) => x * 256 + o, 0);
  const base = prefix === 0 ? 0 : v - (v % 2 ** (32 - prefix));
  const count = 2 ** (24 - prefix);
  const k = Math.min(n, count);
  return Array.from({ length: k }, (_, i) => {
    const a = base + Math.floor((i * count) / k) * 256;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`;
  });
}

describe('the client is the ECS subnet, else the packet source', () => {
  it.each([
    ['81.0.5.0/24', 'Paris', 'eu-west'],
    ['81.1.200.0/24', 'Berlin', 'eu-west'],
    ['2.16.3.0/24', 'London', 'eu-west'],
    ['24.0.3.0/24', 'New York', 'us-east'],
    ['24.1.9.0/24', 'Chicago', 'us-east'],
    ['76.0.0.0/24', 'San Jose', 'us-east'],
    ['126.0.77.0/24', 'Tokyo', 'ap-south'],
    ['49.0.1.0/24', 'Singapore', 'ap-south'],
    ['2a00:1000:5::/48', 'Paris (IPv6)', 'eu-west'],
    ['2600:1000:1:100::/56', 'New York (IPv6)', 'us-east'],
    ['2400:1000:9::/48', 'Tokyo (IPv6)', 'ap-south'],
  ])('ECS %s (%s) gets %s', async (subnet, _city, site) => {
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await ask('www', 'A', { ecs: subnet, transport });
      expect(r.rcode).toBe(0);
      expect(r.sites).toEqual([site]);
    }
  });

  it('without ECS, the source address 127.0.0.1 (Singapore in the database) is used', async () => {
    const r = await ask('www', 'A');
    expect(r.sites).toEqual(['ap-south']);
    expect(r.echoes).toEqual([]);
  });

  it('ECS source /0: the source address is used, and the scope is 0 (RFC 7871 7.1.2, 7.2.1)', async () => {
    for (const family of [1, 2]) {
      const opt = {
        code: 8,
        data: ecsData({ family, sourcePrefix: 0, scopePrefix: 0, address: Buffer.alloc(0) }),
      };
      for (const name of ['www', 'login']) {
        const r = await ask(name, 'A', { ecs: [opt] });
        if (name === 'www') expect(r.sites).toEqual(['ap-south']);
        expect(r.echoes).toEqual([
          { family, sourcePrefix: 0, scopePrefix: 0, address: Buffer.alloc(0) },
        ]);
      }
    }
  });

  it('a /32 source is cut to /24 for the lookup; the echo keeps FAMILY, SOURCE and ADDRESS as sent', async () => {
    // 24.0.7.200 is in the database's Tokyo /25, but its /24 is located by 24.0.7.0: New York.
    const r = await ask('www', 'A', { ecs: '24.0.7.200/32' });
    expect(r.sites).toEqual(['us-east']);
    expect(r.echoes).toHaveLength(1);
    expect(r.echoes[0]).toMatchObject({
      family: 1,
      sourcePrefix: 32,
      address: Buffer.from([24, 0, 7, 200]),
    });
    expect(r.scope).toBeLessThanOrEqual(24);
    const sticky = await ask('login', 'A', { ecs: '24.0.7.200/32' });
    expect(sticky.scope).toBe(24);
    expect(sticky.sites).toEqual((await ask('login', 'A', { ecs: '24.0.7.0/24' })).sites);
  });

  it('a /128 source is cut to /56 for the lookup; the echo keeps FAMILY, SOURCE and ADDRESS as sent', async () => {
    // 2400:1000:0:ff01::1 is in the database's Paris /64, but its /56 is located by 2400:1000:0:ff00::, Tokyo.
    const r = await ask('www', 'A', { ecs: '2400:1000:0:ff01::1/128' });
    expect(r.sites).toEqual(['ap-south']);
    expect(r.echoes[0]).toMatchObject({ family: 2, sourcePrefix: 128 });
    expect(r.echoes[0]!.address.toString('hex')).toBe('24001000' + '0000ff01' + '0000000000000001');
    expect(r.scope).toBeLessThanOrEqual(56);
    expect((await ask('login', 'A', { ecs: '2400:1000:0:ff01::1/128' })).scope).toBe(56);
  });
});

describe('ECS scope (RFC 7871 7.2.1): as broad as is still correct', () => {
  it.each([
    ['static', 'A', '81.0.5.0/24', 0],
    ['static', 'AAAA', '2a00:1000:5::/48', 0],
    ['api', 'A', '81.0.5.0/24', 0], // weighted: not client-dependent
    ['db', 'A', '126.0.77.0/24', 0], // failover: not client-dependent
    ['login', 'A', '81.0.5.0/24', 24], // sticky: the network that was hashed
    ['login', 'A', '81.0.0.0/20', 20],
    ['login', 'AAAA', '2a00:1000:5::/56', 56],
    ['login', 'AAAA', '2a00:1000::/40', 40],
  ] as const)('%s %s with ECS %s: scope /%i', async (name, type, subnet, scope) => {
    const first = await ask(name, type, { ecs: subnet });
    const again = await ask(name, type, { ecs: subnet });
    expect([first.scope, again.scope]).toEqual([scope, scope]);
  });

  // nearest: at most the database network; geosteer widens it over neighbours that rank the
  // sites the same way (src/policy/scope.ts). Paris's neighbour /16 is Berlin, which ranks
  // ap-south before us-east, so Paris keeps its /16; New York merges with Chicago and the empty
  // space around them (an unknown client ranks the sites as listed: us-east first, as NA does).
  it.each([
    ['81.0.5.0/24', 16, 16],
    ['24.0.3.0/24', 16, 4],
    ['126.0.77.0/24', 16, 16],
    ['2a00:1000:5::/48', 28, 28],
  ])(
    'nearest, ECS %s in a /%i of the database: scope /%i, and every /24 inside it gets the same site',
    async (subnet, dbPrefix, scope) => {
      const r = await ask('www', subnet.includes(':') ? 'AAAA' : 'A', { ecs: subnet });
      expect(r.scope).toBe(scope);
      expect(r.scope).toBeLessThanOrEqual(dbPrefix);
      if (subnet.includes(':')) return;
      // Every /24 sampled across the scope network gets the same site.
      for (const other of slash24s(subnet, 16, scope))
        expect((await ask('www', 'A', { ecs: other })).sites, other).toEqual(r.sites);
    },
  );

  it('a static CNAME to a steered name: the steered scope, and the steered answer after the CNAME', async () => {
    const r = await ask('alias', 'A', { ecs: '126.0.77.0/24' });
    expect(r.cnames).toEqual([`www.${ZONE}`]);
    expect(r.sites).toEqual(['ap-south']);
    expect(r.scope).toBe((await ask('www', 'A', { ecs: '126.0.77.0/24' })).scope);
    expect(r.scope).toBeGreaterThan(0);
  });
});

describe('malformed ECS gets FORMERR (RFC 7871 6, 7.1.1), and the next good query is answered', () => {
  const v4 = (f: Partial<EcsFields>) => [
    {
      code: 8,
      data: ecsData({
        family: 1,
        sourcePrefix: 24,
        scopePrefix: 0,
        address: Buffer.from([81, 0, 5]),
        ...f,
      }),
    },
  ];
  const cases: [string, Option[]][] = [
    ['family 3', v4({ family: 3 })],
    ['IPv4 source /33', v4({ sourcePrefix: 33, address: Buffer.from([81, 0, 5, 0, 0]) })],
    [
      'IPv6 source /129',
      [
        {
          code: 8,
          data: ecsData({
            family: 2,
            sourcePrefix: 129,
            scopePrefix: 0,
            address: Buffer.alloc(17),
          }),
        },
      ],
    ],
    ['ADDRESS longer than the source prefix needs (/16 in 3 octets)', v4({ sourcePrefix: 16 })],
    [
      'ADDRESS shorter than the source prefix needs (/24 in 2 octets)',
      v4({ address: Buffer.from([81, 0]) }),
    ],
    [
      'bits set beyond the source prefix (81.0.15.0/20)',
      v4({ sourcePrefix: 20, address: Buffer.from([81, 0, 15]) }),
    ],
    ['a non-zero SCOPE PREFIX-LENGTH in the query', v4({ scopePrefix: 16 })],
    ['an option shorter than its fixed fields', [{ code: 8, data: Buffer.from([0, 1, 24]) }]],
    ['two ECS options', [ecsOption('81.0.5.0/24'), ecsOption('24.0.3.0/24')]],
  ];

  it.each(cases)('%s', async (_what, bad) => {
    for (const transport of ['udp', 'tcp'] as const)
      for (const name of ['static', 'www', 'login']) {
        // Warm the memo with a good query of the same option length first: a memoised reply must
        // not be handed to a malformed option.
        const good = await ask(name, 'A', { ecs: '81.0.5.0/24', transport });
        expect(good.rcode).toBe(0);
        const r = await ask(name, 'A', { ecs: bad, transport });
        expect(r.rcode, `${name} over ${transport}`).toBe(1);
        expect(r.addresses).toEqual([]);
        const after = await ask(name, 'A', { ecs: '24.0.3.0/24', transport });
        expect(after.rcode).toBe(0);
        expect(after.addresses.length).toBeGreaterThan(0);
      }
  });
});

describe('the memo (fast path) and the full path agree', () => {
  const cases: [string, 'A' | 'AAAA', string][] = [
    ['www', 'A', '81.0.5.0/24'],
    ['www', 'A', '24.0.3.0/24'],
    ['www', 'AAAA', '126.0.77.0/24'],
    ['www', 'A', '2a00:1000:5::/48'],
    ['login', 'A', '49.0.1.0/24'],
    ['login', 'AAAA', '2600:1000:1:100::/56'],
    ['static', 'A', '81.0.5.0/24'],
    ['alias', 'A', '126.0.77.0/24'],
    ['db', 'A', '24.1.9.0/24'],
  ];

  it('a repeated query gets the same bytes as the first (which took the full path), ID aside', async () => {
    let size = 1300; // an unused payload size per case: a fresh memo key, so the first is a miss
    for (const [name, type, subnet] of cases) {
      size++;
      const first = await ask(name, type, { ecs: subnet, udpSize: size, id: 1 });
      for (let i = 0; i < 3; i++) {
        const again = await ask(name, type, { ecs: subnet, udpSize: size, id: 2 + i });
        expect(
          again.raw.subarray(2).equals(first.raw.subarray(2)),
          `${name} ${type} ${subnet}`,
        ).toBe(true);
      }
    }
  });

  it('clients that share a memo entry each get their own decision and their own echo', async () => {
    const plan = [
      ['81.0.5.0/24', 'eu-west'],
      ['24.0.3.0/24', 'us-east'],
      ['126.0.77.0/24', 'ap-south'],
    ] as const;
    for (let round = 0; round < 3; round++)
      for (const [subnet, site] of plan) {
        const r = await ask('www', 'A', { ecs: subnet });
        expect(r.sites).toEqual([site]);
        expect(r.echoes[0]!.address).toEqual(
          Buffer.from(subnet.split('/')[0]!.split('.').slice(0, 3).map(Number)),
        );
      }
  });

  it('UDP and TCP give the same answer and echo', async () => {
    for (const [name, type, subnet] of cases) {
      const u = await ask(name, type, { ecs: subnet });
      const c = await ask(name, type, { ecs: subnet, transport: 'tcp' });
      expect(c.addresses).toEqual(u.addresses);
      expect(c.echoes).toEqual(u.echoes);
    }
  });
});

describe('truncation leaves room for the echo', () => {
  it('the reply never exceeds the client’s limit: TC is set rather than the echo dropped', async () => {
    const plain = await ask('fill', 'TXT', { udpSize: 512 });
    expect(plain.tc).toBe(false);
    const echoLen = 4 + ecsOption('81.0.5.0/24').data.length;
    // The premise: the answer fits on its own but not with the echo.
    expect(plain.raw.length + echoLen).toBeGreaterThan(512);
    for (let i = 0; i < 2; i++) {
      const r = await ask('fill', 'TXT', { udpSize: 512, ecs: '81.0.5.0/24' });
      expect(r.raw.length).toBeLessThanOrEqual(512);
      expect(r.tc).toBe(true);
      expect(r.echoes).toEqual([
        { family: 1, sourcePrefix: 24, scopePrefix: 0, address: Buffer.from([81, 0, 5]) },
      ]);
    }
    // Over TCP it fits.
    const tcp = await ask('fill', 'TXT', { udpSize: 512, ecs: '81.0.5.0/24', transport: 'tcp' });
    expect(tcp.tc).toBe(false);
    expect(tcp.echoes).toHaveLength(1);
  });

  it('a steered answer near the limit keeps its echo within a 512-octet limit', async () => {
    for (const subnet of ['81.0.5.0/24', '2a00:1000:5::/48']) {
      const r = await ask('www', 'A', { udpSize: 512, ecs: subnet });
      expect(r.raw.length).toBeLessThanOrEqual(512);
      expect(r.echoes).toHaveLength(1);
    }
  });
});

describe('address families', () => {
  it.each([
    ['www', 'AAAA', '126.0.77.0/24', ['eu-west']], // ap-south has no IPv6: the next nearest with one
    ['www', 'AAAA', '24.0.3.0/24', ['us-east']],
    ['www', 'A', '2a00:1000:5::/48', ['eu-west']], // an IPv6 client asking for A
    ['www', 'AAAA', '2400:1000:9::/48', ['eu-west']],
    ['db', 'AAAA', '81.0.5.0/24', ['us-east']],
  ] as const)('%s %s for ECS %s: %j', async (name, type, subnet, sites) => {
    const r = await ask(name, type, { ecs: subnet });
    expect(r.sites).toEqual(sites);
    for (const a of r.addresses) expect(a.includes(':')).toBe(type === 'AAAA');
  });

  it('an IPv6 ECS scope counts IPv6 bits, at most /56', async () => {
    const r = await ask('www', 'A', { ecs: '2a00:1000:5::/48' });
    expect(r.echoes[0]).toMatchObject({ family: 2, sourcePrefix: 48 });
    expect(r.scope).toBeGreaterThan(0);
    expect(r.scope).toBeLessThanOrEqual(56);
  });
});

describe('weighted: the split follows the weights, whatever the client', () => {
  it('600 queries from 600 subnets: us-east 3, eu-west 2, ap-south 1, each within ±3 points', async () => {
    const counts: Record<string, number> = {};
    const N = 600;
    for (let i = 0; i < N; i++) {
      const subnet = `${[24, 81, 126][i % 3]}.${(i >> 8) & 255}.${i & 255}.0/24`;
      const r = await ask('api', 'A', { ecs: subnet });
      expect(r.scope).toBe(0);
      const site = r.sites[0]!;
      counts[site] = (counts[site] ?? 0) + 1;
    }
    for (const [site, weight] of [
      ['us-east', 3],
      ['eu-west', 2],
      ['ap-south', 1],
    ] as const)
      expect(
        Math.abs(((counts[site] ?? 0) / N) * 100 - (weight / 6) * 100),
        site,
      ).toBeLessThanOrEqual(3);
  });
});

describe('sticky: a subnet keeps its site', () => {
  const subnets = [
    ...slash24s('24.0.0.0/16', 20),
    ...slash24s('81.0.0.0/16', 20),
    ...slash24s('126.0.0.0/16', 20),
    ...slash24s('100.64.0.0/16', 20),
  ];

  async function sitesNow(): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    for (const s of subnets) {
      const r = await ask('login', 'A', { ecs: s });
      expect(r.sites).toHaveLength(1);
      m.set(s, r.sites[0]!);
    }
    return m;
  }

  it('the same subnet gets the same site on every query', async () => {
    const a = await sitesNow();
    const b = await sitesNow();
    expect(b).toEqual(a);
    expect(new Set(a.values())).toEqual(new Set(['us-east', 'eu-west', 'ap-south']));
  });

  it('draining a site (zone reload) moves only that site’s subnets, and they come back', async () => {
    const before = await sitesNow();
    await t.write(`${ZONE}.yaml`, zoneYaml(['eu-west']));
    expect((await t.server.reloader.reload('test')).ok).toBe(true);
    try {
      const during = await sitesNow();
      let moved = 0;
      for (const [s, site] of before) {
        if (site === 'eu-west') {
          expect(during.get(s), s).not.toBe('eu-west');
          moved++;
        } else expect(during.get(s), s).toBe(site);
      }
      expect(moved).toBeGreaterThan(0);
    } finally {
      await t.write(`${ZONE}.yaml`, zoneYaml());
      expect((await t.server.reloader.reload('test')).ok).toBe(true);
    }
    expect(await sitesNow()).toEqual(before);
  });

  it('draining a site in the health table does the same', async () => {
    const before = await sitesNow();
    health.setAdminStates([{ zone: ZONE, site: 'us-east', state: 'drain' }]);
    try {
      const during = await sitesNow();
      for (const [s, site] of before) {
        if (site === 'us-east') expect(during.get(s)).not.toBe('us-east');
        else expect(during.get(s)).toBe(site);
      }
    } finally {
      health.setAdminStates([]);
    }
    expect(await sitesNow()).toEqual(before);
  });
});

describe('drains: nearest and failover move to the next choice', () => {
  it('nearest: a Paris client goes to the next nearest site while eu-west is drained', async () => {
    expect((await ask('www', 'A', { ecs: '81.0.5.0/24' })).sites).toEqual(['eu-west']);
    health.setAdminStates([{ zone: ZONE, site: 'eu-west', state: 'drain' }]);
    try {
      // Paris: Ashburn about 6,200 km, Mumbai about 7,000 km.
      const r = await ask('www', 'A', { ecs: '81.0.5.0/24' });
      expect(r.sites).toEqual(['us-east']);
      expect((await ask('www', 'A', { ecs: '126.0.77.0/24' })).sites).toEqual(['ap-south']);
    } finally {
      health.setAdminStates([]);
    }
    expect((await ask('www', 'A', { ecs: '81.0.5.0/24' })).sites).toEqual(['eu-west']);
  });

  it('failover: the next group answers while the primary is drained (health table, then zone file)', async () => {
    expect((await ask('db', 'A', { ecs: '81.0.5.0/24' })).sites).toEqual(['us-east']);
    health.setAdminStates([{ zone: ZONE, site: 'us-east', state: 'drain' }]);
    try {
      const a = await ask('db', 'A', { ecs: '81.0.5.0/24' });
      expect(a.sites).toEqual(['eu-west', 'ap-south']);
      expect(a.scope).toBe(0);
      // ap-south has no IPv6, so only eu-west of the second group answers AAAA.
      expect((await ask('db', 'AAAA', { ecs: '81.0.5.0/24' })).sites).toEqual(['eu-west']);
    } finally {
      health.setAdminStates([]);
    }
    await t.write(`${ZONE}.yaml`, zoneYaml(['us-east']));
    expect((await t.server.reloader.reload('test')).ok).toBe(true);
    try {
      expect((await ask('db', 'A', { ecs: '24.0.3.0/24', transport: 'tcp' })).sites).toEqual([
        'eu-west',
        'ap-south',
      ]);
    } finally {
      await t.write(`${ZONE}.yaml`, zoneYaml());
      expect((await t.server.reloader.reload('test')).ok).toBe(true);
    }
    expect((await ask('db', 'A', { ecs: '24.0.3.0/24' })).sites).toEqual(['us-east']);
  });
});
