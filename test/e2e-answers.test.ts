// What the server answers, end to end over UDP and over TCP: header bits, zone selection,
// positive and negative answers (RFC 1034 4.3.2, RFC 2308), CNAME chains, wildcards (RFC 4592),
// referrals, additional-section processing, minimal ANY (RFC 8482), classes and zone transfers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, type Transport } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import { CLASS, decode, header, query, questionEnd, RCODE, section, TYPE } from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer(ALL_ZONES);
});
afterAll(() => t.stop());

const SOA = 'example.test 60 SOA ns1.example.test hostmaster.example.test 60';
const NESTED_SOA = 'nested.example.test 30 SOA ns1.example.test hostmaster.nested.example.test 600';
const WWW_A = ['www.example.test 300 A 192.0.2.1', 'www.example.test 300 A 192.0.2.2'];
const CHILD_NS = [
  'child.example.test 300 NS ns.elsewhere.net',
  'child.example.test 300 NS ns1.child.example.test',
];
const CHILD_GLUE = [
  'ns1.child.example.test 300 A 192.0.2.99',
  'ns1.child.example.test 300 AAAA 2001:db8::99',
];

interface Row {
  name: string;
  type: keyof typeof TYPE;
  rcode: keyof typeof RCODE;
  aa: boolean;
  answer?: string[];
  authority?: string[];
  additional?: string[];
}

// Each row: what the question gets back, section by section.
const rows: [string, Row][] = [
  [
    'a static RRset',
    { name: 'www.example.test', type: 'A', rcode: 'NOERROR', aa: true, answer: WWW_A },
  ],
  [
    'another type at the same name',
    {
      name: 'www.example.test',
      type: 'AAAA',
      rcode: 'NOERROR',
      aa: true,
      answer: ['www.example.test 300 AAAA 2001:db8::1'],
    },
  ],
  [
    'NXDOMAIN with the SOA at min(SOA TTL, negative TTL)',
    { name: 'nope.example.test', type: 'A', rcode: 'NXDOMAIN', aa: true, authority: [SOA] },
  ],
  [
    'NODATA with the SOA',
    { name: 'www.example.test', type: 'MX', rcode: 'NOERROR', aa: true, authority: [SOA] },
  ],
  [
    'NODATA for an empty non-terminal',
    { name: 'b.ent.example.test', type: 'A', rcode: 'NOERROR', aa: true, authority: [SOA] },
  ],
  [
    'NODATA for an empty non-terminal two levels up',
    { name: 'ent.example.test', type: 'TXT', rcode: 'NOERROR', aa: true, authority: [SOA] },
  ],
  [
    'NXDOMAIN below an existing name',
    { name: 'x.a.b.ent.example.test', type: 'TXT', rcode: 'NXDOMAIN', aa: true, authority: [SOA] },
  ],
  [
    'the data below the empty non-terminals',
    {
      name: 'a.b.ent.example.test',
      type: 'TXT',
      rcode: 'NOERROR',
      aa: true,
      answer: ['a.b.ent.example.test 300 TXT b.ent and ent are empty non-terminals'],
    },
  ],
  [
    'a CNAME chain followed inside the zone',
    {
      name: 'chain.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: [
        'alias.example.test 300 CNAME www.example.test',
        'chain.example.test 300 CNAME alias.example.test',
        ...WWW_A,
      ],
    },
  ],
  [
    'a CNAME query gets the CNAME alone',
    {
      name: 'chain.example.test',
      type: 'CNAME',
      rcode: 'NOERROR',
      aa: true,
      answer: ['chain.example.test 300 CNAME alias.example.test'],
    },
  ],
  [
    'a CNAME leaving the zone is not followed',
    {
      name: 'outside.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: ['outside.example.test 300 CNAME www.elsewhere.net'],
    },
  ],
  [
    'a CNAME to a missing name: NXDOMAIN with the CNAME (RFC 6604)',
    {
      name: 'dangling.example.test',
      type: 'A',
      rcode: 'NXDOMAIN',
      aa: true,
      answer: ['dangling.example.test 300 CNAME missing.example.test'],
      authority: [SOA],
    },
  ],
  [
    'a CNAME loop stops after each name once',
    {
      name: 'loop1.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: [
        'loop1.example.test 300 CNAME loop2.example.test',
        'loop2.example.test 300 CNAME loop1.example.test',
      ],
    },
  ],
  [
    'wildcard synthesis at the query name',
    {
      name: 'foo.wild.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: ['foo.wild.example.test 300 A 192.0.2.7'],
    },
  ],
  [
    'wildcard synthesis several labels down',
    {
      name: 'a.b.wild.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: ['a.b.wild.example.test 300 A 192.0.2.7'],
    },
  ],
  [
    'wildcard match without the type: NODATA',
    { name: 'foo.wild.example.test', type: 'AAAA', rcode: 'NOERROR', aa: true, authority: [SOA] },
  ],
  [
    'the wildcard parent is an empty non-terminal',
    { name: 'wild.example.test', type: 'A', rcode: 'NOERROR', aa: true, authority: [SOA] },
  ],
  [
    'a referral below a delegation',
    {
      name: 'host.child.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: false,
      authority: CHILD_NS,
      additional: CHILD_GLUE,
    },
  ],
  [
    'a referral for NS at the cut itself',
    {
      name: 'child.example.test',
      type: 'NS',
      rcode: 'NOERROR',
      aa: false,
      authority: CHILD_NS,
      additional: CHILD_GLUE,
    },
  ],
  [
    'a referral for the glue name',
    {
      name: 'ns1.child.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: false,
      authority: CHILD_NS,
      additional: CHILD_GLUE,
    },
  ],
  [
    'DS at the cut is answered by the parent (NODATA, nothing signed)',
    { name: 'child.example.test', type: 'DS', rcode: 'NOERROR', aa: true, authority: [SOA] },
  ],
  [
    'MX with addresses of in-zone exchanges only',
    {
      name: 'example.test',
      type: 'MX',
      rcode: 'NOERROR',
      aa: true,
      answer: [
        'example.test 300 MX 10 mail.example.test',
        'example.test 300 MX 20 mail.elsewhere.net',
      ],
      additional: ['mail.example.test 300 A 192.0.2.25', 'mail.example.test 300 AAAA 2001:db8::25'],
    },
  ],
  [
    'SRV with the address of its target',
    {
      name: '_sip._tcp.example.test',
      type: 'SRV',
      rcode: 'NOERROR',
      aa: true,
      answer: ['_sip._tcp.example.test 300 SRV 10 60 5060 sipserver.example.test'],
      additional: ['sipserver.example.test 300 A 192.0.2.60'],
    },
  ],
  [
    'apex NS with the addresses of in-zone nameservers',
    {
      name: 'example.test',
      type: 'NS',
      rcode: 'NOERROR',
      aa: true,
      answer: ['example.test 300 NS ns.elsewhere.net', 'example.test 300 NS ns1.example.test'],
      additional: ['ns1.example.test 300 A 192.0.2.53', 'ns1.example.test 300 AAAA 2001:db8::53'],
    },
  ],
  [
    'the nested zone answers for its own apex',
    {
      name: 'nested.example.test',
      type: 'SOA',
      rcode: 'NOERROR',
      aa: true,
      answer: ['nested.example.test 30 SOA ns1.example.test hostmaster.nested.example.test 600'],
    },
  ],
  [
    'the nested zone answers below its apex',
    {
      name: 'www.nested.example.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: ['www.nested.example.test 300 A 198.51.100.1'],
    },
  ],
  [
    'the nested zone negative TTL is min(30, 600)',
    {
      name: 'nope.nested.example.test',
      type: 'A',
      rcode: 'NXDOMAIN',
      aa: true,
      authority: [NESTED_SOA],
    },
  ],
  [
    'an unrelated second zone',
    {
      name: 'www.other.test',
      type: 'A',
      rcode: 'NOERROR',
      aa: true,
      answer: ['www.other.test 300 A 203.0.113.1'],
    },
  ],
  [
    'REFUSED for a name in no zone',
    { name: 'www.example.org', type: 'A', rcode: 'REFUSED', aa: false },
  ],
  ['REFUSED for the parent of a zone', { name: 'test', type: 'SOA', rcode: 'REFUSED', aa: false }],
  ['REFUSED for the root', { name: '', type: 'NS', rcode: 'REFUSED', aa: false }],
  ['AXFR refused', { name: 'example.test', type: 'AXFR', rcode: 'REFUSED', aa: false }],
  ['IXFR refused', { name: 'example.test', type: 'IXFR', rcode: 'REFUSED', aa: false }],
];

const transports: Transport[] = ['udp', 'tcp'];

async function ask(transport: Transport, msg: Buffer): Promise<Buffer> {
  const r = await exchange(transport, t.port, msg);
  if (!r) throw new Error(`no ${transport} reply`);
  return r;
}

describe.each(transports)('answers over %s', (transport) => {
  it.each(rows)('%s', async (_what, row) => {
    const r = await ask(transport, query(row.name, TYPE[row.type], { edns: { udpSize: 4096 } }));
    const h = header(r);
    const p = decode(r);
    expect(p.rcode).toBe(row.rcode);
    expect(h.aa).toBe(row.aa);
    expect(h.tc).toBe(false);
    expect(section(p.answers)).toEqual((row.answer ?? []).slice().sort());
    expect(section(p.authorities)).toEqual((row.authority ?? []).slice().sort());
    expect(section(p.additionals)).toEqual((row.additional ?? []).slice().sort());
  });

  it('sets AA, clears RA, echoes the ID and copies RD (set or clear)', async () => {
    for (const rd of [true, false]) {
      const id = rd ? 0xbeef : 0x0101;
      const h = header(await ask(transport, query('www.example.test', TYPE.A, { id, rd })));
      expect(h).toMatchObject({
        id,
        qr: true,
        opcode: 0,
        aa: true,
        ra: false,
        rd,
        rcode: RCODE.NOERROR,
      });
    }
  });

  it('echoes the question with the client letter case (0x20), in the answers too', async () => {
    for (const name of [
      'wWw.ExAmPlE.tEsT',
      'ChAiN.eXaMpLe.TeSt',
      'FoO.WiLd.ExAmPlE.tEsT',
      'NoPe.example.TEST',
    ]) {
      const q = query(name, TYPE.A);
      const r = await ask(transport, q);
      // The question section is the query's, byte for byte.
      expect(r.subarray(12, questionEnd(r)).equals(q.subarray(12, questionEnd(q)))).toBe(true);
      const p = decode(r);
      expect(p.questions?.[0]?.name).toBe(name);
      if (p.answers?.length) expect(p.answers[0]!.name).toBe(name);
    }
  });

  it('answers ANY with a single RRset (RFC 8482)', async () => {
    for (const name of ['www.example.test', 'example.test', 'chain.example.test']) {
      const p = decode(await ask(transport, query(name, TYPE.ANY)));
      expect(p.rcode).toBe('NOERROR');
      const types = new Set((p.answers ?? []).map((a) => a.type));
      expect(types.size, name).toBe(1);
    }
    const p = decode(await ask(transport, query('www.example.test', TYPE.ANY)));
    // The lowest type number at the name (A), not A + AAAA + TXT.
    expect(section(p.answers)).toEqual(WWW_A);
  });

  it('answers class ANY as IN and refuses class CH', async () => {
    const any = decode(
      await ask(transport, query('www.example.test', TYPE.A, { qclass: CLASS.ANY })),
    );
    expect(any.rcode).toBe('NOERROR');
    expect(section(any.answers)).toEqual(WWW_A);
    expect(any.answers!.every((a) => (a as { class?: string }).class === 'IN')).toBe(true);
    const ch = await ask(
      transport,
      query('version.bind', TYPE.TXT as number, { qclass: CLASS.CH }),
    );
    expect(header(ch)).toMatchObject({ rcode: RCODE.REFUSED, aa: false, ancount: 0 });
    const chInZone = await ask(transport, query('www.example.test', TYPE.A, { qclass: CLASS.CH }));
    expect(header(chInZone)).toMatchObject({ rcode: RCODE.REFUSED, ancount: 0 });
  });
});
