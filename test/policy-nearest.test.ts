// steer: nearest — great-circle distance from the client's location to each site
// (docs/policies/nearest.md). Distances in the comments are the haversine figures for the city
// centres in CITY, rounded to the km.
import { describe, expect, it } from 'vitest';
import { distanceKm } from '../src/policy/geo-math.js';
import {
  CITY,
  conformance,
  FakeLocator,
  Harness,
  type Place,
  problems,
  type SiteSpec,
  where,
  zoneYaml,
} from './policy-conformance.js';

conformance({ kind: 'nearest', defaultAnswers: 8, stanza: (s) => [`sites: [${s.join(', ')}]`] });

/** One IPv4 address per site, so an answer lists the chosen sites in order. */
const SITES: Record<string, SiteSpec> = {
  fra: { at: CITY.frankfurt, addresses: ['192.0.2.1', '2001:db8:1::1'] },
  iad: { at: CITY.ashburn, addresses: ['192.0.2.2', '2001:db8:2::1'] },
  sin: { at: CITY.singapore, addresses: ['192.0.2.3', '2001:db8:3::1'] },
  gru: { at: CITY.saoPaulo, addresses: ['192.0.2.4', '2001:db8:4::1'] },
  syd: { at: CITY.sydney, addresses: ['192.0.2.5', '2001:db8:5::1'] },
  ams: { at: CITY.amsterdam, addresses: ['192.0.2.6', '2001:db8:6::1'] },
  lhr: { at: CITY.london, addresses: ['192.0.2.7'] }, // IPv4 only
  mad: { at: CITY.madrid, addresses: ['192.0.2.8', '2001:db8:8::1'] },
};
const NAME: Record<string, string> = Object.fromEntries(
  Object.entries(SITES).flatMap(([n, s]) => s.addresses.map((a) => [a, n])),
);

/** Client networks: one /16 per city, plus an override network and an unknown one. */
const PLACES: Place[] = [
  { net: '81.0.0.0/16', at: CITY.paris, country: 'FR' },
  { net: '24.0.0.0/16', at: CITY.newYork, country: 'US' },
  { net: '126.0.0.0/16', at: CITY.tokyo, country: 'JP' },
  { net: '181.0.0.0/16', at: CITY.buenosAires, country: 'AR' },
  { net: '49.0.0.0/16', at: CITY.auckland, country: 'NZ' },
  { net: '41.0.0.0/16', at: CITY.nairobi, country: 'KE' },
  { net: '73.0.0.0/16', at: CITY.chicago, country: 'US' },
  { net: '76.0.0.0/16', at: CITY.sanJose, country: 'US' },
  { net: '2001:db8:100::/48', at: CITY.paris, country: 'FR' },
  { net: '81.0.99.0/24', at: CITY.paris, country: 'FR', site: 'mad' }, // an override inside Paris
  { net: '81.0.98.0/24', at: CITY.paris, country: 'FR', site: 'nowhere' }, // names a site this record lacks
];
const CLIENT = {
  paris: '81.0.1.7',
  newYork: '24.0.3.9',
  tokyo: '126.0.0.1',
  buenosAires: '181.0.2.2',
  auckland: '49.0.7.7',
  nairobi: '41.0.9.9',
  chicago: '73.0.4.4',
  sanJose: '76.0.5.5',
  paris6: '2001:db8:100:1::7',
  override: '81.0.99.1',
  overrideElsewhere: '81.0.98.1',
  unknown: '100.64.5.5',
} as const;

function harness(records: Record<string, string[]>): Harness {
  return new Harness(zoneYaml(SITES, records), new FakeLocator(PLACES));
}
const sitesOf = (h: Harness, name: string, client: string, type: 'A' | 'AAAA' = 'A') =>
  h
    .pick(name, type, client)
    .map((a) => NAME[a])
    .join(' ');

describe('nearest: ranking by great-circle distance', () => {
  it('the haversine distances behind the rows below (km)', () => {
    const km = (a: keyof typeof CITY, b: keyof typeof CITY) =>
      Math.round(distanceKm(CITY[a], CITY[b]));
    expect([
      km('paris', 'london'),
      km('newYork', 'ashburn'),
      km('tokyo', 'singapore'),
      km('buenosAires', 'saoPaulo'),
      km('auckland', 'sydney'),
    ]).toEqual([343, 350, 5314, 1675, 2156]);
    expect([
      km('nairobi', 'frankfurt'),
      km('nairobi', 'singapore'),
      km('nairobi', 'sydney'),
      km('nairobi', 'ashburn'),
    ]).toEqual([6312, 7455, 12152, 12176]);
  });

  const world = ['steer: nearest', 'sites: [fra, iad, sin, gru, syd]'];
  const worldAll = [...world, 'limit: 5'];
  it.each([
    ['Paris', CLIENT.paris, 'fra', 'fra iad gru sin syd'],
    ['New York', CLIENT.newYork, 'iad', 'iad fra gru sin syd'],
    ['Tokyo', CLIENT.tokyo, 'sin', 'sin syd fra iad gru'],
    ['Buenos Aires', CLIENT.buenosAires, 'gru', 'gru iad fra syd sin'],
    ['Auckland', CLIENT.auckland, 'syd', 'syd sin gru iad fra'],
    // Nairobi: Frankfurt 6312 km, Singapore 7455; Sydney beats Ashburn by 24 km.
    ['Nairobi', CLIENT.nairobi, 'fra', 'fra sin gru syd iad'],
    ['Chicago', CLIENT.chicago, 'iad', 'iad fra gru syd sin'],
    ['San Jose', CLIENT.sanJose, 'iad', 'iad fra gru syd sin'],
  ])('a client in %s goes to %s; all five rank %s', (_city, client, nearestSite, ranking) => {
    const h = harness({ www: world, all: worldAll });
    expect(sitesOf(h, 'www', client)).toBe(nearestSite);
    expect(sitesOf(h, 'all', client)).toBe(ranking);
  });

  it('the nearest available site answers when the nearest is withdrawn', () => {
    const h = harness({ www: world });
    h.withdraw(['fra']);
    expect(sitesOf(h, 'www', CLIENT.paris)).toBe('iad');
    expect(sitesOf(h, 'www', CLIENT.nairobi)).toBe('sin');
    h.drain(['fra', 'sin']);
    expect(sitesOf(h, 'www', CLIENT.nairobi)).toBe('gru');
  });

  it('equal distances go to the site listed first', () => {
    const h = new Harness(
      zoneYaml(
        {
          a: { at: CITY.london, addresses: ['192.0.2.1'] },
          b: { at: CITY.london, addresses: ['192.0.2.2'] },
        },
        {
          ab: ['steer: nearest', 'sites: [a, b]'],
          ba: ['steer: nearest', 'sites: [b, a]'],
          both: ['steer: nearest', 'sites: [a, b]', 'spread: 0km'],
        },
      ),
      new FakeLocator(PLACES),
    );
    expect(h.pick('ab', 'A', CLIENT.paris)).toEqual(['192.0.2.1']);
    expect(h.pick('ba', 'A', CLIENT.paris)).toEqual(['192.0.2.2']);
    expect(h.pick('both', 'A', CLIENT.paris)).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('nearest: spread and limit', () => {
  // From Paris: London 343.5 km, Amsterdam 429.7, Frankfurt 477.7, Madrid 1052.7.
  const europe = (...extra: string[]) => [
    'steer: nearest',
    'sites: [fra, ams, lhr, mad]',
    ...extra,
  ];
  it.each([
    ['no spread: the nearest only', [], 'lhr'],
    ['spread: 0km: the nearest and any tie', ['spread: 0km'], 'lhr'],
    ['spread: 100km (up to 443.5 km)', ['spread: 100km'], 'lhr ams'],
    ['spread: 150 km (up to 493.5 km)', ['spread: 150 km'], 'lhr ams fra'],
    ['spread: 710 (km when no unit; up to 1053.5 km)', ['spread: 710'], 'lhr ams fra mad'],
    ['spread: 20% (up to 412.2 km)', ['spread: 20%'], 'lhr'],
    ['spread: 30% (up to 446.5 km)', ['spread: 30%'], 'lhr ams'],
    ['spread: 40% (up to 480.9 km)', ['spread: 40%'], 'lhr ams fra'],
    ['spread: 150km, limit: 2', ['spread: 150km', 'limit: 2'], 'lhr ams'],
    ['limit: 3 without spread: the three nearest', ['limit: 3'], 'lhr ams fra'],
    ['limit: 9, more than there are', ['limit: 9'], 'lhr ams fra mad'],
  ])('%s', (_label, extra, want) => {
    const h = harness({ www: europe(...extra) });
    expect(sitesOf(h, 'www', CLIENT.paris)).toBe(want);
  });

  it('spread is measured from the nearest available site', () => {
    const h = harness({ www: europe('spread: 100km') });
    h.withdraw(['lhr']);
    // Amsterdam 430 km is now the nearest: Frankfurt at 478 is within 100 km of it.
    expect(sitesOf(h, 'www', CLIENT.paris)).toBe('ams fra');
  });

  it('answers holds the chosen sites’ addresses, nearest first, up to `answers`', () => {
    const h = harness({ www: europe('limit: 3'), two: europe('limit: 3', 'answers: 2') });
    expect(h.pick('www', 'A', CLIENT.paris)).toEqual(['192.0.2.7', '192.0.2.6', '192.0.2.1']);
    expect(h.pick('two', 'A', CLIENT.paris)).toEqual(['192.0.2.7', '192.0.2.6']);
  });
});

describe('nearest: families', () => {
  it('AAAA skips a nearer site that has no IPv6 address', () => {
    const h = harness({ www: ['steer: nearest', 'sites: [fra, ams, lhr, mad]'] });
    expect(sitesOf(h, 'www', CLIENT.paris, 'A')).toBe('lhr');
    expect(sitesOf(h, 'www', CLIENT.paris, 'AAAA')).toBe('ams');
    expect(sitesOf(h, 'www', CLIENT.paris6, 'AAAA')).toBe('ams');
  });
});

describe('nearest: overrides and unknown locations', () => {
  const europe = ['steer: nearest', 'sites: [fra, ams, lhr, mad]'];
  it.each([
    ['an override naming a site sends its network there', CLIENT.override, [], 'mad'],
    ['an override naming a withdrawn site: ranking by distance', CLIENT.override, ['mad'], 'lhr'],
    [
      'an override naming a site the record lacks: ranking by distance',
      CLIENT.overrideElsewhere,
      [],
      'lhr',
    ],
    ['an unknown client gets the first site listed', CLIENT.unknown, [], 'fra'],
    [
      'an unknown client gets the next site listed when the first is withdrawn',
      CLIENT.unknown,
      ['fra'],
      'ams',
    ],
  ])('%s', (_label, client, withdrawn, want) => {
    const h = harness({ www: europe });
    h.withdraw(withdrawn);
    expect(sitesOf(h, 'www', client)).toBe(want);
  });

  it('an unknown client gets `limit` sites in listed order, and spread does not apply', () => {
    const h = harness({ two: [...europe, 'limit: 2'], spread: [...europe, 'spread: 500km'] });
    expect(sitesOf(h, 'two', CLIENT.unknown)).toBe('fra ams');
    expect(sitesOf(h, 'spread', CLIENT.unknown)).toBe('fra');
  });
});

describe('nearest: ECS scope is the locator’s network', () => {
  it.each([
    ['a located IPv4 client: its /16', CLIENT.paris, undefined, 16],
    ['an override network: its /24', CLIENT.override, undefined, 24],
    ['a located IPv6 client: its /48', CLIENT.paris6, undefined, 48],
    ['an unknown client: the locator says /0', CLIENT.unknown, undefined, 0],
  ])('%s', (_label, client, ecs, scope) => {
    const h = harness({ www: ['steer: nearest', 'sites: [fra, ams, lhr, mad]'] });
    expect(h.ask('www', client.includes(':') ? 'AAAA' : 'A', client, ecs).scope).toBe(scope);
  });

  it('locates the client once per query, and only when the name is steered by location', () => {
    const h = harness({
      www: ['steer: nearest', 'sites: [fra, ams]'],
      rr: ['steer: weighted', 'sites: [fra, ams]'],
    });
    h.ask('www', 'A', CLIENT.paris);
    h.ask('rr', 'A', CLIENT.paris);
    expect(h.geo.calls).toEqual(['81.0.1.0/24']);
  });
});

describe('nearest: validation', () => {
  const sites: Record<string, SiteSpec> = {
    fra: SITES.fra!,
    nowhere: { addresses: ['192.0.2.9'] },
  };
  it.each([
    [
      ['sites: [fra, nowhere]'],
      'nowhere',
      'records.www.sites[1]: site nowhere has no location: steer: nearest ranks sites by distance, so each of its sites needs location: { lat, lon } [bad-policy]',
    ],
    [
      ['sites: [fra]', 'spread: far'],
      'far',
      'records.www.spread: must be a distance ("500km") or a percentage ("20%"), got string "far" [bad-value]',
    ],
    [
      ['sites: [fra]', 'spread: -5km'],
      '-5km',
      'records.www.spread: must be a distance ("500km") or a percentage ("20%"), got string "-5km" [bad-value]',
    ],
    [
      ['sites: [fra]', 'limit: 0'],
      '0',
      'records.www.limit: must be an integer 1-64, got number 0 [bad-value]',
    ],
    [['sites: { fra: 2 }'], '{', 'records.www.sites: must be a list of site names [wrong-type]'],
  ])('%j', (lines, token, want) => {
    const text = zoneYaml(sites, { www: ['steer: nearest', ...lines] });
    expect(problems(text)).toEqual([`${where(text, token, lines.at(-1))} ${want}`]);
  });
});
