// The conformance suite every steering policy runs (docs/steering.md, "The shared selection
// step"), and the harness the policy tests share. Not a test file itself: each
// test/policy-<kind>.test.ts calls `conformance(...)`, then adds its own table-driven cases.
//
// Policies are driven the way the server drives them: a zone written as YAML and compiled by the
// real zone compiler, answered by `resolve()` through a Steerer over a query built here. Availability comes
// from a real HealthTable; the client's location from FakeLocator, a plain in-memory GeoLocator
// (the mmdb-backed one is tested on its own, in test/geoip-*.test.ts).
import { describe, expect, it } from 'vitest';
import { commonPrefixLength, networkText, parseCidr } from '../src/base/address.js';
import type { GeoLocator, GeoResult, Location } from '../src/geoip/types.js';
import { TestHealthTable } from './helpers/health.js';
import { decide } from '../src/policy/decide.js';
import type { Decision } from '../src/policy/decision.js';
import type { DynamicRecord } from '../src/policy/dynamic.js';
import { SteerState } from '../src/policy/state.js';
import type { ClientHint } from '../src/policy/types.js';
import { resolve } from '../src/server/resolve.js';
import { Steerer, type SteerQuery } from '../src/server/steering.js';
import { Rcode, Type } from '../src/wire/constants.js';
import type { RRset } from '../src/wire/rr.js';
import { formatProblem } from '../src/base/errors.js';
import { compileText } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import type { Zone } from '../src/zone/zone.js';

export const ORIGIN = 'example.org';
export const FILE = 'zones/example.org.yaml';

/** Places used for sites and clients, in degrees (city centres, rounded to 0.01). */
export const CITY = {
  frankfurt: { lat: 50.11, lon: 8.68 },
  amsterdam: { lat: 52.37, lon: 4.9 },
  london: { lat: 51.51, lon: -0.13 },
  madrid: { lat: 40.42, lon: -3.7 },
  paris: { lat: 48.86, lon: 2.35 },
  ashburn: { lat: 39.04, lon: -77.49 },
  newYork: { lat: 40.71, lon: -74.01 },
  chicago: { lat: 41.88, lon: -87.63 },
  sanJose: { lat: 37.34, lon: -121.89 },
  singapore: { lat: 1.35, lon: 103.82 },
  tokyo: { lat: 35.68, lon: 139.69 },
  saoPaulo: { lat: -23.55, lon: -46.63 },
  buenosAires: { lat: -34.6, lon: -58.38 },
  sydney: { lat: -33.87, lon: 151.21 },
  auckland: { lat: -36.85, lon: 174.76 },
  nairobi: { lat: -1.29, lon: 36.82 },
} as const satisfies Record<string, Location>;

// ---------------------------------------------------------------------------------------------
// Zone text built in code.

export interface SiteSpec {
  at?: Location;
  country?: string;
  continent?: string;
  subdivision?: string;
  /** Address items as written in YAML: '192.0.2.1' or '{ address: 192.0.2.1, weight: 3 }'. */
  addresses: string[];
  weight?: number;
  state?: 'enabled' | 'drain';
}

/** A zone file: `sites:` from the specs, and each record's lines (indented under its name). */
export function zoneYaml(
  sites: Record<string, SiteSpec>,
  records: Record<string, string[]>,
): string {
  const out = ['zone: example.org', 'nameservers:', '  ns1.example.net.:', 'sites:'];
  for (const [name, s] of Object.entries(sites)) {
    out.push(`  ${name}:`);
    if (s.at) out.push(`    location: { lat: ${s.at.lat}, lon: ${s.at.lon} }`);
    if (s.country) out.push(`    country: ${s.country}`);
    if (s.continent) out.push(`    continent: ${s.continent}`);
    if (s.subdivision) out.push(`    subdivision: ${s.subdivision}`);
    if (s.weight !== undefined) out.push(`    weight: ${s.weight}`);
    if (s.state) out.push(`    state: ${s.state}`);
    out.push('    addresses:', ...s.addresses.map((a) => `      - ${a}`));
  }
  out.push('records:');
  for (const [name, lines] of Object.entries(records))
    out.push(`  ${name}:`, ...lines.map((l) => `    ${l}`));
  return out.join('\n') + '\n';
}

/** `file:line:col:` of `token` in the first line of `text` that holds `line` (by default the token itself). */
export function where(text: string, token: string, line = token): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(line));
  const col = i < 0 ? -1 : lines[i]!.indexOf(token, lines[i]!.indexOf(line));
  if (col < 0) throw new Error(`"${token}" not found on a line with "${line}"`);
  return `${FILE}:${i + 1}:${col + 1}:`;
}

/** The problems a zone text produces, formatted as `geosteer check` prints them. */
export function problems(text: string): string[] {
  return compileText(FILE, text).problems.map(formatProblem);
}

// ---------------------------------------------------------------------------------------------
// A GeoLocator over a fixed table of networks.

export interface Place {
  /** CIDR; the longest network holding the client wins, as in an mmdb file. */
  net: string;
  at?: Location;
  country?: string;
  continent?: string;
  subdivision?: string;
  /** An override naming a site. */
  site?: string;
}

/** A plain in-memory GeoLocator: longest matching network wins; anything else is unknown (prefix 0). */
export class FakeLocator implements GeoLocator {
  readonly version = 0;
  private readonly places: { p: Place; bytes: Uint8Array; prefix: number; family: 4 | 6 }[];
  /** Every call, so tests can see who asked for a location. */
  readonly calls: string[] = [];

  constructor(places: readonly Place[]) {
    this.places = places.map((p) => {
      const r = parseCidr(p.net);
      if (!r.ok) throw new Error(r.message);
      return { p, ...r.network };
    });
  }

  locate(address: Uint8Array, prefix: number): GeoResult {
    this.calls.push(networkText(address, prefix));
    const family = address.length === 4 ? 4 : 6;
    let best: (typeof this.places)[number] | undefined;
    for (const x of this.places) {
      if (x.family !== family || prefix < x.prefix) continue;
      if (commonPrefixLength(address, x.bytes, x.prefix) !== x.prefix) continue;
      if (!best || x.prefix > best.prefix) best = x;
    }
    if (!best)
      return {
        source: 'none',
        location: null,
        country: null,
        continent: null,
        subdivision: null,
        site: null,
        prefixLength: 0,
        network: family === 4 ? '0.0.0.0/0' : '::/0',
        origin: 'none',
      };
    return {
      source: best.p.site ? 'override' : 'database',
      location: best.p.at ?? null,
      country: best.p.country ?? null,
      continent: best.p.continent ?? null,
      subdivision: best.p.subdivision ?? null,
      site: best.p.site ?? null,
      prefixLength: best.prefix,
      network: networkText(best.bytes, best.prefix),
      origin: 'test table',
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Asking questions.

/**
 * The client as the server sees it: an address, cut to /24 or /56 (or to `ecs` when the query
 * carried an ECS option with that source prefix, itself capped at /24 and /56).
 */
export function clientHint(text: string, ecs?: number): ClientHint {
  const r = parseCidr(text);
  if (!r.ok) throw new Error(r.message);
  const { bytes, family } = r.network;
  const cap = family === 4 ? 24 : 56;
  const prefix = Math.min(ecs ?? cap, cap);
  const address = new Uint8Array(bytes.length);
  for (let bit = 0; bit < prefix; bit++)
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) address[bit >> 3]! |= 0x80 >> (bit & 7);
  return { address, family, prefix, fromEcs: ecs !== undefined };
}

export interface Reply {
  rcode: number;
  /** Addresses of the A or AAAA RRset answered (after any CNAME), in answer order. */
  addresses: string[];
  /** TTL of that RRset, or null when there is none. */
  ttl: number | null;
  /** RFC 7871 scope of the steered answer; undefined when no policy took part. */
  scope: number | undefined;
  /** The RRset types in the answer section, in order (e.g. ['CNAME', 'A']). */
  types: string[];
  /** True when the authority section holds the SOA (NODATA / NXDOMAIN). */
  soa: boolean;
  /** Each answered address's RRset type and rdata kind agree ('A'/'a', 'AAAA'/'aaaa'). */
  kinds: string[];
}

const TYPE_NAME: Record<number, string> = {
  [Type.A]: 'A',
  [Type.AAAA]: 'AAAA',
  [Type.CNAME]: 'CNAME',
};

/** A compiled zone with its own health table and locator, answered through `resolve()`. */
export class Harness {
  readonly health = new TestHealthTable();
  readonly zone: Zone;
  readonly zones: ZoneSet;
  /** The rotations, as the server keeps them for one zone generation. */
  readonly state = new SteerState();

  constructor(
    text: string,
    readonly geo: FakeLocator = new FakeLocator([]),
  ) {
    const r = compileText(FILE, text);
    if (r.problems.length || !r.zone)
      throw new Error(
        `zone does not compile:\n${r.problems.map(formatProblem).join('\n')}\n${text}`,
      );
    this.zone = r.zone;
    this.zones = new ZoneSet([r.zone], 1);
    this.health.setAdminStates(
      [...r.zone.sites.values()].map((s) => ({ zone: ORIGIN, site: s.name, state: s.state })),
    );
  }

  context(client: string, ecs?: number, trace: string[] | null = null): SteerQuery {
    const hint = clientHint(client, ecs);
    return {
      client: hint,
      health: this.health,
      geo: this.geo,
      locate: () => this.geo.locate(hint.address, hint.prefix),
      state: this.state,
      trace,
    };
  }

  ask(name: string, type: 'A' | 'AAAA', client = '192.0.2.200', ecs?: number): Reply {
    const qname = name === '@' ? ORIGIN : `${name}.${ORIGIN}`;
    const ans = resolve(
      this.zones,
      qname,
      type === 'A' ? Type.A : Type.AAAA,
      new Steerer(this.context(client, ecs)),
    );
    const set = ans.answer.find((s: RRset) => s.type === Type.A || s.type === Type.AAAA);
    return {
      rcode: ans.rcode,
      addresses: set ? set.rdata.map((r) => (r as { address: string }).address) : [],
      ttl: set ? set.ttl : null,
      scope: ans.steered?.scope,
      types: ans.answer.map((s) => TYPE_NAME[s.type] ?? String(s.type)),
      soa: ans.authority.some((s) => s.type === Type.SOA),
      kinds: set ? set.rdata.map((r) => `${TYPE_NAME[set.type]}/${r.kind}`) : [],
    };
  }

  /** Addresses only, for table rows. */
  pick(name: string, type: 'A' | 'AAAA', client = '192.0.2.200', ecs?: number): string[] {
    return this.ask(name, type, client, ecs).addresses;
  }

  /** The shared step's full decision (mode and site names), for a steered name. */
  decision(name: string, type: 'A' | 'AAAA', client = '192.0.2.200', ecs?: number): Decision {
    return decide(this.record(name), {
      family: type === 'A' ? 4 : 6,
      ...this.context(client, ecs),
    });
  }

  /** The explain trace of one decision. */
  trace(name: string, type: 'A' | 'AAAA', client = '192.0.2.200'): string[] {
    const lines: string[] = [];
    decide(this.record(name), {
      family: type === 'A' ? 4 : 6,
      ...this.context(client, undefined, lines),
    });
    return lines;
  }

  record(name: string): DynamicRecord {
    const node = this.zone.nodes.get(name === '@' ? ORIGIN : `${name}.${ORIGIN}`);
    if (!node?.dynamic) throw new Error(`${name} is not steered`);
    return node.dynamic;
  }

  /** Every address of a site (both families), as the health table keys them. */
  addresses(site: string): string[] {
    const s = this.zone.sites.get(site);
    if (!s) throw new Error(`no site ${site}`);
    return [...s.v4, ...s.v6].map((a) => a.address);
  }

  /** Mark every address of the sites down (as failed probes will), or up again. */
  withdraw(sites: readonly string[], up = false): void {
    for (const s of sites)
      for (const a of this.addresses(s)) this.health.setAddress(ORIGIN, s, a, up);
  }

  restore(sites: readonly string[]): void {
    this.withdraw(sites, true);
  }

  /** Drain exactly these sites through the health table's administrative states. */
  drain(sites: readonly string[]): void {
    this.health.setAdminStates(
      [...this.zone.sites.keys()].map((s) => ({
        zone: ORIGIN,
        site: s,
        state: sites.includes(s) ? 'drain' : 'enabled',
      })),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The conformance suite.

/** A policy as the suite sees it: its name, its default `answers`, and how to write its stanza. */
export interface PolicyUnderTest {
  kind: string;
  /** The suite's name when one policy runs it in several modes (default: the kind). */
  label?: string;
  defaultAnswers: number;
  /** The stanza's lines below `steer: <kind>`, over these sites (most preferred first). */
  stanza(sites: readonly string[]): string[];
}

/**
 * Four sites on four continents: alpha and bravo have both families, charlie only IPv4, delta
 * only IPv6; echo (IPv4 only) serves the name that has no IPv6 at all.
 */
export const SUITE_SITES: Record<string, SiteSpec> = {
  alpha: {
    at: CITY.frankfurt,
    country: 'DE',
    continent: 'EU',
    addresses: ['192.0.2.1', '192.0.2.2', '2001:db8:a::1', '2001:db8:a::2'],
  },
  bravo: {
    at: CITY.ashburn,
    country: 'US',
    continent: 'NA',
    subdivision: 'US-VA',
    addresses: ['198.51.100.1', '2001:db8:b::1'],
  },
  charlie: { at: CITY.singapore, country: 'SG', continent: 'AS', addresses: ['203.0.113.1'] },
  delta: { at: CITY.saoPaulo, country: 'BR', continent: 'SA', addresses: ['2001:db8:d::1'] },
  echo: { at: CITY.sydney, country: 'AU', continent: 'OC', addresses: ['192.0.2.50'] },
};
const MAIN = ['alpha', 'bravo', 'charlie', 'delta'] as const;
const V4 = new Set(['192.0.2.1', '192.0.2.2', '198.51.100.1', '203.0.113.1']);
const V6 = new Set(['2001:db8:a::1', '2001:db8:a::2', '2001:db8:b::1', '2001:db8:d::1']);
const OWNER: Record<string, string> = Object.fromEntries(
  Object.entries(SUITE_SITES).flatMap(([site, s]) => s.addresses.map((a) => [a, site])),
);

/** Clients on several continents, both families, and two the locator does not know. */
export const SUITE_PLACES: Place[] = [
  { net: '81.0.0.0/16', at: CITY.paris, country: 'FR', continent: 'EU', subdivision: 'FR-IDF' },
  { net: '24.0.0.0/16', at: CITY.newYork, country: 'US', continent: 'NA', subdivision: 'US-NY' },
  { net: '2001:db8:1000::/40', at: CITY.tokyo, country: 'JP', continent: 'AS' },
  { net: '2001:db8:2000::/40', at: CITY.buenosAires, country: 'AR', continent: 'SA' },
  { net: '41.0.0.0/16', at: CITY.nairobi, country: 'KE', continent: 'AF' },
];
const CLIENTS = [
  '81.0.1.7',
  '24.0.3.9',
  '2001:db8:1000:100::7',
  '2001:db8:2000:200::9',
  '41.0.9.9',
  '100.64.5.5',
  '2001:db8:9999::1',
];

/** Every subset of the main sites, as lists ([] first, all four last). */
function subsets(): string[][] {
  const out: string[][] = [];
  for (let mask = 0; mask < 1 << MAIN.length; mask++)
    out.push(MAIN.filter((_, i) => mask & (1 << i)));
  return out;
}

export function conformance(p: PolicyUnderTest): void {
  const steer = (sites: readonly string[], extra: string[] = []) => [
    `steer: ${p.kind}`,
    ...p.stanza(sites),
    ...extra,
  ];
  const suiteZone = (extra: Record<string, string[]> = {}) =>
    zoneYaml(SUITE_SITES, {
      www: steer(MAIN),
      v4only: steer(['charlie', 'echo']),
      alias: ['CNAME: www'],
      ...extra,
    });
  const harness = (extra?: Record<string, string[]>) =>
    new Harness(suiteZone(extra), new FakeLocator(SUITE_PLACES));

  describe(`conformance: steer: ${p.label ?? p.kind}`, () => {
    it('compiles, with the documented default for answers and a 30 s TTL', () => {
      const h = harness();
      expect(h.record('www').kind).toBe(p.kind);
      expect(h.record('www').answers).toBe(p.defaultAnswers);
      expect(h.record('www').ttl).toBe(30);
      expect(
        h
          .record('www')
          .members.map((s) => s.name)
          .sort(),
      ).toEqual([...MAIN].sort());
    });

    describe.each([
      ['failed probes (every address down)', 'withdraw'],
      ['drain in the health table', 'drain'],
    ] as const)(
      'never answers from a withdrawn site while an available one has the family: %s',
      (_how, how) => {
        it.each(subsets().map((w) => [w.join(', ') || 'none', w] as const))(
          'withdrawn: %s',
          (_label, withdrawn) => {
            const h = harness();
            if (how === 'withdraw') h.withdraw(withdrawn);
            else h.drain(withdrawn);
            const live = MAIN.filter((s) => !withdrawn.includes(s));
            for (const type of ['A', 'AAAA'] as const) {
              const fam = type === 'A' ? V4 : V6;
              const liveHasFamily = live.some((s) =>
                SUITE_SITES[s]!.addresses.some((a) => fam.has(a)),
              );
              for (const client of CLIENTS)
                for (let round = 0; round < 3; round++) {
                  const r = h.ask('www', type, client);
                  expect(r.rcode).toBe(Rcode.NOERROR);
                  expect(r.addresses.length, `${type} for ${client}`).toBeGreaterThan(0);
                  expect(
                    r.addresses.every((a) => fam.has(a)),
                    `${type} ${r.addresses.join(' ')}`,
                  ).toBe(true);
                  if (liveHasFamily) {
                    const from = r.addresses.map((a) => OWNER[a]!);
                    expect(
                      from.every((s) => live.includes(s as (typeof MAIN)[number])),
                      `${type} for ${client}: ${from.join(' ')}`,
                    ).toBe(true);
                    expect(h.decision('www', type, client).mode).toBe('policy');
                  } else expect(h.decision('www', type, client).mode).toBe('serve_all');
                }
            }
          },
        );
      },
    );

    it('never answers a down address while its site has another one up', () => {
      const h = harness();
      h.health.setAddress(ORIGIN, 'alpha', '192.0.2.1', false);
      h.health.setAddress(ORIGIN, 'alpha', '2001:db8:a::2', false);
      h.withdraw(['bravo', 'charlie', 'delta']);
      for (const client of CLIENTS)
        for (let round = 0; round < 4; round++) {
          expect(h.pick('www', 'A', client)).toEqual(['192.0.2.2']);
          expect(h.pick('www', 'AAAA', client)).toEqual(['2001:db8:a::1']);
        }
    });

    it('drain in the zone file is the same as drain in the health table', () => {
      const drained = { ...SUITE_SITES, alpha: { ...SUITE_SITES.alpha!, state: 'drain' as const } };
      const h = new Harness(zoneYaml(drained, { www: steer(MAIN) }), new FakeLocator(SUITE_PLACES));
      for (const client of CLIENTS)
        for (let round = 0; round < 4; round++) {
          expect(h.pick('www', 'A', client).some((a) => OWNER[a] === 'alpha')).toBe(false);
          expect(h.pick('www', 'AAAA', client).some((a) => OWNER[a] === 'alpha')).toBe(false);
        }
    });

    it('stays within the family asked for: A only IPv4, AAAA only IPv6, as their own RRset type', () => {
      const h = harness();
      for (const client of CLIENTS)
        for (let round = 0; round < 4; round++) {
          const a = h.ask('www', 'A', client);
          const aaaa = h.ask('www', 'AAAA', client);
          expect(a.types).toEqual(['A']);
          expect(aaaa.types).toEqual(['AAAA']);
          expect(a.kinds.every((k) => k === 'A/a')).toBe(true);
          expect(aaaa.kinds.every((k) => k === 'AAAA/aaaa')).toBe(true);
          expect(a.addresses.every((x) => V4.has(x))).toBe(true);
          expect(aaaa.addresses.every((x) => V6.has(x))).toBe(true);
        }
    });

    it('takes the next choice when a site lacks the family: AAAA never empty while an IPv6 site is up', () => {
      const h = harness();
      // Only charlie (IPv4 only) and delta (IPv6 only) are left: A must come from charlie, AAAA from delta.
      h.withdraw(['alpha', 'bravo']);
      for (const client of CLIENTS) {
        expect(h.pick('www', 'A', client)).toEqual(['203.0.113.1']);
        expect(h.pick('www', 'AAAA', client)).toEqual(['2001:db8:d::1']);
      }
    });

    it('answers NODATA only when no site of the name has the family', () => {
      const h = harness();
      for (const client of CLIENTS) {
        const r = h.ask('v4only', 'AAAA', client);
        expect([r.rcode, r.addresses, r.soa]).toEqual([Rcode.NOERROR, [], true]);
        expect(h.decision('v4only', 'AAAA', client).mode).toBe('no-family');
        expect(h.ask('v4only', 'A', client).addresses.length).toBeGreaterThan(0);
      }
    });

    describe('when_all_down', () => {
      const zone = () =>
        harness({
          open: steer(MAIN),
          sorry: steer(MAIN, [
            'when_all_down: fallback',
            'fallback: [192.0.2.99, 2001:db8:ff::99]',
          ]),
          sorry4: steer(MAIN, ['when_all_down: fallback', 'fallback: 192.0.2.98']),
          dark: steer(MAIN, ['when_all_down: nodata']),
        });

      it('serve_all (the default) fails open: the policy answers as if every site were up', () => {
        const h = zone();
        h.withdraw([...MAIN]);
        for (const client of CLIENTS) {
          const a = h.ask('open', 'A', client);
          const aaaa = h.ask('open', 'AAAA', client);
          expect(a.addresses.length).toBeGreaterThan(0);
          expect(aaaa.addresses.length).toBeGreaterThan(0);
          expect(a.addresses.every((x) => V4.has(x))).toBe(true);
          expect(aaaa.addresses.every((x) => V6.has(x))).toBe(true);
          expect(a.addresses.length).toBeLessThanOrEqual(p.defaultAnswers);
          expect(h.decision('open', 'A', client).mode).toBe('serve_all');
        }
      });

      it('serve_all keeps drained sites out while any site is only down, and uses them when every site is drained', () => {
        const h = zone();
        h.drain(['alpha']);
        h.withdraw(['bravo', 'charlie', 'delta']);
        for (const client of CLIENTS)
          for (let round = 0; round < 3; round++)
            expect(h.pick('open', 'A', client).some((a) => OWNER[a] === 'alpha')).toBe(false);
        h.drain([...MAIN]);
        h.restore(['bravo', 'charlie', 'delta']);
        const seen = new Set<string>();
        for (const client of CLIENTS)
          for (let round = 0; round < 6; round++)
            for (const a of h.pick('open', 'A', client)) seen.add(a);
        expect(seen.size).toBeGreaterThan(0);
        expect([...seen].every((a) => V4.has(a))).toBe(true);
      });

      it('fallback answers exactly the listed addresses of the family, and NODATA for a family it lacks', () => {
        const h = zone();
        h.withdraw([...MAIN]);
        for (const client of CLIENTS) {
          expect(h.pick('sorry', 'A', client)).toEqual(['192.0.2.99']);
          expect(h.pick('sorry', 'AAAA', client)).toEqual(['2001:db8:ff::99']);
          expect(h.pick('sorry4', 'A', client)).toEqual(['192.0.2.98']);
          const r = h.ask('sorry4', 'AAAA', client);
          expect([r.addresses, r.soa]).toEqual([[], true]);
          expect(h.decision('sorry', 'A', client)).toMatchObject({ mode: 'fallback', scope: 0 });
        }
      });

      it('nodata answers NOERROR with no address and the SOA', () => {
        const h = zone();
        h.drain([...MAIN]);
        for (const client of CLIENTS)
          for (const type of ['A', 'AAAA'] as const) {
            const r = h.ask('dark', type, client);
            expect([r.rcode, r.addresses, r.soa]).toEqual([Rcode.NOERROR, [], true]);
            expect(h.decision('dark', type, client).mode).toBe('nodata');
          }
      });

      it('all down for one family only is all down for that family', () => {
        const h = zone();
        // IPv6 lives at alpha, bravo and delta; with them down AAAA is all-down, A is not.
        h.withdraw(['alpha', 'bravo', 'delta']);
        for (const client of CLIENTS) {
          expect(h.pick('sorry', 'A', client)).toEqual(['203.0.113.1']);
          expect(h.pick('sorry', 'AAAA', client)).toEqual(['2001:db8:ff::99']);
        }
      });

      it('a site coming back ends the all-down answer at once', () => {
        const h = zone();
        h.withdraw([...MAIN]);
        expect(h.pick('sorry', 'A', '81.0.1.7')).toEqual(['192.0.2.99']);
        h.restore(['charlie']);
        expect(h.pick('sorry', 'A', '81.0.1.7')).toEqual(['203.0.113.1']);
      });
    });

    describe('TTL', () => {
      it.each([
        ['the default, 30 s', [], 30],
        ['0', ['ttl: 0'], 0],
        ['300', ['ttl: 300'], 300],
        ['the RFC 2181 maximum, 2^31 - 1', ['ttl: 2147483647'], 2147483647],
      ] as const)('%s, in every mode', (_label, ttl, want) => {
        const h = harness({
          t: steer(MAIN, [...ttl]),
          tf: steer(MAIN, [...ttl, 'when_all_down: fallback', 'fallback: 192.0.2.99']),
        });
        for (const client of CLIENTS) expect(h.ask('t', 'A', client).ttl).toBe(want);
        h.withdraw([...MAIN]);
        expect(h.ask('t', 'A').ttl).toBe(want); // serve_all
        expect(h.ask('tf', 'A').ttl).toBe(want); // fallback
      });

      it.each([
        ['ttl: -1', 'must be an integer 0-2147483647, got number -1'],
        ['ttl: 2147483648', 'must be an integer 0-2147483647, got number 2147483648'],
        ['ttl: 30s', 'must be an integer 0-2147483647, got string "30s"'],
      ])('rejects %s', (line, message) => {
        const text = zoneYaml(SUITE_SITES, { www: steer(MAIN, [line]) });
        const lineNo = text.split('\n').indexOf(`    ${line}`) + 1;
        expect(problems(text)).toEqual([
          `${FILE}:${lineNo}:10: records.www.ttl: ${message} [bad-ttl]`,
        ]);
      });
    });

    describe('answers', () => {
      it('never more than `answers` addresses, each once', () => {
        for (const n of [1, 2, 3]) {
          const h = harness({ n: steer(MAIN, [`answers: ${n}`]) });
          for (const client of CLIENTS)
            for (let round = 0; round < 4; round++)
              for (const type of ['A', 'AAAA'] as const) {
                const got = h.pick('n', type, client);
                expect(got.length).toBeGreaterThan(0);
                expect(got.length).toBeLessThanOrEqual(n);
                expect(new Set(got).size).toBe(got.length);
              }
        }
      });

      it('answers: 1 gives exactly one address', () => {
        const h = harness({ one: steer(MAIN, ['answers: 1']) });
        for (const client of CLIENTS) expect(h.pick('one', 'A', client)).toHaveLength(1);
      });

      it.each([['answers: 0'], ['answers: 65']])('rejects %s', (line) => {
        const text = zoneYaml(SUITE_SITES, { www: steer(MAIN, [line]) });
        const lineNo = text.split('\n').indexOf(`    ${line}`) + 1;
        expect(problems(text)).toEqual([
          `${FILE}:${lineNo}:14: records.www.answers: must be an integer 1-64, got number ${line.split(' ')[1]} [bad-value]`,
        ]);
      });
    });

    it('gives an ECS scope within the family: 0-32 for IPv4, 0-128 for IPv6', () => {
      const h = harness();
      for (const client of CLIENTS)
        for (const type of ['A', 'AAAA'] as const) {
          const scope = h.ask('www', type, client).scope!;
          expect(scope).toBeGreaterThanOrEqual(0);
          expect(scope).toBeLessThanOrEqual(client.includes(':') ? 128 : 32);
        }
    });

    it('a static CNAME to the steered name gets the CNAME and the steered answer', () => {
      const h = harness();
      h.withdraw(['alpha', 'bravo', 'delta']);
      const r = h.ask('alias', 'A', '81.0.1.7');
      expect([r.types, r.addresses, r.ttl]).toEqual([['CNAME', 'A'], ['203.0.113.1'], 30]);
    });

    it('names an unknown site as such', () => {
      const text = zoneYaml(SUITE_SITES, { www: steer(['alpha', 'zulu']) });
      const found = problems(text);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(
        /: unknown site "zulu" \(declared: alpha, bravo, charlie, delta, echo\) \[unknown-site\]$/,
      );
    });
  });
}
