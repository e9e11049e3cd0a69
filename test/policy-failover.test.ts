// steer: failover — ordered priority groups with a threshold (docs/policies/failover.md).
import { describe, expect, it } from 'vitest';
import {
  conformance,
  Harness,
  problems,
  type SiteSpec,
  where,
  zoneYaml,
} from './policy-conformance.js';

conformance({
  kind: 'failover',
  defaultAnswers: 8,
  stanza: (s) => {
    const half = Math.ceil(s.length / 2);
    return [`groups: [[${s.slice(0, half).join(', ')}], [${s.slice(half).join(', ')}]]`];
  },
});

/** Sites a..f, one IPv4 address each (192.0.2.1..6); e has no IPv6 address, the rest have one. */
const SITES: Record<string, SiteSpec> = Object.fromEntries(
  ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) => [
    n,
    { addresses: n === 'e' ? [`192.0.2.${i + 1}`] : [`192.0.2.${i + 1}`, `2001:db8::${i + 1}`] },
  ]),
);
const NAME = (addr: string) => 'abcdef'[Number(addr.split(/[.:]/).at(-1)) - 1];
const sitesOf = (h: Harness, name = 'www', type: 'A' | 'AAAA' = 'A') =>
  h.pick(name, type).map(NAME).join(' ');

function harness(...lines: string[]): Harness {
  return new Harness(zoneYaml(SITES, { www: ['steer: failover', ...lines] }));
}

describe('failover: groups in order', () => {
  it.each([
    // [withdrawn, answer] with groups [[a, b], [c], [d, f]] and min_available 1 (the default)
    [[], 'a b'],
    [['a'], 'b'],
    [['a', 'b'], 'c'],
    [['a', 'b', 'c'], 'd f'],
    [['a', 'b', 'c', 'd'], 'f'],
    [['c'], 'a b'], // a standby going down changes nothing
    [['b', 'd'], 'a'],
  ])('withdrawn %j → %s', (withdrawn, want) => {
    const h = harness('groups: [[a, b], [c], [d, f]]');
    h.withdraw(withdrawn);
    expect(sitesOf(h)).toBe(want);
  });

  it.each([
    // [withdrawn, answer] with groups [[a, b, c], [d, f], [e]] and min_available 2
    [[], 'a b c'],
    [['a'], 'b c'], // 2 left: still enough
    [['a', 'b'], 'd f'], // 1 left: below the threshold, the standby takes over
    [['a', 'b', 'd'], 'c'], // no group has 2: the first group with any available site
    [['a', 'b', 'c', 'd'], 'f'],
    [['a', 'b', 'c', 'd', 'f'], 'e'],
  ])('min_available: 2, withdrawn %j → %s', (withdrawn, want) => {
    const h = harness('groups: [[a, b, c], [d, f], [e]]', 'min_available: 2');
    h.withdraw(withdrawn);
    expect(sitesOf(h)).toBe(want);
  });

  it('standby groups never answer while the active group holds the threshold', () => {
    const h = harness('groups: [[a, b], [c, d]]', 'min_available: 2');
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) for (const a of h.pick('www', 'A')) seen.add(NAME(a)!);
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('the active group comes back as soon as it reaches the threshold again', () => {
    const h = harness('groups: [[a, b], [c, d]]', 'min_available: 2');
    h.withdraw(['a']);
    expect(sitesOf(h)).toBe('c d');
    h.restore(['a']);
    expect(sitesOf(h)).toBe('a b');
  });

  it('a group of one may be written without a list', () => {
    expect(sitesOf(harness('groups: [a, b]'))).toBe('a');
  });

  it('drain in the zone file takes a site out of its group', () => {
    const h = new Harness(
      zoneYaml(
        { ...SITES, a: { ...SITES.a!, state: 'drain' } },
        { www: ['steer: failover', 'groups: [[a, b], [c, d]]', 'min_available: 2'] },
      ),
    );
    expect(sitesOf(h)).toBe('c d');
  });
});

describe('failover: families', () => {
  it('sites count for the family asked: AAAA moves on when a site of the group has no IPv6', () => {
    // e has only IPv4: for AAAA the first group has one site, below min_available 2.
    const h = harness('groups: [[a, e], [c, d]]', 'min_available: 2');
    expect(sitesOf(h, 'www', 'A')).toBe('a e');
    expect(sitesOf(h, 'www', 'AAAA')).toBe('c d');
  });

  it('with min_available 1 the group answers AAAA from the site that has it', () => {
    const h = harness('groups: [[e, a], [c]]');
    expect(sitesOf(h, 'www', 'AAAA')).toBe('a');
  });
});

describe('failover: answers and scope', () => {
  it.each([
    [[], 'a b c'],
    [['answers: 2'], 'a b'],
    [['answers: 1'], 'a'],
  ])('%j: the group’s sites in order, up to `answers` addresses', (extra, want) => {
    expect(sitesOf(harness('groups: [[a, b, c], [d]]', ...extra))).toBe(want);
  });

  it('does not depend on the client: scope 0', () => {
    const h = harness('groups: [[a], [b]]');
    for (const c of ['198.51.100.7', '203.0.113.5']) expect(h.ask('www', 'A', c).scope).toBe(0);
    expect(h.ask('www', 'AAAA', '2001:db8:77::1').scope).toBe(0);
  });

  it('explains which group answers', () => {
    const h = harness('groups: [[a, b], [c, d]]', 'min_available: 2');
    h.drain(['b']);
    expect(h.trace('www', 'A')).toEqual([
      'site a: available, 1 IPv4 address(es) up',
      'site b: drained',
      'site c: available, 1 IPv4 address(es) up',
      'site d: available, 1 IPv4 address(es) up',
      'min_available 2',
      '  group 1 [a, b]: 1 available',
      '  group 2 [c, d]: 2 available (answers)',
      'answer: c, d (2 address(es)), ECS scope /0',
    ]);
  });
});

describe('failover: validation', () => {
  it.each([
    [
      ['groups: [[a, b], [b, c]]'],
      'b,',
      'groups: [[a, b], [b',
      'records.www.groups[1][0]: site b is already in records.www.groups[0]: a site belongs to one group [bad-value]',
    ],
    [
      ['groups: [[a], []]'],
      '[]',
      undefined,
      'records.www.groups[1]: an empty group: name at least one site [bad-value]',
    ],
    [
      ['groups: [[a], [zulu]]'],
      'zulu',
      undefined,
      'records.www.groups[1][0]: unknown site "zulu" (declared: a, b, c, d, e, f) [unknown-site]',
    ],
    [
      ['groups: [[a, b], [c]]', 'min_available: 3'],
      '3',
      'min_available',
      'records.www.min_available: min_available 3 is more sites than any group has (the largest has 2), so no group could ever reach it [bad-value]',
    ],
    [
      ['groups: [[a], [c]]', 'min_available: 0'],
      '0',
      'min_available',
      'records.www.min_available: must be an integer 1-64, got number 0 [bad-value]',
    ],
    [
      ['groups: a'],
      'a',
      'groups: a',
      'records.www.groups: must be a non-empty list of groups, e.g. [[us-east], [eu-west, ap-south]], got string "a" [wrong-type]',
    ],
    [
      ['groups: [[a]]', 'sites: [b]'],
      'sites',
      'sites: [b]',
      'records.www.sites: unknown key "sites" in a "steer: failover" record (expected one of: steer, ttl, answers, when_all_down, fallback, groups, min_available) [unknown-key]',
    ],
    [
      ['ttl: 60'],
      'steer',
      undefined,
      'records.www: steer: failover needs "groups" (a list of lists of site names, most preferred first) [missing-key]',
    ],
  ])('%j', (lines, token, line, want) => {
    const text = zoneYaml(SITES, { www: ['steer: failover', ...lines] });
    expect(problems(text)).toEqual([`${where(text, token, line ?? `${token}`)} ${want}`]);
  });
});
