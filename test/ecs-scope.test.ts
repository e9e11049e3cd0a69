// ECS scope widening (src/policy/scope.ts): from the client's database network up to the largest
// network whose client networks all rank the same, over a real GeoIpLocator reading a .mmdb built
// in code. Ranks here are the record's country, so the expected networks can be read off the tables.
import { describe, expect, it } from 'vitest';
import { GeoIpLocator, MmdbDatabase } from '../src/geoip/index.js';
import type { GeoLocator, GeoResult } from '../src/geoip/types.js';
import type { ClientHint } from '../src/policy/types.js';
import { ScopeWidener, widenScope } from '../src/policy/scope.js';
import { buildGeoDatabase, type Place } from './helpers/mmdb-writer.js';
import { prng } from './helpers/wire.js';

const P = (country: string): Place => ({ country, lat: 10, lon: 10 });

function locator(
  places: Record<string, Place>,
  cacheSize?: number,
  budget: { perSecond?: number; now?: () => number } = {},
): GeoIpLocator {
  const db = MmdbDatabase.fromBuffer(
    'test.mmdb',
    buildGeoDatabase('geoip2-city', 6, places, { databaseType: 'GeoIP2-City' }),
  );
  return new GeoIpLocator({
    databases: [db],
    cacheSize,
    ...(budget.perSecond !== undefined ? { widenLookupsPerSecond: budget.perSecond } : {}),
    ...(budget.now ? { now: budget.now } : {}),
  });
}

/** The client as the handler builds it: its address cut to `prefix` (default /24 or /56). */
function client(text: string): ClientHint {
  const [addr, len] = text.split('/') as [string, string | undefined];
  if (!addr.includes(':')) {
    const prefix = Number(len ?? 24);
    const v = addr
      .split('.')
      .map(Number)
      .reduce((x, o) => x * 256 + o, 0);
    const n = prefix === 0 ? 0 : v - (v % 2 ** (32 - prefix));
    return {
      address: Uint8Array.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]),
      family: 4,
      prefix,
      fromEcs: true,
    };
  }
  const prefix = Number(len ?? 56);
  const groups = addr
    .split('::')[0]!
    .split(':')
    .map((g) => parseInt(g, 16));
  const address = new Uint8Array(16);
  groups.forEach((g, i) => {
    address[i * 2] = g >> 8;
    address[i * 2 + 1] = g & 255;
  });
  for (let bit = prefix; bit < 128; bit++) address[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { address, family: 6, prefix, fromEcs: true };
}

const byCountry = (w: GeoResult) => w.country ?? 'unknown';

function widen(geo: GeoIpLocator, text: string, budget?: number): number {
  const c = client(text);
  return widenScope(geo, c, geo.locate(c.address, c.prefix), byCountry, budget);
}

describe('widenScope', () => {
  // 10.0.0.0/15 is all DE (two /16s, the second split in two /17s); 10.2.0.0/15 is FR.
  const geo = locator({
    '10.0.0.0/16': P('DE'),
    '10.1.0.0/17': P('DE'),
    '10.1.128.0/17': P('DE'),
    '10.2.0.0/15': P('FR'),
    '10.4.0.0/14': P('FR'),
    // Below /24: clients are located per /24, by its first address, so this /25 never decides.
    '10.2.9.128/25': P('JP'),
    '2001:db8::/33': P('DE'),
    '2001:db8:8000::/33': P('DE'),
    '2001:db9::/32': P('FR'),
  });

  it.each([
    ['10.0.5.0/24', 15, 'a /16 merges with its sibling, made of two /17s of the same rank'],
    ['10.1.200.0/24', 15, 'from a /17: its sibling /17, then the /16 beside them'],
    [
      '10.2.8.0/24',
      15,
      'its sibling /24 is split below /24: judged by its first address, as clients are located',
    ],
    ['10.6.0.0/24', 14, 'the sibling 10.0.0.0/14 holds DE and FR: the /14 stays as it is'],
    ['2001:db8:1::/48', 32, 'IPv6: two /33s make the /32; its sibling 2001:db9::/32 is FR'],
  ])('%s → /%i (%s)', (text, scope) => {
    expect(widen(geo, text)).toBe(scope);
  });

  it('stops where the budget runs out, with a scope that is still correct', () => {
    // One lookup checks 10.1.0.0/16, which is split: not enough to see both halves.
    expect(widen(geo, '10.0.5.0/24', 1)).toBe(16);
    expect(widen(geo, '10.0.5.0/24', 3)).toBe(15);
  });

  it('a client whose network is /0 (nothing known anywhere) keeps scope 0', () => {
    const empty = locator({});
    expect(widen(empty, '10.0.5.0/24')).toBe(0);
  });

  it('unknown space merges with known networks that rank the same', () => {
    const g = locator({ '10.0.0.0/16': P('US'), '10.2.0.0/16': P('DE') });
    const us = (w: GeoResult) => (w.country === 'DE' ? 'DE' : 'US-or-unknown');
    const c = client('10.0.1.0/24');
    // 10.0.0.0/15 (US + unknown) merges; 10.2.0.0/15 holds DE.
    expect(widenScope(g, c, g.locate(c.address, c.prefix), us)).toBe(15);
  });

  it('finds exactly the largest network whose /24s all rank as the client (fuzz, against brute force)', () => {
    const rnd = prng(7871);
    for (let round = 0; round < 12; round++) {
      // Random networks of /14 to /24 inside 10.0.0.0/12, two countries; outside it nothing.
      const places: Record<string, Place> = { '10.0.0.0/12': P('DE') };
      for (let k = 0; k < 40; k++) {
        const prefix = 14 + Math.floor(rnd() * 11);
        const v = (10 << 24) + Math.floor(rnd() * 2 ** 20) * 16;
        const n = v - (v % 2 ** (32 - prefix));
        places[`10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefix}`] = P(
          rnd() < 0.5 ? 'DE' : 'FR',
        );
      }
      const g = locator(places);
      // The rank of every /24 in 10.0.0.0/12, as a client would be located.
      const rankOf = (i: number) => g.locate(Uint8Array.from([10, i >> 8, i & 255, 0]), 24).country;
      const ranks = Array.from({ length: 4096 }, (_, i) => rankOf(i));
      for (let probe = 0; probe < 20; probe++) {
        const i = Math.floor(rnd() * 4096);
        const s = widen(g, `10.${i >> 8}.${i & 255}.0/24`, 1_000_000);
        expect(s).toBeGreaterThanOrEqual(12);
        // Brute force: the shortest prefix (down to /12) whose /24s all rank as this one.
        let best = 24;
        for (let p = 23; p >= 12; p--) {
          const size = 2 ** (24 - p);
          const first = i - (i % size);
          if (ranks.slice(first, first + size).every((r) => r === ranks[i])) best = p;
          else break;
        }
        expect(s, `round ${round}, 10.${i >> 8}.${i & 255}.0/24`).toBe(best);
      }
    }
  });
});

describe('ScopeWidener', () => {
  const places = { '10.0.0.0/16': P('DE'), '10.1.0.0/16': P('DE'), '10.2.0.0/15': P('FR') };

  it('widens once per located client network, and remembers it', () => {
    const geo = locator(places);
    let ranked = 0;
    const w = new ScopeWidener((r) => {
      ranked++;
      return byCountry(r);
    });
    const c = client('10.0.5.0/24');
    const where = geo.locate(c.address, c.prefix);
    expect(w.scope(geo, c, where)).toBe(15);
    const once = ranked;
    expect(once).toBeGreaterThan(1);
    expect(w.scope(geo, c, geo.locate(c.address, c.prefix))).toBe(15);
    expect(ranked).toBe(once);
  });

  it('a locator without uncached lookups gets the network it reports, and no extra lookups', () => {
    const real = locator(places);
    const calls: string[] = [];
    const geo: GeoLocator = {
      version: 0,
      locate: (a, p) => {
        calls.push(`${a.join('.')}/${p}`);
        return real.locate(a, p);
      },
    };
    const c = client('10.0.5.0/24');
    const w = new ScopeWidener(byCountry);
    expect(w.scope(geo, c, geo.locate(c.address, c.prefix))).toBe(16);
    expect(calls).toEqual(['10.0.5.0/24']);
  });

  it('uncached lookups leave the locator’s cache alone', () => {
    // A cache of one entry: any lookup cached on the way would push the client's out.
    const geo = locator(places, 1);
    const c = client('10.0.5.0/24');
    const where = geo.locate(c.address, c.prefix);
    new ScopeWidener(byCountry).scope(geo, c, where);
    // The same frozen object: the client's entry is still the first one cached.
    expect(geo.locate(c.address, c.prefix)).toBe(where);
  });

  it('past the locator’s lookups per second, a new network keeps its database network until the budget refills', () => {
    // Pairs of /16s of one country: each client's /16 widens to its /15, and no further.
    const many: Record<string, Place> = {
      '10.0.0.0/16': P('DE'),
      '10.1.0.0/16': P('DE'),
      '10.2.0.0/16': P('FR'),
      '10.3.0.0/16': P('FR'),
      '10.4.0.0/14': P('DE'),
    };
    let now = 0;
    // 256 lookups a second: exactly one whole widening's reservation (WIDEN_BUDGET).
    const geo = locator(many, undefined, { perSecond: 256, now: () => now });
    const w = new ScopeWidener(byCountry);
    const scopeOf = (text: string) => {
      const c = client(text);
      return w.scope(geo, c, geo.locate(c.address, c.prefix));
    };
    // The first widening reserves 256 and gives back all it did not use...
    expect(scopeOf('10.0.5.0/24')).toBe(15);
    // ...so the bucket is short of a whole reservation: the next new network is not widened,
    // and answers with its database network (every client in it ranks the same).
    expect(scopeOf('10.2.7.0/24')).toBe(16);
    // Not remembered: a second later the budget has refilled, and the same network widens.
    now += 1000;
    expect(scopeOf('10.2.7.0/24')).toBe(15);
    // The first stays widened: it was remembered.
    expect(scopeOf('10.0.5.0/24')).toBe(15);
  });

  it('widen_lookups_per_second 0 turns widening off', () => {
    const geo = locator(places, undefined, { perSecond: 0 });
    const c = client('10.0.5.0/24');
    // 10.0.0.0/16 would widen to /15 (10.1.0.0/16 is DE too); without lookups it stays /16.
    expect(new ScopeWidener(byCountry).scope(geo, c, geo.locate(c.address, c.prefix))).toBe(16);
  });
});
