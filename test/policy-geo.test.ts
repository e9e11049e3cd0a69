// steer: geo — rules by subnet, subdivision, country and continent, with a default rule
// (docs/policies/geo.md).
import { describe, expect, it } from 'vitest';
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

conformance({
  kind: 'geo',
  defaultAnswers: 8,
  stanza: (s) => [
    'rules:',
    `  - { country: [DE, FR], sites: [${s[0]}] }`,
    `  - { default: true, sites: [${s.join(', ')}] }`,
  ],
});

const SITES: Record<string, SiteSpec> = {
  sub: { addresses: ['192.0.2.1', '2001:db8:1::1'] },
  sjc: { at: CITY.sanJose, addresses: ['192.0.2.2', '2001:db8:2::1'] },
  iad: { at: CITY.ashburn, addresses: ['192.0.2.3', '2001:db8:3::1'] },
  ord: { at: CITY.chicago, addresses: ['192.0.2.4', '2001:db8:4::1'] },
  fra: { at: CITY.frankfurt, addresses: ['192.0.2.5'] }, // IPv4 only
  ams: { at: CITY.amsterdam, addresses: ['192.0.2.6', '2001:db8:6::1'] },
  sin: { at: CITY.singapore, addresses: ['192.0.2.7', '2001:db8:7::1'] },
};
const NAME: Record<string, string> = Object.fromEntries(
  Object.entries(SITES).flatMap(([n, s]) => s.addresses.map((a) => [a, n])),
);

const RULES = [
  'steer: geo',
  'rules:',
  '  - { subnet: [198.51.100.0/24, 2001:db8:beef::/48], sites: [sub, iad] }',
  '  - { subdivision: [US-CA], sites: [sjc] }',
  '  - { country: [US], sites: [iad] }',
  '  - { continent: [NA], sites: [ord] }',
  '  - { continent: [EU], sites: [fra, ams] }',
  '  - { default: true, sites: [sin] }',
];

const PLACES: Place[] = [
  { net: '198.51.0.0/16', at: CITY.sanJose, country: 'US', continent: 'NA', subdivision: 'US-CA' },
  { net: '24.1.0.0/16', at: CITY.sanJose, country: 'US', continent: 'NA', subdivision: 'US-CA' },
  { net: '24.0.0.0/16', at: CITY.newYork, country: 'US', continent: 'NA', subdivision: 'US-NY' },
  { net: '70.0.0.0/16', country: 'CA', continent: 'NA', subdivision: 'CA-ON' },
  { net: '81.0.0.0/16', at: CITY.paris, country: 'FR', continent: 'EU', subdivision: 'FR-IDF' },
  { net: '41.0.0.0/16', at: CITY.nairobi, country: 'KE', continent: 'AF' },
  { net: '2001:db8:be00::/40', country: 'DE', continent: 'EU' },
  { net: '2001:db8:100::/48', at: CITY.paris, country: 'FR', continent: 'EU' },
];

function harness(records: Record<string, string[]> = { www: RULES }): Harness {
  return new Harness(zoneYaml(SITES, records), new FakeLocator(PLACES));
}
const siteOf = (h: Harness, client: string, type: 'A' | 'AAAA' = 'A', name = 'www') =>
  h
    .pick(name, type, client)
    .map((a) => NAME[a])
    .join(' ');

describe('geo: the most specific rule wins', () => {
  it.each([
    ['198.51.100.7', 'in the subnet (and located in US-CA): the subnet rule', 'sub'],
    ['198.51.7.1', 'same /16, outside the subnet: subdivision US-CA', 'sjc'],
    ['24.1.2.3', 'US-CA: subdivision beats country', 'sjc'],
    ['24.0.3.9', 'US-NY has no rule: country US', 'iad'],
    ['70.0.1.1', 'Canada: continent NA', 'ord'],
    ['81.0.1.7', 'France: continent EU, its first site', 'fra'],
    ['41.0.9.9', 'Kenya: no rule, the default', 'sin'],
    ['100.64.5.5', 'not located: the default', 'sin'],
    ['2001:db8:beef:1::1', 'an IPv6 subnet rule', 'sub'],
    ['2001:db8:100:1::1', 'France over IPv6', 'fra'],
  ])('%s (%s) → %s', (client, _why, want) => {
    expect(siteOf(harness(), client)).toBe(want);
  });

  it('a subnet rule answers without asking the locator', () => {
    const h = harness();
    h.ask('www', 'A', '198.51.100.7');
    expect(h.geo.calls).toEqual([]);
    h.ask('www', 'A', '24.0.3.9');
    expect(h.geo.calls).toEqual(['24.0.3.0/24']);
  });

  it('the longest of nested subnets wins', () => {
    const h = harness({
      www: [
        'steer: geo',
        'rules:',
        '  - { subnet: 10.0.0.0/8, sites: [iad] }',
        '  - { subnet: 10.1.2.0/24, sites: [ord] }',
        '  - { subnet: 10.1.0.0/16, sites: [sjc] }',
        '  - { default: true, sites: [sin] }',
      ],
    });
    expect(['10.1.2.9', '10.1.3.9', '10.9.9.9', '11.0.0.1'].map((c) => siteOf(h, c))).toEqual([
      'ord',
      'sjc',
      'iad',
      'sin',
    ]);
  });
});

describe('geo: when a rule’s sites are withdrawn', () => {
  it.each([
    ['24.1.2.3', [], 'sjc'],
    ['24.1.2.3', ['sjc'], 'iad'], // subdivision → country
    ['24.1.2.3', ['sjc', 'iad'], 'ord'], // → continent
    ['24.1.2.3', ['sjc', 'iad', 'ord'], 'sin'], // → the default rule
    ['24.1.2.3', ['sjc', 'iad', 'ord', 'sin'], 'sub'], // → any available site, in the order the rules first name them
    ['198.51.100.7', ['sub'], 'iad'], // the subnet rule's second site
    ['198.51.100.7', ['sub', 'iad'], 'sjc'], // → the client's location: US-CA
    ['81.0.1.7', ['fra'], 'ams'], // the rule's list is an order of preference
    ['81.0.1.7', ['fra', 'ams'], 'sin'], // → default
    ['41.0.9.9', ['sin'], 'sub'], // the default rule's sites withdrawn → any available site
  ])('%s with %j withdrawn → %s', (client, withdrawn, want) => {
    const h = harness();
    h.withdraw(withdrawn);
    expect(siteOf(h, client)).toBe(want);
  });

  it('answers with the first available site of the rule only, all of its addresses', () => {
    const h = new Harness(
      zoneYaml(
        { ...SITES, big: { addresses: ['203.0.113.1', '203.0.113.2', '203.0.113.3'] } },
        {
          www: [
            'steer: geo',
            'rules:',
            '  - { continent: [EU], sites: [big, fra] }',
            '  - { default: true, sites: [sin] }',
          ],
        },
      ),
      new FakeLocator(PLACES),
    );
    expect(h.pick('www', 'A', '81.0.1.7')).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  });

  it('AAAA skips a rule’s site that has no IPv6 address', () => {
    const h = harness();
    expect(siteOf(h, '2001:db8:100:1::1', 'AAAA')).toBe('ams');
    expect(siteOf(h, '81.0.1.7', 'AAAA')).toBe('ams');
  });
});

describe('geo: ECS scope', () => {
  it.each([
    ['198.51.100.7', undefined, 24, 'the subnet rule’s prefix'],
    ['24.0.3.9', undefined, 16, 'the locator’s network'],
    // 198.51.7.0 and 198.51.100.0 share 17 bits: /18 is the widest network that keeps the
    // subnet rule's clients out.
    ['198.51.7.1', undefined, 18, 'the locator’s /16, narrowed around the subnet rule inside it'],
    // An unknown client (/0) is narrowed to /1: 100.x and 198.x differ in the first bit.
    ['100.64.5.5', undefined, 1, 'the locator’s /0, narrowed'],
    // An ECS /16 source covers the /24 rule, so the client cannot be placed inside or outside
    // it: the scope asks for /24 (RFC 7871 7.2.1).
    ['198.51.100.0', 16, 24, 'a source shorter than a subnet rule'],
    ['2001:db8:beef:1::1', undefined, 48, 'an IPv6 subnet rule'],
  ] as [string, number | undefined, number, string][])(
    '%s (ECS %s) → /%i: %s',
    (client, ecs, scope) => {
      expect(harness().ask('www', client.includes(':') ? 'AAAA' : 'A', client, ecs).scope).toBe(
        scope,
      );
    },
  );

  it('a source shorter than a subnet rule is answered by location, not by the rule', () => {
    expect(siteOf(harness(), '198.51.100.0', 'A')).toBe('sub');
    expect(
      harness()
        .pick('www', 'A', '198.51.100.0', 16)
        .map((a) => NAME[a]),
    ).toEqual(['sjc']);
  });

  it.each([
    ['10.1.2.9', 'ord', 24],
    ['10.1.3.9', 'iad', 24], // shares 23 bits with 10.1.2.0/24
    ['10.200.0.1', 'iad', 9], // shares 8 bits with 10.1.2.0/24
    ['10.0.0.1', 'iad', 16], // shares 15 bits
  ])('nested subnets: %s → %s, scope /%i', (client, site, scope) => {
    const h = harness({
      www: [
        'steer: geo',
        'rules:',
        '  - { subnet: 10.0.0.0/8, sites: [iad] }',
        '  - { subnet: 10.1.2.0/24, sites: [ord] }',
        '  - { default: true, sites: [sin] }',
      ],
    });
    const r = h.ask('www', 'A', client);
    expect([r.addresses.map((a) => NAME[a]), r.scope]).toEqual([[site], scope]);
  });
});

describe('geo: validation', () => {
  const rules = (...lines: string[]) => ['steer: geo', 'rules:', ...lines.map((l) => `  - ${l}`)];
  const DEFAULT = '{ default: true, sites: [sin] }';
  it.each([
    // [rules, token, the problem]
    [
      ['{ country: [US, CA], sites: [iad] }', '{ country: [MX, US], sites: [ord] }', DEFAULT],
      'US]',
      'records.www.rules[1].country[1]: country US is already matched by records.www.rules[0]: a code or subnet may appear in one rule only [rule-conflict]',
    ],
    [
      ['{ continent: [EU], sites: [fra] }', '{ continent: EU, sites: [ams] }', DEFAULT],
      'EU,',
      'records.www.rules[1].continent: continent EU is already matched by records.www.rules[0]: a code or subnet may appear in one rule only [rule-conflict]',
    ],
    [
      [
        '{ subnet: [2001:db8::/48], sites: [fra] }',
        '{ subnet: [2001:DB8:0::/48], sites: [ams] }',
        DEFAULT,
      ],
      '2001:DB8',
      'records.www.rules[1].subnet[0]: subnet 2001:db8::/48 is already matched by records.www.rules[0]: a code or subnet may appear in one rule only [rule-conflict]',
    ],
    [
      ['{ country: [US, US], sites: [iad] }', DEFAULT],
      'US]',
      'records.www.rules[0].country[1]: country US is listed twice in this rule [bad-value]',
    ],
    [
      [DEFAULT, '{ default: true, sites: [iad] }'],
      'default: true, sites: [iad]',
      'records.www.rules[1].default: there is already a default rule (records.www.rules[0]) [rule-conflict]',
    ],
    [
      ['{ country: [US], sites: [iad] }'],
      '- { country',
      'records.www.rules: a geo policy needs a default rule: { default: true, sites: [...] } [missing-key]',
    ],
    [
      ['{ default: true, country: [US], sites: [iad] }'],
      'default',
      'records.www.rules[0].default: the default rule matches every client: it takes no continent, country, subdivision or subnet [bad-value]',
    ],
    [
      ['{ default: false, sites: [iad] }', DEFAULT],
      'false',
      'records.www.rules[0].default: write "default: true" for the default rule, or leave the key out [bad-value]',
    ],
    [
      ['{ sites: [iad] }', DEFAULT],
      '{ sites',
      'records.www.rules[0]: a rule matches on continent, country, subdivision or subnet, or is { default: true } [missing-key]',
    ],
    [
      ['{ country: [US] }', DEFAULT],
      '{ country',
      'records.www.rules[0]: a rule needs "sites" (site names, most preferred first) [missing-key]',
    ],
    [
      ['{ country: [US], sites: [] }', DEFAULT],
      '[]',
      'records.www.rules[0].sites: an empty list: name at least one site [bad-value]',
    ],
    [
      ['{ country: [US], sites: [iad, iad] }', DEFAULT],
      'iad]',
      'records.www.rules[0].sites[1]: site iad is listed twice in this rule [bad-value]',
    ],
    [
      ['{ country: [US], sites: [lax] }', DEFAULT],
      'lax',
      'records.www.rules[0].sites[0]: unknown site "lax" (declared: sub, sjc, iad, ord, fra, ams, sin) [unknown-site]',
    ],
    [
      ['{ countries: [US], sites: [iad] }', DEFAULT],
      'countries',
      'records.www.rules[0].countries: unknown key "countries" in a geo rule (expected one of: continent, country, subdivision, subnet, default, sites) [unknown-key]',
    ],
    [
      ['{ country: [UK], sites: [iad] }', DEFAULT],
      'UK',
      'records.www.rules[0].country[0]: UK is not an ISO 3166-1 country code: the United Kingdom is GB [bad-value]',
    ],
    [
      ['{ country: [de], sites: [iad] }', DEFAULT],
      'de',
      'records.www.rules[0].country[0]: country codes are written in upper case: "DE" [bad-value]',
    ],
    [
      ['{ country: [XX], sites: [iad] }', DEFAULT],
      'XX',
      'records.www.rules[0].country[0]: must be an ISO 3166-1 alpha-2 country code (e.g. US), got string "XX" [bad-value]',
    ],
    [
      ['{ continent: [Europe], sites: [iad] }', DEFAULT],
      'Europe',
      'records.www.rules[0].continent[0]: must be a continent code (AF, AN, AS, EU, NA, OC, SA), got string "Europe" [bad-value]',
    ],
    [
      ['{ subdivision: [CA], sites: [iad] }', DEFAULT],
      'CA',
      'records.www.rules[0].subdivision[0]: must be an ISO 3166-2 subdivision code in upper case (e.g. US-VA), got string "CA" [bad-value]',
    ],
    [
      ['{ subdivision: [XX-CA], sites: [iad] }', DEFAULT],
      'XX-CA',
      'records.www.rules[0].subdivision[0]: must be an ISO 3166-2 subdivision code in upper case (e.g. US-VA), got string "XX-CA": XX is not a country code [bad-value]',
    ],
    [
      ['{ subnet: [198.51.100.0/25], sites: [iad] }', DEFAULT],
      '198',
      'records.www.rules[0].subnet[0]: 198.51.100.0/25 is finer than clients are steered by (/24 for IPv4, /56 for IPv6) [bad-value]',
    ],
    [
      ['{ subnet: [2001:db8::/64], sites: [iad] }', DEFAULT],
      '2001',
      'records.www.rules[0].subnet[0]: 2001:db8::/64 is finer than clients are steered by (/24 for IPv4, /56 for IPv6) [bad-value]',
    ],
    [
      ['{ subnet: [198.51.100.7], sites: [iad] }', DEFAULT],
      '198',
      'records.www.rules[0].subnet[0]: 198.51.100.7/32 is finer than clients are steered by (/24 for IPv4, /56 for IPv6) [bad-value]',
    ],
    [
      ['{ subnet: [198.51.100.1/24], sites: [iad] }', DEFAULT],
      '198',
      'records.www.rules[0].subnet[0]: host bits set in "198.51.100.1/24": the network is 198.51.100.0/24 [bad-value]',
    ],
    [
      ['{ subnet: [198.51.100.0/33], sites: [iad] }', DEFAULT],
      '198',
      'records.www.rules[0].subnet[0]: prefix length must be 0-32, got "33" in "198.51.100.0/33" [bad-value]',
    ],
    [
      ['{ subnet: [example.net], sites: [iad] }', DEFAULT],
      'example',
      'records.www.rules[0].subnet[0]: not an IPv4 or IPv6 network (e.g. 10.0.0.0/8): "example.net" [bad-value]',
    ],
  ])('%j', (lines, token, want) => {
    const text = zoneYaml(SITES, { www: rules(...lines) });
    const onLine = `- ${lines.find((l) => `- ${l}`.includes(token))}`;
    expect(problems(text)).toEqual([`${where(text, token, onLine)} ${want}`]);
  });

  it('rules that are not a list', () => {
    const text = zoneYaml(SITES, { www: ['steer: geo', 'rules: { default: true }'] });
    expect(problems(text)).toEqual([
      `${where(text, '{ default')} records.www.rules: must be a non-empty list of rules, got a mapping [wrong-type]`,
    ]);
  });
});
