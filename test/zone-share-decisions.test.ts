// A zone that crossed to a thread decides as the zone the main thread compiled (issue #11: the
// answer threads never compile). Its share (zone/share.ts: the image, and the steered nodes and
// sites as plain data) is copied by structuredClone, as postMessage copies it, and installed as a
// thread installs it; then every steered name of every policy (weighted, weighted group: site,
// nearest with and without spread, geo with subnet, country and continent rules, failover, sticky,
// delegate) is asked for a spread of clients (City databases built in code, overrides included)
// under several health states, and the decisions, explain's trace and facts included, must be
// the same. Each side keeps its own rotations and its own locator, asked in the same order.
import { describe, expect, it } from 'vitest';
import { explain } from '../src/explain/explain.js';
import type { HealthView } from '../src/health/table.js';
import { parseExplainClient } from '../src/explain/question.js';
import { decideStep } from '../src/policy/steer.js';
import { SteerState } from '../src/policy/state.js';
import { InstalledZones, ZoneImages } from '../src/threads/zone-share.js';
import { compileText } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import type { Zone } from '../src/zone/zone.js';
import { locator, ZONE, ZONE_FILE, ZONE_YAML } from './explain-fixture.js';
import { TestHealthTable } from './helpers/health.js';

/** The explain fixture, plus weighted `group: site` and a delegation (its sites' nameservers). */
const YAML = ZONE_YAML.replace(
  '  legacy:\n',
  `  pool:
    steer: weighted
    group: site
    sites: { us-east: 2, eu-west: 1 }
  edge:
    steer: delegate
    sites: [us-east, eu-west]
    ttl: 20
  legacy:\n`,
)
  .replace(
    "    addresses: [192.0.2.10, 192.0.2.11, '2001:db8:10::1']\n",
    "    addresses: [192.0.2.10, 192.0.2.11, '2001:db8:10::1']\n    nameserver: { name: ns.us-east, addresses: [192.0.2.153] }\n",
  )
  .replace(
    "    addresses: [198.51.100.10, '2001:db8:20::1']\n",
    "    addresses: [198.51.100.10, '2001:db8:20::1']\n    nameserver: { name: ns.eu-west.example.net. }\n",
  );

function compiled(): Zone {
  const r = compileText(ZONE_FILE, YAML);
  expect(r.problems).toEqual([]);
  return r.zone!;
}

/** The zone as an answer thread gets it: shared, copied as postMessage copies, installed. */
function throughThread(zone: Zone): Zone {
  const shares = new ZoneImages().share([zone]);
  return new InstalledZones().install(structuredClone(shares))[0]!;
}

/** Octets the compiler keeps in Buffers read back as Uint8Arrays: compare them as the clone has them. */
const asCloned = <T>(x: T): T => structuredClone(x);

const NAMES = ['www', 'near', 'api', 'pool', 'db', 'login', 'shop', 'mumbai', 'edge', 'alias'];
const CLIENTS = [
  '81.0.1.7', // Paris
  '24.0.1.0/24', // New York
  '126.0.3.9', // Tokyo
  '41.0.0.1', // Nairobi: continent AF
  '10.20.1.1', // override: straight to eu-west
  '10.30.0.0/20', // override: placed in Frankfurt, country DE
  '100.64.0.1', // unknown to every database
  '203.0.113.7', // a geo subnet rule
  '2a00:1000::1', // Paris, IPv6
  '2600:1000::/40', // New York, IPv6
  '2001:db8:ffff::1', // unknown IPv6
];
const US_EAST = ['192.0.2.10', '192.0.2.11', '2001:db8:10::1'];
const ALL = {
  'us-east': US_EAST,
  'eu-west': ['198.51.100.10', '2001:db8:20::1'],
  'eu-central': ['198.51.100.20', '2001:db8:30::1'],
  'eu-old': ['198.51.100.30'],
  'ap-south': ['203.0.113.10'],
};

/** Health states: as probed, with sites failed, drained, half up, and every address down. */
const HEALTH: [string, () => HealthView][] = [
  ['all up', () => new TestHealthTable()],
  [
    'us-east down',
    () => {
      const h = new TestHealthTable();
      for (const a of US_EAST) h.setAddress(ZONE, 'us-east', a, false);
      return h;
    },
  ],
  [
    'one of us-east up, eu-west drained',
    () => {
      const h = new TestHealthTable();
      h.setAddress(ZONE, 'us-east', '192.0.2.11', false);
      h.setAdminStates([{ zone: ZONE, site: 'eu-west', state: 'drain' }]);
      return h;
    },
  ],
  [
    'every address down (when_all_down)',
    () => {
      const h = new TestHealthTable();
      for (const [site, addrs] of Object.entries(ALL))
        for (const a of addrs) h.setAddress(ZONE, site, a, false);
      return h;
    },
  ],
];

describe('a zone installed from a cloned share decides as the compiled zone', () => {
  const here = compiled();
  const there = throughThread(here);

  it('holds every steered node and site as compiled, the members being the sites', () => {
    const steered = [...here.nodes].filter(([, n]) => n.dynamic || n.delegation);
    expect(steered.map(([k]) => k).sort()).toEqual(
      NAMES.filter((n) => n !== 'alias')
        .map((n) => `${n}.${ZONE}`)
        .sort(),
    );
    for (const [key, node] of steered) expect(there.nodes.get(key)).toEqual(asCloned(node));
    expect(there.sites).toEqual(asCloned(here.sites));
    const api = there.nodes.get(`api.${ZONE}`)!.dynamic!;
    expect(api.members[0]).toBe(there.sites.get('us-east'));
    // Compiled policies are data: nothing in them is code.
    for (const [, node] of steered) {
      const rec = node.dynamic ?? node.delegation!;
      expect(Object.values(rec.policy).some((v) => typeof v === 'function')).toBe(false);
    }
  });

  it.each(HEALTH)('explain agrees, trace and facts included: %s', (_, health) => {
    const a = { zones: new ZoneSet([here], 1), geo: locator(), state: new SteerState() };
    const b = { zones: new ZoneSet([there], 1), geo: locator(), state: new SteerState() };
    const h = health();
    let steered = 0;
    // Twice round, so rotations (weighted, group: site, address rotation) are compared as they go.
    for (let round = 0; round < 2; round++)
      for (const name of NAMES)
        for (const type of ['A', 'AAAA'])
          for (const client of CLIENTS) {
            const q = [`${name}.${ZONE}`, type, client] as const;
            const want = explain(a.zones, a.geo, h, ...q, a.state);
            const got = explain(b.zones, b.geo, h, ...q, b.state);
            expect(got, q.join(' ')).toEqual(asCloned(want));
            if (want.chain.at(-1)?.steering) steered++;
          }
    expect(steered).toBeGreaterThan(200);
  });

  it.each(HEALTH)('the answer path agrees (surveys, memoised referrals): %s', (_, health) => {
    const h = health();
    const sides = [here, there].map((zone) => ({
      zone,
      geo: locator(),
      state: new SteerState(),
    }));
    for (let round = 0; round < 3; round++)
      for (const name of NAMES.filter((n) => n !== 'alias'))
        for (const family of [4, 6] as const)
          for (const client of CLIENTS) {
            const hint = parseExplainClient(client).hint;
            const [want, got] = sides.map((s) => {
              const node = s.zone.nodes.get(`${name}.${ZONE}`)!;
              const rec = (node.dynamic ?? node.delegation)!;
              return decideStep(
                { rec, family },
                {
                  family,
                  client: hint,
                  health: h,
                  geo: s.geo,
                  locate: () => s.geo.locate(hint.address, hint.prefix),
                  state: s.state,
                  trace: null,
                },
              );
            });
            expect(got, `${name} IPv${family} ${client}`).toEqual(asCloned(want));
          }
  });
});
