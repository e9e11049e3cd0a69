// steer: weighted — smooth weighted round robin (docs/policies/weighted.md). The rotation is
// deterministic, so every row states the exact sequence of answers.
import { describe, expect, it } from 'vitest';
import {
  conformance,
  Harness,
  problems,
  type SiteSpec,
  where,
  zoneYaml,
} from './policy-conformance.js';

conformance({ kind: 'weighted', defaultAnswers: 1, stanza: (s) => [`sites: [${s.join(', ')}]`] });

/** Sites a..f with one IPv4 and one IPv6 address each (192.0.2.1x / 2001:db8::1x), and the given weights. */
function sites(
  weights: Record<string, number>,
  more: Record<string, SiteSpec> = {},
): Record<string, SiteSpec> {
  const out: Record<string, SiteSpec> = {};
  Object.entries(weights).forEach(([name, weight], i) => {
    out[name] = { weight, addresses: [`192.0.2.${10 + i}`, `2001:db8::${10 + i}`] };
  });
  return { ...out, ...more };
}
const v4 = (name: string) => `192.0.2.${10 + 'abcdef'.indexOf(name)}`;
const site = (addr: string) => 'abcdef'[Number(addr.split('.')[3]) - 10] ?? addr;

/** The first `n` answers for `name`, as site letters. */
function sequence(h: Harness, n: number, name = 'www', type: 'A' | 'AAAA' = 'A'): string {
  return Array.from({ length: n }, () => h.pick(name, type).map(site).join('+')).join(' ');
}

function counts(h: Harness, n: number, name = 'www'): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++)
    for (const a of h.pick(name, 'A')) out[site(a)] = (out[site(a)] ?? 0) + 1;
  return out;
}

describe('weighted: the rotation', () => {
  it.each([
    // [site weights, first picks]: nginx's smooth weighted round robin, hand-computed.
    [{ a: 5, b: 1, c: 1 }, 'a a b a c a a a a b a c a a'],
    [{ a: 1, b: 1, c: 1 }, 'a b c a b c'],
    [{ a: 3, b: 1 }, 'a a b a a a b a'],
    [{ a: 1, b: 3 }, 'b a b b b a b b'],
    [{ a: 2, b: 1 }, 'a b a a b a'],
  ])('weights %j answer %s', (weights, want) => {
    const h = new Harness(
      zoneYaml(sites(weights), {
        www: ['steer: weighted', `sites: [${Object.keys(weights).join(', ')}]`],
      }),
    );
    expect(sequence(h, want.split(' ').length)).toBe(want);
  });

  it.each([
    [{ a: 3, b: 2, c: 1 }, 600, { a: 300, b: 200, c: 100 }],
    [{ a: 5, b: 1, c: 1 }, 700, { a: 500, b: 100, c: 100 }],
    [{ a: 1000, b: 1 }, 1001, { a: 1000, b: 1 }],
  ])('weights %j over %i answers split exactly %j', (weights, n, want) => {
    const h = new Harness(
      zoneYaml(sites(weights), {
        www: ['steer: weighted', `sites: [${Object.keys(weights).join(', ')}]`],
      }),
    );
    expect(counts(h, n)).toEqual(want);
  });

  it('A and AAAA rotate on their own, each keeping the proportions', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 2, b: 1 }), { www: ['steer: weighted', 'sites: [a, b]'] }),
    );
    const both = Array.from({ length: 6 }, () => [h.pick('www', 'A')[0], h.pick('www', 'AAAA')[0]]);
    expect(both).toEqual([
      ['192.0.2.10', '2001:db8::10'],
      ['192.0.2.11', '2001:db8::11'],
      ['192.0.2.10', '2001:db8::10'],
      ['192.0.2.10', '2001:db8::10'],
      ['192.0.2.11', '2001:db8::11'],
      ['192.0.2.10', '2001:db8::10'],
    ]);
  });

  it('per-record weights override the sites’ own', () => {
    // The sites say a: 5, b: 1; this record says the reverse.
    const h = new Harness(
      zoneYaml(sites({ a: 5, b: 1 }), {
        www: ['steer: weighted', 'sites: { a: 1, b: 5 }'],
        own: ['steer: weighted', 'sites: [a, b]'],
      }),
    );
    expect(sequence(h, 6)).toBe('b b a b b b');
    expect(sequence(h, 6, 'own')).toBe('a a a b a a');
    expect(counts(h, 600)).toEqual({ a: 100, b: 500 });
  });

  it('splits each site’s share over its addresses by address weight', () => {
    const h = new Harness(
      zoneYaml(
        {
          a: { weight: 2, addresses: ['{ address: 192.0.2.1, weight: 3 }', '192.0.2.2'] },
          b: { weight: 1, addresses: ['198.51.100.1'] },
        },
        { www: ['steer: weighted', 'sites: [a, b]'] },
      ),
    );
    // Sites go a b a; a's addresses go .1 .1 .2 .1 (weights 3 and 1).
    const picks = Array.from({ length: 12 }, () => h.pick('www', 'A')[0]);
    expect(picks).toEqual([
      '192.0.2.1',
      '198.51.100.1',
      '192.0.2.1',
      '192.0.2.2',
      '198.51.100.1',
      '192.0.2.1',
      '192.0.2.1',
      '198.51.100.1',
      '192.0.2.1',
      '192.0.2.2',
      '198.51.100.1',
      '192.0.2.1',
    ]);
    const n: Record<string, number> = {};
    for (let i = 0; i < 1200; i++) {
      const a = h.pick('www', 'A')[0]!;
      n[a] = (n[a] ?? 0) + 1;
    }
    // Site a: 2/3 of 1200 = 800, split 3:1; site b: 400.
    expect(n).toEqual({ '192.0.2.1': 600, '192.0.2.2': 200, '198.51.100.1': 400 });
  });
});

describe('weighted: withdrawn sites', () => {
  it('a withdrawn site gets nothing and the rest keep their proportions', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 3, b: 2, c: 1 }), { www: ['steer: weighted', 'sites: [a, b, c]'] }),
    );
    h.withdraw(['b']);
    expect(counts(h, 600)).toEqual({ a: 450, c: 150 });
    h.restore(['b']);
    expect(counts(h, 600)).toEqual({ a: 300, b: 200, c: 100 });
  });

  it('withdrawn mid-rotation: the others stay within one answer of their exact share', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 3, b: 2, c: 1 }), { www: ['steer: weighted', 'sites: [a, b, c]'] }),
    );
    sequence(h, 4);
    h.drain(['a']);
    const n = counts(h, 300);
    expect(n.a).toBeUndefined();
    expect(Math.abs(n.b! - 200)).toBeLessThanOrEqual(1);
    expect(Math.abs(n.c! - 100)).toBeLessThanOrEqual(1);
  });

  it('a site drained in the zone file is never in the rotation', () => {
    const h = new Harness(
      zoneYaml(
        sites({ a: 1, b: 1 }, { c: { weight: 5, state: 'drain', addresses: ['192.0.2.12'] } }),
        {
          www: ['steer: weighted', 'sites: [a, b, c]'],
        },
      ),
    );
    expect(sequence(h, 4)).toBe('a b a b');
  });
});

describe('weighted: answers', () => {
  it('holds one address by default', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 1, b: 1 }), { www: ['steer: weighted', 'sites: [a, b]'] }),
    );
    expect(h.record('www').answers).toBe(1);
    expect(h.pick('www', 'A')).toEqual([v4('a')]);
  });

  it.each([
    // The first place is the rotation's pick; the others follow in the order it would reach them.
    [{ a: 1, b: 1, c: 1 }, 2, 'a+b b+c c+a a+b b+c c+a'],
    [{ a: 1, b: 1, c: 1 }, 3, 'a+b+c b+c+a c+a+b'],
    [{ a: 5, b: 1, c: 1 }, 2, 'a+b a+b b+a a+c c+a a+b a+b'],
    [{ a: 2, b: 1 }, 5, 'a+b b+a a+b'],
  ])('weights %j with answers: %i go %s', (weights, answers, want) => {
    const h = new Harness(
      zoneYaml(sites(weights), {
        www: [
          'steer: weighted',
          `sites: [${Object.keys(weights).join(', ')}]`,
          `answers: ${answers}`,
        ],
      }),
    );
    expect(sequence(h, want.split(' ').length)).toBe(want);
  });

  it('with answers: 2 the first place keeps the exact proportions', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 3, b: 2, c: 1 }), {
        www: ['steer: weighted', 'sites: [a, b, c]', 'answers: 2'],
      }),
    );
    const first: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      const s = site(h.pick('www', 'A')[0]!);
      first[s] = (first[s] ?? 0) + 1;
    }
    expect(first).toEqual({ a: 300, b: 200, c: 100 });
  });
});

describe('weighted: ECS scope and trace', () => {
  it('the answer does not depend on the client: scope 0', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 1, b: 1 }), { www: ['steer: weighted', 'sites: [a, b]'] }),
    );
    for (const client of ['198.51.100.7', '2001:db8:1::1', '203.0.113.9'])
      expect(h.ask('www', 'A', client).scope).toBe(0);
    expect(h.record('www').policy.clientDependent).toBe(false);
  });

  it('explains the pick', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 2, b: 1 }), { www: ['steer: weighted', 'sites: [a, b]'] }),
    );
    h.withdraw(['b']);
    expect(h.trace('www', 'A')).toEqual([
      'site a: available, 1 IPv4 address(es) up',
      'site b: no IPv4 address up',
      'weighted round robin over a (weight 2): a',
      'answer: a (1 address(es)), ECS scope /0',
    ]);
  });
});

describe('weighted: validation', () => {
  it.each([
    [
      'sites: { a: 0, b: 1 }',
      '0',
      'records.www.sites.a: must be an integer 1-1000, got number 0 [bad-value]',
    ],
    ['sites: [a, a]', 'a]', 'records.www.sites[1]: site a is listed twice [bad-value]'],
    ['sites: []', '[]', 'records.www.sites: an empty list: name at least one site [bad-value]'],
    [
      'sites: [a, zulu]',
      'zulu',
      'records.www.sites[1]: unknown site "zulu" (declared: a, b) [unknown-site]',
    ],
  ])('%s', (line, token, want) => {
    const text = zoneYaml(sites({ a: 1, b: 1 }), { www: ['steer: weighted', line] });
    expect(problems(text)).toEqual([`${where(text, token, line)} ${want}`]);
  });

  it('one site may be written without a list', () => {
    const h = new Harness(
      zoneYaml(sites({ a: 1, b: 1 }), { www: ['steer: weighted', 'sites: b'] }),
    );
    expect(sequence(h, 3)).toBe('b b b');
  });

  it('a record with no sites says what it needs', () => {
    const text = zoneYaml(sites({ a: 1 }), { www: ['steer: weighted', 'ttl: 60'] });
    expect(problems(text)).toEqual([
      `${where(text, 'steer')} records.www: steer: weighted needs "sites" (a list, or site: weight pairs) [missing-key]`,
    ]);
  });
});
