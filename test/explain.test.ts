// explain(): the decision for a hypothetical client, as data, from the resolver's own code path.
// Fixture (zone, City databases built in code, overrides): test/explain-fixture.ts.
import { describe, expect, it } from 'vitest';
import {
  explain,
  ExplainError,
  type Explanation,
  parseExplainClient,
  parseQueryType,
  type SteeringView,
} from '../src/explain/explain.js';
import { renderExplanation } from '../src/explain/render.js';
import { SteerState } from '../src/policy/state.js';
import { HealthTable } from '../src/health/table.js';
import { TestHealthTable } from './helpers/health.js';
import { distanceKm } from '../src/policy/geo-math.js';
import { compileText } from '../src/zone/load.js';
import { ZoneSet } from '../src/zone/zone-set.js';
import { CITY, DB_V4, DB_V6, locator, ZONE, zones } from './explain-fixture.js';

const geo = locator();
const ask = (name: string, type: string, client: string, health = new HealthTable()): Explanation =>
  explain(zones(), geo, health, name === '@' ? ZONE : `${name}.${ZONE}`, type, client);
/** The steered step of an explanation (the last in the chain). */
const steering = (x: Explanation): SteeringView => {
  const s = x.chain.at(-1)?.steering;
  if (!s) throw new Error(`not steered: ${JSON.stringify(x.chain)}`);
  return s;
};
const answers = (x: Explanation) =>
  x.answer.answer.map((r) => `${r.name} ${r.ttl} ${r.type} ${r.data}`);
const site = (x: Explanation, name: string) => steering(x).sites.find((s) => s.name === name)!;

describe('the client, as the server derives it from an ECS subnet', () => {
  it.each([
    ['81.0.1.7', 4, 32, '81.0.1.0/24', 24],
    ['81.0.1.0/24', 4, 24, '81.0.1.0/24', 24],
    ['81.0.0.0/20', 4, 20, '81.0.0.0/20', 20],
    ['81.0.1.7/20', 4, 20, '81.0.0.0/20', 20], // host bits beyond the prefix are cleared
    ['2a00:1000::1', 6, 128, '2a00:1000::/56', 56],
    ['2a00:1000::/40', 6, 40, '2a00:1000::/40', 40],
  ] as const)(
    '%s: family %i, ECS source /%i, steered as %s (/%i)',
    (input, family, sourcePrefix, network, prefix) => {
      const x = ask('www', 'A', input);
      expect(x.client).toEqual({ input, family, sourcePrefix, network, prefix });
    },
  );

  it.each([
    ['nonsense', /not an address or network/],
    ['81.0.0.0/33', /not an address or network/],
    ['0.0.0.0/0', /ECS \/0 asks not to be steered by subnet/],
  ])('rejects %s', (input, message) => {
    expect(() => parseExplainClient(input)).toThrow(message);
    expect(() => ask('www', 'A', input)).toThrow(ExplainError);
  });
});

describe('the question', () => {
  it.each([
    ['A', 1],
    ['aaaa', 28],
    ['TYPE28', 28],
    ['33', 33],
    ['ANY', 255],
  ])('type %s is %i', (text, code) => expect(parseQueryType(text)).toBe(code));

  it.each(['BOGUS', 'OPT', 'TYPE70000', ''])('type "%s" is refused with a message', (text) => {
    expect(() => parseQueryType(text)).toThrow(ExplainError);
  });

  it('takes the name with or without its trailing dot, in any letter case', () => {
    const a = explain(zones(), geo, new HealthTable(), `WWW.${ZONE}.`, 'A', '81.0.1.7');
    expect(a.question).toEqual({ name: `WWW.${ZONE}`, type: 'A' });
    expect(answers(a)).toEqual([`WWW.${ZONE} 30 A 198.51.100.10`]);
  });

  it.each(['a..b.gslb.test', '', `${'x'.repeat(64)}.gslb.test`])(
    'rejects the name "%s"',
    (name) => {
      expect(() => explain(zones(), geo, new HealthTable(), name, 'A', '81.0.1.7')).toThrow(
        ExplainError,
      );
    },
  );
});

describe('steer: nearest', () => {
  it('locates the client in the database and ranks every site by distance', () => {
    const x = ask('www', 'A', '81.0.1.7');
    expect(x.location).toEqual({
      source: 'database',
      origin: DB_V4,
      network: '81.0.0.0/16',
      prefixLength: 16,
      country: 'FR',
      continent: 'EU',
      subdivision: null,
      site: null,
      location: CITY.paris,
      usedByPolicy: true,
    });
    expect(x.zone).toEqual({ origin: ZONE, file: `${ZONE}.yaml` });
    const s = steering(x);
    expect(s).toMatchObject({
      record: `www.${ZONE}`,
      zone: ZONE,
      policy: 'nearest',
      family: 4,
      ttl: 30,
      mode: 'policy',
      chosen: ['eu-west'],
    });
    expect(s.decidedBy).toBe('distance: the nearest site');
    for (const v of s.sites) {
      expect(v.km).toBeCloseTo(distanceKm(CITY.paris, v.location!), 0);
      expect(v.withinSpread).toBeUndefined(); // no spread: every site is ranked, the nearest answers
    }
    expect(site(x, 'eu-west')).toMatchObject({
      state: 'enabled',
      open: true,
      available: true,
      chosen: true,
      addresses: [{ address: '198.51.100.10', weight: 1, up: true }],
    });
    expect(answers(x)).toEqual([`www.${ZONE} 30 A 198.51.100.10`]);
    expect(x.answer).toMatchObject({
      rcode: 'NOERROR',
      outcome: 'answer',
      aa: true,
      steered: true,
      ecsScope: 16,
    });
  });

  it('marks the sites within spread, and answers with all of them, nearest first', () => {
    const x = ask('near', 'A', '81.0.1.7');
    const s = steering(x);
    expect(s.sites.map((v) => [v.name, v.withinSpread])).toEqual([
      ['us-east', false],
      ['eu-west', true],
      ['eu-central', true],
      ['ap-south', false],
    ]);
    expect(s.chosen).toEqual(['eu-central', 'eu-west']);
    expect(s.decidedBy).toBe('distance: the sites within 1500 km of the nearest');
    expect(s.addresses).toEqual(['198.51.100.20', '198.51.100.10']);
  });

  it('names the override that places the client, with its file:line', () => {
    const x = ask('www', 'A', '10.30.0.1');
    expect(x.location).toMatchObject({
      source: 'override',
      origin: 'overrides.yaml:4',
      network: '10.30.0.0/16',
      country: 'DE',
    });
    expect(steering(x).chosen).toEqual(['eu-west']);
  });

  it('follows an override that names a site', () => {
    const x = ask('www', 'A', '10.20.9.9');
    expect(x.location).toMatchObject({
      source: 'override',
      origin: 'overrides.yaml:2',
      site: 'eu-west',
      location: null,
    });
    expect(steering(x).decidedBy).toBe('override overrides.yaml:2 names site eu-west');
  });

  it('says when nothing knows the client', () => {
    const x = ask('www', 'A', '100.64.1.1');
    expect(x.location).toMatchObject({
      source: 'none',
      origin: '',
      location: null,
      usedByPolicy: true,
    });
    expect(steering(x)).toMatchObject({
      chosen: ['us-east'],
      decidedBy: 'client location unknown: the first site the record lists',
    });
  });

  it('for AAAA, ranks only the sites with IPv6 and locates IPv6 clients in the IPv6 file', () => {
    const x = ask('www', 'AAAA', '2a00:1000::1');
    expect(x.location).toMatchObject({ origin: DB_V6, network: '2a00:1000::/28' });
    expect(site(x, 'ap-south')).toMatchObject({ available: false, addresses: [], chosen: false });
    expect(site(x, 'ap-south').km).toBeUndefined();
    expect(answers(x)).toEqual([`www.${ZONE} 30 AAAA 2001:db8:20::1`]);
    expect(x.answer.ecsScope).toBeLessThanOrEqual(56);
  });
});

describe('steer: weighted', () => {
  it('shows the weights, the pick of a fresh rotation, and that location is not used', () => {
    const x = ask('api', 'A', '81.0.1.7');
    const s = steering(x);
    expect(s.sites.map((v) => [v.name, v.weight])).toEqual([
      ['us-east', 3],
      ['eu-west', 2],
      ['ap-south', 1],
    ]);
    expect(s.chosen).toEqual(['us-east']);
    expect(s.scope).toBe(0);
    expect(x.location.usedByPolicy).toBe(false);
    expect(s.notes[0]).toMatch(/fresh rotation.*per process.*3:2:1/);
    // us-east has two addresses and the answer holds one: they rotate too.
    expect(s.notes[1]).toMatch(/us-east has 2 addresses up and the answer holds 1/);
    expect(x.answer.ecsScope).toBe(0);
  });

  it('takes turns of the rotations it is given, as a query does, and only of those', () => {
    const z = zones();
    const state = new SteerState();
    const picks = [1, 2, 3, 4, 5, 6].map(
      () =>
        steering(explain(z, geo, new HealthTable(), `api.${ZONE}`, 'A', '81.0.1.7', state))
          .chosen[0],
    );
    // Without a state of its own, each explanation starts a fresh rotation, however often asked.
    expect(
      steering(explain(z, geo, new HealthTable(), `api.${ZONE}`, 'A', '81.0.1.7')).chosen[0],
    ).toBe('us-east');
    expect(picks).toEqual(['us-east', 'eu-west', 'us-east', 'ap-south', 'eu-west', 'us-east']);
  });
});

describe('steer: failover', () => {
  it('shows each site group, the drained site, and the group that answers', () => {
    const x = ask('db', 'A', '81.0.1.7');
    const s = steering(x);
    expect(s.sites.map((v) => [v.name, v.group, v.state, v.available])).toEqual([
      ['eu-old', 1, 'drain', false],
      ['us-east', 1, 'enabled', true],
      ['eu-west', 2, 'enabled', true],
      ['ap-south', 2, 'enabled', true],
    ]);
    // Group 1 has one available site and min_available is 2.
    expect(s.decidedBy).toBe('group 2 of 2 (min_available 2)');
    expect(s.chosen).toEqual(['eu-west', 'ap-south']);
    expect(site(x, 'eu-old').open).toBe(false);
  });
});

describe('steer: sticky', () => {
  it('shows the rendezvous score of each site; the highest answers, scoped to the client network', () => {
    const x = ask('login', 'A', '81.0.1.7');
    const s = steering(x);
    const best = [...s.sites].sort((a, b) => b.score! - a.score!)[0]!;
    expect(s.chosen).toEqual([best.name]);
    expect(s.sites.every((v) => typeof v.score === 'number' && v.weight === 1)).toBe(true);
    expect(s.scope).toBe(24);
    expect(x.answer.ecsScope).toBe(24);
  });
});

describe('steer: geo', () => {
  it.each([
    ['81.0.1.7', 'continent EU: records.shop.rules[1]', 'eu-west'],
    ['41.0.0.1', 'continent AF: records.shop.rules[1]', 'eu-west'],
    ['126.0.3.4', 'country JP: records.shop.rules[2]', 'ap-south'],
    ['203.0.113.9', 'subnet 203.0.113.0/24: records.shop.rules[0]', 'ap-south'],
    ['24.0.0.1', 'default: records.shop.rules[3]', 'us-east'],
  ])('%s: %s answers with %s', (client, rule, chosen) => {
    const s = steering(ask('shop', 'A', client));
    expect([s.decidedBy, s.chosen]).toEqual([rule, [chosen]]);
  });

  it('a subnet rule decides without locating the client', () => {
    expect(ask('shop', 'A', '203.0.113.9').location.usedByPolicy).toBe(false);
  });
});

describe('the chain of names', () => {
  it('follows a static CNAME to a steered name', () => {
    const x = ask('alias', 'A', '81.0.1.7');
    expect(x.chain.map((c) => [c.name, c.kind, c.target])).toEqual([
      [`alias.${ZONE}`, 'cname', `www.${ZONE}`],
      [`www.${ZONE}`, 'steered', undefined],
    ]);
    expect(steering(x).chosen).toEqual(['eu-west']);
    expect(answers(x)).toEqual([
      `alias.${ZONE} 300 CNAME www.${ZONE}.`,
      `www.${ZONE} 30 A 198.51.100.10`,
    ]);
  });

  it('a static name: not steered, ECS scope 0, location not used', () => {
    const x = ask('static', 'A', '81.0.1.7');
    expect(x.chain).toEqual([{ name: `static.${ZONE}`, kind: 'static', wildcard: false }]);
    expect(x.answer).toMatchObject({ outcome: 'answer', steered: false, ecsScope: 0 });
    expect(x.location.usedByPolicy).toBe(false);
    expect(x.trace).toEqual([]);
  });

  it.each([
    ['nope', 'A', 'nxdomain', 'NXDOMAIN', 'nxdomain'],
    ['static', 'AAAA', 'nodata', 'NOERROR', 'nodata'],
    ['x.legacy', 'A', 'referral', 'NOERROR', 'referral'],
  ])('%s %s: %s', (name, type, kind, rcode, outcome) => {
    const x = ask(name, type, '81.0.1.7');
    expect(x.chain.map((c) => c.kind)).toEqual([kind]);
    expect(x.answer).toMatchObject({ rcode, outcome, answer: [] });
  });

  it('a CNAME to a name without the type: the CNAME, then NODATA', () => {
    const x = ask('alias', 'MX', '81.0.1.7');
    expect(x.chain.map((c) => c.kind)).toEqual(['cname', 'nodata']);
    expect(x.answer).toMatchObject({ rcode: 'NOERROR', outcome: 'nodata' });
    expect(answers(x)).toEqual([`alias.${ZONE} 300 CNAME www.${ZONE}.`]);
  });

  it('a steered name with no site of the family: NODATA, said as such', () => {
    const x = ask('mumbai', 'AAAA', '2a00:1000::1');
    expect(steering(x)).toMatchObject({ mode: 'no-family', chosen: [], addresses: [] });
    expect(x.answer).toMatchObject({ rcode: 'NOERROR', outcome: 'nodata' });
    expect(x.answer.authority.map((r) => r.type)).toEqual(['SOA']);
  });

  it('a name in no zone: REFUSED, no zone, no chain', () => {
    const x = explain(zones(), geo, new HealthTable(), 'www.example.org', 'A', '81.0.1.7');
    expect(x.zone).toBeNull();
    expect(x.chain).toEqual([]);
    expect(x.answer).toMatchObject({ rcode: 'REFUSED', outcome: 'refused', aa: false });
  });

  it('a zone transfer is refused, as the server refuses it', () => {
    expect(ask('@', 'AXFR', '81.0.1.7').answer).toMatchObject({
      rcode: 'REFUSED',
      outcome: 'refused',
    });
  });
});

describe('the chain of names: CNAMEs out of the zone, loops, wildcards', () => {
  const r = compileText(
    'other.test.yaml',
    `zone: other.test
nameservers:
  ns1.example.net.:
records:
  out:
    CNAME: www.example.org.
  loop1:
    CNAME: loop2
  loop2:
    CNAME: loop1
  '*.wild':
    A: [192.0.2.7]
  '*.steered':
    steer: weighted
    sites: [a, b]
sites:
  a:
    addresses: [192.0.2.1]
  b:
    addresses: [192.0.2.2]
`,
  );
  const other = new ZoneSet([r.zone!], 1);
  const chain = (name: string) =>
    explain(other, geo, new HealthTable(), `${name}.other.test`, 'A', '81.0.1.7').chain.map((c) => [
      c.name,
      c.kind,
      c.wildcard,
    ]);

  it.each([
    [
      'out',
      [
        ['out.other.test', 'cname', false],
        ['www.example.org', 'external', false],
      ],
    ],
    [
      'loop1',
      [
        ['loop1.other.test', 'cname', false],
        ['loop2.other.test', 'cname', false],
        ['loop1.other.test', 'loop', false],
      ],
    ],
    ['x.wild', [['x.wild.other.test', 'static', true]]],
    ['y.steered', [['y.steered.other.test', 'steered', true]]],
  ])('%s', (name, expected) => {
    expect(r.problems).toEqual([]);
    expect(chain(name)).toEqual(expected);
  });
});

describe('health', () => {
  it('a site whose addresses are down is not available, and the next nearest answers', () => {
    const health = new TestHealthTable();
    health.setAddress(ZONE, 'eu-west', '198.51.100.10', false);
    const x = ask('www', 'A', '81.0.1.7', health);
    expect(site(x, 'eu-west')).toMatchObject({
      open: true,
      available: false,
      addresses: [{ address: '198.51.100.10', up: false }],
    });
    expect(steering(x).chosen).toEqual(['us-east']);
  });

  it('a site drained in the health table shows as such', () => {
    const health = new TestHealthTable();
    health.setAdminStates([{ zone: ZONE, site: 'eu-west', state: 'drain' }]);
    const x = ask('www', 'A', '81.0.1.7', health);
    expect(site(x, 'eu-west')).toMatchObject({ state: 'enabled', open: false, available: false });
    expect(renderExplanation(x)).toMatch(/eu-west +drained \(health table\) +no/);
  });

  it('with every site down, says which when_all_down rule answered', () => {
    const health = new TestHealthTable();
    for (const [s, a] of [
      ['us-east', '192.0.2.10'],
      ['us-east', '192.0.2.11'],
      ['eu-west', '198.51.100.10'],
      ['ap-south', '203.0.113.10'],
    ] as const)
      health.setAddress(ZONE, s, a, false);
    const s = steering(ask('www', 'A', '81.0.1.7', health));
    expect(s.mode).toBe('serve_all');
    expect(s.sites.every((v) => !v.available)).toBe(true);
    expect(s.chosen).toEqual(['eu-west']); // fail open: still the nearest
    expect(s.notes[0]).toMatch(/when_all_down is serve_all/);
  });
});

describe('the explanation as data', () => {
  it.each([
    ['www', 'A'],
    ['alias', 'AAAA'],
    ['api', 'A'],
    ['db', 'A'],
    ['login', 'A'],
    ['shop', 'A'],
    ['nope', 'A'],
  ])('%s %s survives JSON unchanged', (name, type) => {
    const x = ask(name, type, '81.0.1.7');
    // No Map, typed array or class instance: each would come back from JSON as something else.
    expect(JSON.parse(JSON.stringify(x))).toEqual(x);
  });

  it('keeps the trace lines of the resolver and policies, per decision and in full', () => {
    const x = ask('alias', 'A', '81.0.1.7');
    expect(steering(x).trace).toEqual(x.trace);
    expect(x.trace).toContain('  eu-west: 781 km (chosen)');
  });
});

describe('the text form', () => {
  it('shows the client, where it was placed, each site and the answer', () => {
    const text = renderExplanation(ask('alias', 'A', '81.0.1.7'));
    const lines = text.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `question  alias.${ZONE}. A`,
      'client    81.0.1.7 (ECS source /32), steered as 81.0.1.0/24 (cut to /24, as the server cuts ECS)',
      `location  database ${DB_V4}, network 81.0.0.0/16 (/16)`,
      '          country FR, continent EU, at 48.86, 2.35',
      `zone      ${ZONE} (${ZONE}.yaml)`,
    ]);
    expect(lines).toContain(`alias.${ZONE}.  CNAME www.${ZONE}. (ttl 300): followed`);
    expect(lines).toContain(
      `www.${ZONE}.  steer: nearest (IPv4, ttl 30, at most 8 addresses, when_all_down serve_all)`,
    );
    expect(lines).toContain(
      '  eu-west   enabled  yes        198.51.100.10            781 km  <- answers',
    );
    expect(lines).toContain('  decided by  distance: the nearest site');
    expect(
      text.endsWith(
        `answer    NOERROR, ECS scope /16\n  alias.${ZONE}. 300 IN CNAME www.${ZONE}.\n  www.${ZONE}. 30 IN A 198.51.100.10\n`,
      ),
    ).toBe(true);
  });

  it('appends the trace when asked', () => {
    const text = renderExplanation(ask('www', 'A', '81.0.1.7'), { trace: true });
    expect(text).toContain('\ntrace\n  site us-east: available, 2 IPv4 address(es) up\n');
  });
});
