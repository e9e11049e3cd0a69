// steer: sticky — weighted rendezvous hashing of the client's network (docs/policies/sticky.md).
import { describe, expect, it } from 'vitest';
import {
  conformance,
  Harness,
  problems,
  type SiteSpec,
  where,
  zoneYaml,
} from './policy-conformance.js';

conformance({ kind: 'sticky', defaultAnswers: 8, stanza: (s) => [`sites: [${s.join(', ')}]`] });

/** Sites s1..s5: one IPv4 address (192.0.2.N) and one IPv6 address (2001:db8::N) each. */
function sites(weights: Record<string, number> = {}): Record<string, SiteSpec> {
  return Object.fromEntries(
    [1, 2, 3, 4, 5].map((n) => [
      `s${n}`,
      { weight: weights[`s${n}`] ?? 1, addresses: [`192.0.2.${n}`, `2001:db8::${n}`] },
    ]),
  );
}
const siteOf = (addr: string | undefined) =>
  addr === undefined ? 'none' : `s${addr.split(/[.:]/).at(-1)}`;

/** 2000 synthetic client networks: 10.0.0.0/24 ... 10.7.207.0/24, asked from host .1. */
const NETS = Array.from({ length: 2000 }, (_, i) => `10.${i >> 8}.${i & 255}`);
/** 2000 synthetic IPv6 /56s: 2001:db8:<i>:<j>00::/56. */
const NETS6 = Array.from(
  { length: 2000 },
  (_, i) => `2001:db8:${(i >> 4).toString(16)}:${((i & 15) * 16).toString(16)}`,
);

function assign(h: Harness, name = 'www', nets = NETS, host = '1'): string[] {
  return nets.map((n) =>
    siteOf(
      h.pick(
        name,
        n.includes(':') ? 'AAAA' : 'A',
        n.includes(':') ? `${n}00::${host}` : `${n}.${host}`,
      )[0],
    ),
  );
}
function tally(assigned: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of assigned) out[s] = (out[s] ?? 0) + 1;
  return out;
}
/**
 * Four standard deviations of a binomial count: how far a fair random choice of each network's
 * site would stray from n·p. The hash is deterministic, so this test cannot flake; the bound says
 * the hash spreads networks the way a random draw would (a biased hash fails it, and a tighter
 * bound would only be testing this hash's luck on these 2000 networks).
 */
const tolerance = (n: number, p: number) => 4 * Math.sqrt(n * p * (1 - p));

describe('sticky: a network keeps its site', () => {
  it('every /24 gets the same site on every query, from any host in it', () => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    const first = assign(h);
    expect(assign(h)).toEqual(first);
    expect(assign(h, 'www', NETS, '254')).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['s1', 's2', 's3', 's4']));
  });

  it('the site is pinned by the hash: these rows change only if the hash does (which would move every client)', () => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    const rows = [
      '198.51.100.7',
      '203.0.113.200',
      '192.0.2.1',
      '10.0.0.1',
      '2001:db8:1:100::1',
    ].map((c) => [c, siteOf(h.pick('www', c.includes(':') ? 'AAAA' : 'A', c)[0])]);
    expect(rows).toEqual([
      ['198.51.100.7', 's2'],
      ['203.0.113.200', 's1'],
      ['192.0.2.1', 's1'],
      ['10.0.0.1', 's2'],
      ['2001:db8:1:100::1', 's1'],
    ]);
  });

  it('list order does not matter: sites are hashed by name', () => {
    const h = new Harness(
      zoneYaml(sites(), {
        www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'],
        rev: ['steer: sticky', 'sites: [s4, s3, s2, s1]'],
      }),
    );
    expect(assign(h, 'rev')).toEqual(assign(h));
  });
});

describe('sticky: when a site leaves, only its networks move', () => {
  it.each([['withdrawn (probes)'], ['drained']])(
    '%s: the others never move, its own all do, and all come back',
    (how) => {
      const h = new Harness(
        zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }),
      );
      const before = assign(h);
      if (how === 'drained') h.drain(['s3']);
      else h.withdraw(['s3']);
      const after = assign(h);
      const moved = before.flatMap((s, i) => (s !== after[i] ? [i] : []));
      expect(moved.length).toBe(tally(before).s3);
      expect(moved.every((i) => before[i] === 's3')).toBe(true);
      expect(after.includes('s3')).toBe(false);
      // s3's networks spread over the other three (each to its own next-highest site).
      expect(new Set(moved.map((i) => after[i]))).toEqual(new Set(['s1', 's2', 's4']));
      if (how === 'drained') h.drain([]);
      else h.restore(['s3']);
      expect(assign(h)).toEqual(before);
    },
  );

  it('a network keeps its site while unrelated sites come and go', () => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    const before = assign(h);
    const steady = NETS.flatMap((_, i) => (before[i] === 's1' ? [i] : []));
    for (const gone of [['s2'], ['s2', 's3'], ['s4'], ['s2', 's3', 's4']]) {
      h.drain(gone);
      const now = assign(h);
      expect(
        steady.every((i) => now[i] === 's1'),
        `with ${gone.join(', ')} drained`,
      ).toBe(true);
    }
  });

  it('adding a site moves only the networks the new site wins', () => {
    const h = new Harness(
      zoneYaml(sites(), {
        four: ['steer: sticky', 'sites: [s1, s2, s3, s4]'],
        five: ['steer: sticky', 'sites: [s1, s2, s3, s4, s5]'],
      }),
    );
    const before = assign(h, 'four');
    const after = assign(h, 'five');
    const moved = before.flatMap((s, i) => (s !== after[i] ? [i] : []));
    expect(moved.every((i) => after[i] === 's5')).toBe(true);
    expect(moved.length).toBe(tally(after).s5);
    expect(Math.abs(moved.length - 400)).toBeLessThanOrEqual(tolerance(2000, 0.2));
  });
});

describe('sticky: shares follow the weights', () => {
  it.each([
    [
      'site weights 1, 2, 3, 4',
      sites({ s1: 1, s2: 2, s3: 3, s4: 4 }),
      'sites: [s1, s2, s3, s4]',
      { s1: 0.1, s2: 0.2, s3: 0.3, s4: 0.4 },
    ],
    [
      'equal weights',
      sites(),
      'sites: [s1, s2, s3, s4]',
      { s1: 0.25, s2: 0.25, s3: 0.25, s4: 0.25 },
    ],
    [
      'per-record weights { s1: 1, s2: 3 } over site weights 5, 1',
      sites({ s1: 5, s2: 1 }),
      'sites: { s1: 1, s2: 3 }',
      { s1: 0.25, s2: 0.75 },
    ],
  ])(
    '%s: within 4 binomial standard deviations of 2000 networks',
    (_label, siteSpecs, line, shares) => {
      const h = new Harness(zoneYaml(siteSpecs, { www: ['steer: sticky', line] }));
      const got = tally(assign(h));
      for (const [s, p] of Object.entries(shares))
        expect(
          Math.abs((got[s] ?? 0) - 2000 * p),
          `${s}: ${got[s]} of 2000, expected ${2000 * p}`,
        ).toBeLessThanOrEqual(tolerance(2000, p));
    },
  );
});

describe('sticky: IPv6 networks are /56s', () => {
  it('addresses in one /56 share a site; 2000 /56s spread evenly', () => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    const low = assign(h, 'www', NETS6, '1');
    const high = NETS6.map((n) => siteOf(h.pick('www', 'AAAA', `${n}ff:ffff:ffff:ffff:ffff`)[0]));
    expect(high).toEqual(low);
    const got = tally(low);
    for (const s of ['s1', 's2', 's3', 's4'])
      expect(Math.abs(got[s]! - 500)).toBeLessThanOrEqual(tolerance(2000, 0.25));
  });

  it('the next /56 is hashed on its own', () => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    // Of 2000 neighbouring /56 pairs, about three in four differ (four equal sites).
    const pairs = NETS6.map((n) => [
      h.pick('www', 'AAAA', `${n}00::1`)[0],
      h.pick(
        'www',
        'AAAA',
        `${n}00::1`.replace(
          /:(\w+)00::1$/,
          (_m, g: string) => `:${(parseInt(g, 16) + 1).toString(16)}00::1`,
        ),
      )[0],
    ]);
    const differ = pairs.filter(([a, b]) => a !== b).length;
    expect(Math.abs(differ - 1500)).toBeLessThanOrEqual(tolerance(2000, 0.75));
  });
});

describe('sticky: ECS scope is the network that was hashed', () => {
  it.each([
    ['198.51.100.7', undefined, 24],
    ['2001:db8:1:100::1', undefined, 56],
    ['198.51.100.7', 20, 20],
    ['198.51.100.7', 32, 24], // ECS sources longer than /24 are cut to /24
    ['2001:db8:1:100::1', 48, 48],
  ])('%s with ECS %s → scope /%i', (client, ecs, scope) => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    expect(h.ask('www', client.includes(':') ? 'AAAA' : 'A', client, ecs).scope).toBe(scope);
  });

  it('with an ECS /20 every /24 inside it gets the same site', () => {
    const h = new Harness(zoneYaml(sites(), { www: ['steer: sticky', 'sites: [s1, s2, s3, s4]'] }));
    const picks = Array.from(
      { length: 16 },
      (_, i) => h.pick('www', 'A', `10.9.${16 + i}.1`, 20)[0],
    );
    expect(new Set(picks).size).toBe(1);
  });
});

describe('sticky: addresses within a site are sticky too', () => {
  const big = {
    big: {
      addresses: [
        '203.0.113.1',
        '203.0.113.2',
        '203.0.113.3',
        '{ address: 203.0.113.4, weight: 3 }',
      ],
    },
  };
  it('with fewer answers than addresses, a client keeps its address, and only a down address’s clients move', () => {
    const h = new Harness(zoneYaml(big, { www: ['steer: sticky', 'sites: [big]', 'answers: 1'] }));
    const pick = () => NETS.slice(0, 600).map((n) => h.pick('www', 'A', `${n}.1`)[0]!);
    const before = pick();
    expect(pick()).toEqual(before);
    const got = tally(before);
    // Weights 1, 1, 1, 3 of 6.
    expect(Math.abs(got['203.0.113.4']! - 300)).toBeLessThanOrEqual(tolerance(600, 0.5));
    for (const a of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      expect(Math.abs(got[a]! - 100)).toBeLessThanOrEqual(tolerance(600, 1 / 6));
    h.health.setAddress('example.org', 'big', '203.0.113.2', false);
    const after = pick();
    expect(before.every((a, i) => a === '203.0.113.2' || after[i] === a)).toBe(true);
    expect(after.includes('203.0.113.2')).toBe(false);
  });
});

describe('sticky: validation', () => {
  it.each([
    [
      ['sites: { s1: 1, s2: 1001 }'],
      '1001',
      'records.www.sites.s2: must be an integer 1-1000, got number 1001 [bad-value]',
    ],
    [
      ['sites: [s1, s9]'],
      's9',
      'records.www.sites[1]: unknown site "s9" (declared: s1, s2, s3, s4, s5) [unknown-site]',
    ],
    [
      ['sites: [s1]', 'spread: 10%'],
      'spread',
      'records.www.spread: unknown key "spread" in a "steer: sticky" record (expected one of: steer, ttl, answers, when_all_down, fallback, sites) [unknown-key]',
    ],
  ])('%j', (lines, token, want) => {
    const text = zoneYaml(sites(), { www: ['steer: sticky', ...lines] });
    expect(problems(text)).toEqual([
      `${where(
        text,
        token,
        lines.find((l) => l.includes(token)),
      )} ${want}`,
    ]);
  });
});
