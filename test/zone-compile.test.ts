// What a valid zone file compiles to: names, RDATA, TTLs, the tree (empty non-terminals, cuts,
// occluded glue), the SOA and its serial, and the master-file export.
import { describe, expect, it } from 'vitest';
import { Type } from '../src/wire/constants.js';
import { nameToLabels } from '../src/wire/name.js';
import type { RData, RRset } from '../src/wire/rr.js';
import { formatProblem } from '../src/base/errors.js';
import { exportZone } from '../src/zone/export.js';
import { compileText } from '../src/zone/load.js';
import { rdataText } from '../src/zone/present.js';
import type { Zone } from '../src/zone/zone.js';

function compile(text: string): Zone {
  const r = compileText('zones/test.yaml', text);
  expect(r.problems.map(formatProblem)).toEqual([]);
  return r.zone!;
}
const zoneWith = (records: string, head = '') =>
  compile(`zone: example.org\n${head}nameservers:\n  ns1.example.net.:\nrecords:\n${records}`);
function set(z: Zone, name: string, type: number): RRset | undefined {
  return z.nodes.get(name)?.rrsets.get(type);
}
const texts = (s: RRset | undefined) => s?.rdata.map(rdataText);
const soaOf = (z: Zone) => z.soa.rdata[0] as Extract<RData, { kind: 'soa' }>;

describe('names', () => {
  const z = zoneWith(
    [
      "  '@':",
      '    TXT: apex',
      '  www:',
      '    CNAME: web', // relative target
      '  web.example.org:', // already ends with the origin: absolute, not web.example.org.example.org
      '    A: 192.0.2.1',
      '  mail.example.org.:', // absolute
      '    A: 192.0.2.25',
      '  deep.er:', // relative, two labels
      '    CNAME: web.example.org', // target that ends with the origin: absolute
      '  other:',
      '    CNAME: www.example.com', // does not end with the origin: relative
      '  outside:',
      '    CNAME: www.example.com.', // absolute, out of zone
      '  apex-alias:',
      '    CNAME: "@"',
      '  2.10:', // a plain YAML number: kept as written, not read as 2.1
      '    PTR: host.example.net.',
      '  0x1f:', // likewise not 31
      '    TXT: 1.50', // a TXT that YAML would read as 1.5
      "  '*.wild':",
      '    A: 192.0.2.7',
      '  _sip._tcp:',
      '    SRV: 10 60 5060 web',
    ].join('\n') + '\n',
  );

  it.each([
    ['@ is the apex', 'example.org', Type.TXT, ['"apex"']],
    ['a relative CNAME target', 'www.example.org', Type.CNAME, ['web.example.org.']],
    [
      'an owner already ending with the origin is absolute',
      'web.example.org',
      Type.A,
      ['192.0.2.1'],
    ],
    ['an owner with a trailing dot is absolute', 'mail.example.org', Type.A, ['192.0.2.25']],
    [
      'a target already ending with the origin is absolute',
      'deep.er.example.org',
      Type.CNAME,
      ['web.example.org.'],
    ],
    [
      'a name ending with another domain is still relative',
      'other.example.org',
      Type.CNAME,
      ['www.example.com.example.org.'],
    ],
    [
      'an absolute target outside the zone',
      'outside.example.org',
      Type.CNAME,
      ['www.example.com.'],
    ],
    ['@ as a target', 'apex-alias.example.org', Type.CNAME, ['example.org.']],
    [
      'a numeric-looking owner keeps its spelling',
      '2.10.example.org',
      Type.PTR,
      ['host.example.net.'],
    ],
    ['a hex-looking owner keeps its spelling', '0x1f.example.org', Type.TXT, ['"1.50"']],
    ['a wildcard owner', '*.wild.example.org', Type.A, ['192.0.2.7']],
    [
      'SRV owner with underscores, relative target',
      '_sip._tcp.example.org',
      Type.SRV,
      ['10 60 5060 web.example.org.'],
    ],
  ])('%s: %s %s', (_what, owner, type, want) => {
    expect(texts(set(z, owner, type))).toEqual(want);
  });

  it('matches the origin case-insensitively and keeps the spelling of owners', () => {
    const u = zoneWith('  WWW.EXAMPLE.ORG:\n    A: 192.0.2.1\n');
    expect(u.nodes.get('www.example.org')?.name).toBe('WWW.EXAMPLE.ORG');
    expect(set(u, 'www.example.org', Type.A)?.name).toBe('WWW.EXAMPLE.ORG');
  });

  it('takes the zone name with or without a trailing dot', () => {
    const a = compile('zone: example.org.\nnameservers:\n  ns1.example.net.:\n');
    expect([a.origin, a.key]).toEqual(['example.org', 'example.org']);
    const b = compile('zone: Example.ORG\nnameservers:\n  ns1.example.net.:\n');
    expect([b.origin, b.key]).toEqual(['Example.ORG', 'example.org']);
  });
});

describe('SOA', () => {
  const soaZone = (soa: string) =>
    compile(
      `zone: example.org\nttl: 600\n${soa}nameservers:\n  ns1.example.org: 192.0.2.53\n  ns2.example.net.:\n`,
    );

  it('defaults: primary is the first nameserver, contact hostmaster@<zone>, SOA TTL the default TTL', () => {
    const z = soaZone('');
    expect(rdataText(z.soa.rdata[0]!).split(' ').slice(0, 2)).toEqual([
      'ns1.example.org.',
      'hostmaster.example.org.',
    ]);
    expect(soaOf(z)).toMatchObject({ refresh: 3600, retry: 600, expire: 1209600, minimum: 60 });
    expect(z.soa.ttl).toBe(600);
  });

  it.each([
    ['hostmaster@example.com', 'hostmaster.example.com'],
    ['first.last@example.com', 'first\\.last.example.com'], // RFC 1035 8: a dot in the mailbox is escaped
    ['dns-admin+zones@example.com.', 'dns-admin+zones.example.com'],
    ['hostmaster.example.net.', 'hostmaster.example.net'], // already an RNAME
    ['hostmaster', 'hostmaster.example.org'], // a relative RNAME
  ])('contact %s becomes RNAME %s', (contact, rname) => {
    expect(soaOf(soaZone(`soa:\n  contact: "${contact}"\n`)).rname).toBe(rname);
  });

  it('the escaped dot stays inside the first label on the wire', () => {
    const rname = soaOf(soaZone('soa:\n  contact: first.last@example.com\n')).rname;
    expect(nameToLabels(rname).map((l) => Buffer.from(l).toString())).toEqual([
      'first.last',
      'example',
      'com',
    ]);
  });

  it.each([
    ['SOA TTL above negative_ttl', 'ttl: 3600\n  negative_ttl: 60', 3600, 60],
    ['SOA TTL below negative_ttl', 'ttl: 30\n  negative_ttl: 300', 30, 30],
    ['equal', 'ttl: 120\n  negative_ttl: 120', 120, 120],
  ])(
    'negative answers carry min(SOA TTL, negative_ttl) (RFC 2308 5): %s',
    (_what, soa, soaTtl, negTtl) => {
      const z = soaZone(`soa:\n  ${soa}\n`);
      expect([z.soa.ttl, z.negativeSoa.ttl]).toEqual([soaTtl, negTtl]);
      expect(z.negativeSoa.rdata).toEqual(z.soa.rdata);
    },
  );

  it('uses an explicit serial, primary and timers as given', () => {
    const z = soaZone(
      'soa:\n  primary: ns2.example.net.\n  serial: 2024010101\n  refresh: 7200\n  retry: 900\n  expire: 604800\n  negative_ttl: 300\n',
    );
    expect(soaOf(z)).toEqual({
      kind: 'soa',
      mname: 'ns2.example.net',
      rname: 'hostmaster.example.org',
      serial: 2024010101,
      refresh: 7200,
      retry: 900,
      expire: 604800,
      minimum: 300,
    });
  });
});

describe('content-derived serial', () => {
  const base = `# the base zone
zone: example.org
ttl: 300
soa:
  contact: hostmaster@example.org
nameservers:
  ns1: [192.0.2.53, 2001:db8::53]
  ns2.example.net.:
records:
  www:
    A: [192.0.2.1, 192.0.2.2]
    TXT: 'hello'
  mail:
    MX: 10 mx
  mx:
    A: 192.0.2.25
`;
  const serialOf = (text: string) => soaOf(compile(text)).serial;
  const fingerprintOf = (text: string) => compile(text).fingerprint;

  it('is a 32-bit number other than 0, the same on every compile', () => {
    const s = serialOf(base);
    expect(s).toBeGreaterThan(0);
    expect(s).toBeLessThanOrEqual(0xffffffff);
    expect(serialOf(base)).toBe(s);
  });

  // Edits that change nothing a resolver can see: the serial, and for most of them the
  // fingerprint the reloader compares, stay the same.
  it.each([
    [
      'comments and blank lines',
      base.replace('# the base zone', '# a new comment\n\n') + '# trailing\n',
      true,
    ],
    [
      'top-level key order',
      base.replace('ttl: 300\n', '').replace('records:', 'ttl: 300\nrecords:'),
      true,
    ],
    [
      'record name order',
      base
        .replace('  mail:\n    MX: 10 mx\n  mx:\n    A: 192.0.2.25\n', '')
        .replace('records:\n', 'records:\n  mx:\n    A: 192.0.2.25\n  mail:\n    MX: 10 mx\n'),
      true,
    ],
    [
      'type order under a name',
      base.replace(
        "    A: [192.0.2.1, 192.0.2.2]\n    TXT: 'hello'",
        "    TXT: 'hello'\n    A: [192.0.2.1, 192.0.2.2]",
      ),
      true,
    ],
    [
      'quoting and flow/block style',
      base
        .replace("    TXT: 'hello'", '    TXT: ["hello"]')
        .replace('    A: [192.0.2.1, 192.0.2.2]', '    A:\n      - 192.0.2.1\n      - 192.0.2.2'),
      true,
    ],
    [
      'a default written out',
      base.replace('soa:\n', 'soa:\n  refresh: 3600\n  negative_ttl: 60\n'),
      true,
    ],
    ['a relative name written absolute', base.replace('MX: 10 mx', 'MX: 10 mx.example.org.'), true],
    [
      'the order of values in an RRset (RRsets are sets, RFC 2181 5)',
      base.replace('[192.0.2.1, 192.0.2.2]', '[192.0.2.2, 192.0.2.1]'),
      false,
    ],
  ])('does not change for %s', (_what, edited, sameFingerprint) => {
    expect(edited).not.toBe(base);
    expect(serialOf(edited)).toBe(serialOf(base));
    expect(fingerprintOf(edited) === fingerprintOf(base)).toBe(sameFingerprint);
  });

  it.each([
    ['an address', base.replace('192.0.2.2]', '192.0.2.3]')],
    ['a TXT value', base.replace("'hello'", "'hello!'")],
    ['a per-name TTL', base.replace('  www:\n', '  www:\n    ttl: 60\n')],
    ['the default TTL', base.replace('ttl: 300', 'ttl: 301')],
    ['a glue address', base.replace('2001:db8::53', '2001:db8::54')],
    ['a nameserver', base.replace('ns2.example.net.:', 'ns3.example.net.:')],
    ['an SOA timer', base.replace('soa:\n', 'soa:\n  retry: 601\n')],
    ['the contact', base.replace('hostmaster@example.org', 'dns@example.org')],
    ['a new name', base + '  new:\n    A: 192.0.2.9\n'],
  ])('changes when %s changes', (_what, edited) => {
    expect(serialOf(edited)).not.toBe(serialOf(base));
    expect(fingerprintOf(edited)).not.toBe(fingerprintOf(base));
  });

  it('an explicit serial wins, and the fingerprint still sees content changes', () => {
    const a = base.replace('soa:\n', 'soa:\n  serial: 7\n');
    expect(serialOf(a)).toBe(7);
    expect(fingerprintOf(a.replace('192.0.2.25', '192.0.2.26'))).not.toBe(fingerprintOf(a));
  });
});

describe('RDATA', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 4.2.3: the first of equal runs
    ['2001:db8:0:0:0:1:0:0', '2001:db8::1:0:0'], // ...and the longest
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2: one 0 group is not compressed
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // RFC 5952 5: IPv4-mapped keeps the dotted quad
    ['::FFFF:c000:0201', '::ffff:192.0.2.1'],
  ])('AAAA %s is stored as %s', (written, canonical) => {
    const z = zoneWith(`  v6:\n    AAAA: "${written}"\n`);
    const rd = set(z, 'v6.example.org', Type.AAAA)!.rdata[0] as Extract<RData, { kind: 'aaaa' }>;
    expect(rd.address).toBe(canonical);
    expect(rd.bytes).toHaveLength(16);
  });

  it('AAAA bytes are the address', () => {
    const rd = set(zoneWith('  v6:\n    AAAA: 2001:db8::102:304\n'), 'v6.example.org', Type.AAAA)!
      .rdata[0] as Extract<RData, { kind: 'aaaa' }>;
    expect(Buffer.from(rd.bytes).toString('hex')).toBe('20010db8000000000000000001020304');
  });

  const txtLengths = (value: string) => {
    const z = zoneWith(`  t:\n    TXT: '${value}'\n`);
    return (
      set(z, 't.example.org', Type.TXT)!.rdata[0] as Extract<RData, { kind: 'txt' }>
    ).strings.map((s) => s.length);
  };
  it.each([
    ['empty', '', [0]],
    ['255 octets: one string', 'x'.repeat(255), [255]],
    ['256 octets: two', 'x'.repeat(256), [255, 1]],
    ['600 octets: three', 'x'.repeat(600), [255, 255, 90]],
    ['octets, not characters: 200 two-octet characters', 'é'.repeat(200), [255, 145]],
  ])(
    'TXT is split into character-strings of at most 255 octets (RFC 1035 3.3.14): %s',
    (_what, value, lengths) => {
      expect(txtLengths(value)).toEqual(lengths);
    },
  );

  it('TXT chunks join back to the value', () => {
    const value = 'v=DKIM1; k=rsa; p=' + 'A'.repeat(400);
    const z = zoneWith(`  t:\n    TXT: '${value}'\n`);
    const strings = (set(z, 't.example.org', Type.TXT)!.rdata[0] as Extract<RData, { kind: 'txt' }>)
      .strings;
    expect(Buffer.concat(strings).toString()).toBe(value);
  });

  it.each([
    [Type.MX, 'MX', '10 mail', '10 mail.example.org.'],
    [Type.MX, 'MX', '0 .', '0 .'], // RFC 7505 null MX
    [Type.SRV, 'SRV', '0 0 0 .', '0 0 0 .'], // RFC 2782: "." means no service
    [Type.SRV, 'SRV', '10 60 5060 sip.example.net.', '10 60 5060 sip.example.net.'],
    [Type.CAA, 'CAA', '0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'],
    [
      Type.CAA,
      'CAA',
      '128 IODEF "mailto:security@example.org"',
      '128 iodef "mailto:security@example.org"',
    ], // tags are case-insensitive (RFC 8659 4.1)
    [Type.CAA, 'CAA', '0 issuewild ;', '0 issuewild ";"'],
    [
      Type.CAA,
      'CAA',
      '0 issue "ca.example.net; account=\\"x\\""',
      '0 issue "ca.example.net; account=\\"x\\""',
    ],
    [Type.PTR, 'PTR', 'host.example.net.', 'host.example.net.'],
  ])('%s %s %s is presented as %s', (type, key, written, presented) => {
    const z = zoneWith(`  r:\n    ${key}: '${written}'\n`);
    expect(texts(set(z, 'r.example.org', type))).toEqual([presented]);
  });
});

describe('TTLs', () => {
  const z = compile(`zone: example.org
ttl: 900
nameservers:
  ns1: 192.0.2.53
records:
  plain:
    A: 192.0.2.1
  named:
    ttl: 60
    A: 192.0.2.2
    TXT: { ttl: 30, values: [short] }
    AAAA: { values: 2001:db8::2 }
`);
  it.each([
    ['the default TTL', 'plain.example.org', Type.A, 900],
    ['a per-name TTL', 'named.example.org', Type.A, 60],
    ['a per-type TTL over the per-name one', 'named.example.org', Type.TXT, 30],
    ['the per-type form without a TTL takes the per-name one', 'named.example.org', Type.AAAA, 60],
    ['glue takes the default TTL', 'ns1.example.org', Type.A, 900],
    ['apex NS takes the default TTL', 'example.org', Type.NS, 900],
  ])('%s', (_what, owner, type, ttl) => {
    expect(set(z, owner, type)?.ttl).toBe(ttl);
  });
});

describe('the tree', () => {
  const z = compile(`zone: example.org
nameservers:
  ns1.example.net.:
  ns2: 192.0.2.53
records:
  a.b.c:
    TXT: deep
  sub:
    NS: [ns1.sub, ns.x.sub, ns.example.net.]
  ns1.sub:
    A: 192.0.2.10
  ns.x.sub:
    AAAA: 2001:db8::10
  '*.wild':
    A: 192.0.2.7
`);
  const flags = (name: string) => {
    const n = z.nodes.get(name);
    return (
      n && { rrsets: [...n.rrsets.keys()].sort((a, b) => a - b), cut: n.cut, occluded: n.occluded }
    );
  };

  it.each([
    ['the apex', 'example.org', { rrsets: [Type.NS, Type.SOA], cut: false, occluded: false }],
    ['an owner', 'a.b.c.example.org', { rrsets: [Type.TXT], cut: false, occluded: false }],
    ['an empty non-terminal', 'b.c.example.org', { rrsets: [], cut: false, occluded: false }],
    ['another empty non-terminal', 'c.example.org', { rrsets: [], cut: false, occluded: false }],
    ['a delegation point', 'sub.example.org', { rrsets: [Type.NS], cut: true, occluded: false }],
    ['glue below it', 'ns1.sub.example.org', { rrsets: [Type.A], cut: false, occluded: true }],
    [
      'an empty non-terminal below it',
      'x.sub.example.org',
      { rrsets: [], cut: false, occluded: true },
    ],
    ['deeper glue', 'ns.x.sub.example.org', { rrsets: [Type.AAAA], cut: false, occluded: true }],
    ['apex glue', 'ns2.example.org', { rrsets: [Type.A], cut: false, occluded: false }],
    ['a wildcard', '*.wild.example.org', { rrsets: [Type.A], cut: false, occluded: false }],
    [
      "the wildcard's parent, an empty non-terminal",
      'wild.example.org',
      { rrsets: [], cut: false, occluded: false },
    ],
  ])('%s: %s', (_what, name, want) => {
    expect(flags(name)).toEqual(want);
  });

  it('has no other nodes, and knows it has cuts', () => {
    expect([...z.nodes.keys()].sort()).toEqual(
      [
        '*.wild.example.org',
        'a.b.c.example.org',
        'b.c.example.org',
        'c.example.org',
        'example.org',
        'ns.x.sub.example.org',
        'ns1.sub.example.org',
        'ns2.example.org',
        'sub.example.org',
        'wild.example.org',
        'x.sub.example.org',
      ].sort(),
    );
    expect(z.hasCuts).toBe(true);
  });

  it('keeps the nameservers in file order', () => {
    expect(texts(z.ns)).toEqual(['ns1.example.net.', 'ns2.example.org.']);
  });
});

describe('exportZone', () => {
  it('writes an RFC 1035 master file: SOA first, apex next, then owners in order', () => {
    const z = compileText(
      'zones/example.org.yaml',
      `zone: example.org
ttl: 3600
soa:
  serial: 2024060101
  contact: first.last@example.org
nameservers:
  ns1: [192.0.2.53, 2001:db8::53]
  ns2.example.net.:
records:
  '@':
    MX: [10 mail, 20 mail.example.net.]
    TXT: 'v=spf1 mx -all'
  www:
    ttl: 60
    A: [192.0.2.1, 192.0.2.2]
  mail:
    A: 192.0.2.25
  alias:
    CNAME: www
  sub:
    NS: ns1.sub
  ns1.sub:
    A: 192.0.2.99
  _xmpp._tcp:
    SRV: 5 0 5269 xmpp.example.net.
  '*.dyn':
    CAA: '0 issue "ca.example.net"'
`,
    ).zone!;
    expect(exportZone(z)).toBe(
      [
        '; zone example.org exported by geosteer from zones/example.org.yaml',
        '$ORIGIN example.org.',
        'example.org.\t3600\tIN\tSOA\tns1.example.org. first\\.last.example.org. 2024060101 3600 600 1209600 60',
        'example.org.\t3600\tIN\tNS\tns1.example.org.',
        'example.org.\t3600\tIN\tNS\tns2.example.net.',
        'example.org.\t3600\tIN\tMX\t10 mail.example.org.',
        'example.org.\t3600\tIN\tMX\t20 mail.example.net.',
        'example.org.\t3600\tIN\tTXT\t"v=spf1 mx -all"',
        '*.dyn.example.org.\t3600\tIN\tCAA\t0 issue "ca.example.net"',
        '_xmpp._tcp.example.org.\t3600\tIN\tSRV\t5 0 5269 xmpp.example.net.',
        'alias.example.org.\t3600\tIN\tCNAME\twww.example.org.',
        'mail.example.org.\t3600\tIN\tA\t192.0.2.25',
        'ns1.example.org.\t3600\tIN\tA\t192.0.2.53',
        'ns1.example.org.\t3600\tIN\tAAAA\t2001:db8::53',
        'ns1.sub.example.org.\t3600\tIN\tA\t192.0.2.99',
        'sub.example.org.\t3600\tIN\tNS\tns1.sub.example.org.',
        'www.example.org.\t60\tIN\tA\t192.0.2.1',
        'www.example.org.\t60\tIN\tA\t192.0.2.2',
        '',
      ].join('\n'),
    );
  });

  it('escapes quotes, backslashes and non-ASCII octets in TXT, and splits long TXT into strings', () => {
    const z = zoneWith(`  t:\n    TXT: ['say "hi" \\ café', '${'y'.repeat(256)}']\n`);
    const lines = exportZone(z)
      .split('\n')
      .filter((l) => l.startsWith('t.'));
    expect(lines).toEqual([
      `t.example.org.\t300\tIN\tTXT\t"say \\"hi\\" \\\\ caf\\195\\169"`,
      `t.example.org.\t300\tIN\tTXT\t"${'y'.repeat(255)}" "y"`,
    ]);
  });
});
