// The query handler memoises encoded replies and serves plain queries from the memo without
// parsing them. Whatever the memo holds, a reply must be byte for byte what a handler with an
// empty memo encodes for the same query.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { Cookies } from '../src/server/cookies.js';
import { QueryHandler, type Transport } from '../src/server/handler.js';
import { EdnsShape, type PlainQuery, replyKey, scanPlainQuery } from '../src/wire/query-key.js';
import { compileText } from '../src/zone/load.js';
import type { Zone } from '../src/zone/zone.js';
import { ZoneSet } from '../src/zone/zone-set.js';

const T = { A: 1, MX: 15, TXT: 16, AAAA: 28, OPT: 41, HTTPS: 65, T97: 97 } as const;
const Z = 'gslb.example.com';

interface Opt {
  size?: number;
  dnssecOk?: boolean;
  version?: number;
  /** Raw option bytes (code, length, data), e.g. a COOKIE. */
  options?: number[];
  owner?: number[];
}

interface Spec {
  name: string;
  type: number;
  qclass?: number;
  id?: number;
  rd?: boolean;
  /** Whole second header octet, overriding rd (opcode, QR). */
  flagsHigh?: number;
  opt?: Opt;
  /** Counts as sent, when they should lie. */
  counts?: [number, number, number, number];
  /** Raw bytes appended after everything else. */
  trailing?: number[];
}

function query(s: Spec): Buffer {
  const name = s.name
    .split('.')
    .filter((l) => l !== '')
    .flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]);
  const o = s.opt;
  const opt = o
    ? [
        ...(o.owner ?? [0]),
        0,
        T.OPT,
        (o.size ?? 1232) >> 8,
        (o.size ?? 1232) & 0xff,
        0,
        o.version ?? 0,
        o.dnssecOk ? 0x80 : 0,
        0,
        (o.options ?? []).length >> 8,
        (o.options ?? []).length & 0xff,
        ...(o.options ?? []),
      ]
    : [];
  const [qd, an, ns, ar] = s.counts ?? [1, 0, 0, o ? 1 : 0];
  const id = s.id ?? 0x1234;
  const qclass = s.qclass ?? 1;
  return Buffer.from([
    id >> 8,
    id & 0xff,
    s.flagsHigh ?? (s.rd === false ? 0 : 1),
    0,
    0,
    qd,
    0,
    an,
    0,
    ns,
    0,
    ar,
    ...name,
    0,
    s.type >> 8,
    s.type & 0xff,
    qclass >> 8,
    qclass & 0xff,
    ...opt,
    ...(s.trailing ?? []),
  ]);
}

/** Same memo key, different ID, RD and letter case: the bytes a memo hit must patch. */
function sibling(s: Spec): Spec {
  const swapped = [...s.name]
    .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
    .join('');
  return { ...s, name: swapped, id: 0xbeef, rd: s.rd === false };
}

const COOKIE = [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];

const PLAIN: [string, Spec][] = [
  ['A', { name: `static.${Z}`, type: T.A }],
  ['A in mixed case', { name: `StAtIc.GSLB.example.COM`, type: T.A }],
  ['AAAA', { name: `static.${Z}`, type: T.AAAA }],
  ['MX with additional data', { name: Z, type: T.MX }],
  ['TXT', { name: Z, type: T.TXT }],
  ['NXDOMAIN', { name: `nothere.${Z}`, type: T.A }],
  ['CNAME chain', { name: `chain.${Z}`, type: T.A }],
  ['wildcard', { name: `Some.Wild.${Z}`, type: T.A }],
  ['RD clear', { name: `static.${Z}`, type: T.A, rd: false }],
  ['class ANY', { name: `static.${Z}`, type: T.A, qclass: 255 }],
  ['class CH (REFUSED)', { name: `static.${Z}`, type: T.A, qclass: 3 }],
  ['out of zone (REFUSED)', { name: 'example.org', type: T.A }],
  ['truncated without EDNS', { name: `long-txt.${Z}`, type: T.TXT }],
  ['EDNS', { name: `static.${Z}`, type: T.A, opt: {} }],
  ['EDNS with DO', { name: `static.${Z}`, type: T.A, opt: { dnssecOk: true } }],
  ['EDNS size 512', { name: `long-txt.${Z}`, type: T.TXT, opt: { size: 512 } }],
  ['EDNS size below 512', { name: `long-txt.${Z}`, type: T.TXT, opt: { size: 100 } }],
  ['EDNS size 4096', { name: `long-txt.${Z}`, type: T.TXT, opt: { size: 4096 } }],
  ['EDNS with a COOKIE', { name: `static.${Z}`, type: T.A, opt: { options: COOKIE } }],
  ['EDNS version 1 (BADVERS)', { name: `static.${Z}`, type: T.A, opt: { version: 1 } }],
];

/** Queries that differ from `static A` in one way that changes or forbids the answer. */
const BASE: Spec = { name: `static.${Z}`, type: T.A };
const CHANGED: [string, Spec][] = [
  ['RD clear', { ...BASE, rd: false }],
  ['EDNS', { ...BASE, opt: {} }],
  ['EDNS with DO', { ...BASE, opt: { dnssecOk: true } }],
  ['EDNS version 1', { ...BASE, opt: { version: 1 } }],
  ['a trailing octet', { ...BASE, trailing: [0] }],
  ['a truncated option', { ...BASE, opt: { options: [0, 10, 0, 8, 1, 2] } }],
  ['an OPT not owned by the root', { ...BASE, opt: { owner: [1, 0x61, 0] } }],
  ['two OPT records', { ...BASE, opt: {}, counts: [1, 0, 0, 2] }],
  ['QR set (dropped)', { ...BASE, flagsHigh: 0x80 }],
  ['opcode STATUS (NOTIMP)', { ...BASE, flagsHigh: 2 << 3 }],
  ['QDCOUNT 2', { ...BASE, counts: [2, 0, 0, 0] }],
  ['ANCOUNT 1 without the record', { ...BASE, counts: [1, 1, 0, 0] }],
  ['class CH', { ...BASE, qclass: 3 }],
];

let zones: ZoneSet;
beforeAll(async () => {
  const { zone, problems } = compileText(
    'gslb.example.com.yaml',
    await readFile('zones/gslb.example.com.yaml', 'utf8'),
  );
  expect(problems).toEqual([]);
  zones = new ZoneSet([zone as Zone], 1);
});

const fresh = (msg: Buffer, t: Transport) => new QueryHandler(zones).handle(msg, t);

describe('memoised replies equal freshly encoded ones', () => {
  for (const t of ['udp', 'tcp'] as const) {
    it.each(PLAIN)(`${t}: %s, after a query differing in ID, RD and letter case`, (_, spec) => {
      const h = new QueryHandler(zones);
      h.handle(query(sibling(spec)), t);
      const msg = query(spec);
      expect(h.handle(msg, t)).toEqual(fresh(msg, t));
      expect(h.handle(msg, t)).toEqual(fresh(msg, t));
    });
  }

  for (const t of ['udp', 'tcp'] as const) {
    it.each(CHANGED)(
      `${t}: a query with %s is not answered from the memo of a plain one`,
      (_, spec) => {
        const h = new QueryHandler(zones);
        h.handle(query(BASE), t);
        h.handle(query({ ...BASE, name: BASE.name.toUpperCase() }), t);
        const msg = query(spec);
        expect(h.handle(msg, t)).toEqual(fresh(msg, t));
      },
    );
  }

  it.each([
    ['DO', 'no DO', { dnssecOk: true }, {}],
    ['no DO', 'DO', {}, { dnssecOk: true }],
    ['EDNS version 0', 'version 1 (BADVERS)', {}, { version: 1 }],
    ['EDNS version 1 (BADVERS)', 'version 0', { version: 1 }, {}],
  ] as [string, string, Opt, Opt][])(
    'answers %s after %s at the same payload size',
    (_, __, opt, before) => {
      const h = new QueryHandler(zones);
      h.handle(query({ ...BASE, opt: before }), 'udp');
      const msg = query({ ...BASE, opt });
      expect(h.handle(msg, 'udp')).toEqual(fresh(msg, 'udp'));
    },
  );

  it('keeps UDP and TCP replies apart (a UDP reply may be truncated)', () => {
    const h = new QueryHandler(zones);
    const msg = query({ name: `long-txt.${Z}`, type: T.TXT });
    h.handle(msg, 'udp');
    expect(h.handle(msg, 'tcp')).toEqual(fresh(msg, 'tcp'));
  });
});

describe('reply keys', () => {
  const scan = (msg: Buffer): PlainQuery | null => {
    const out: PlainQuery = {
      qnameEnd: 0,
      edns: EdnsShape.None,
      udpSize: 0,
      ecsAt: -1,
      ecsLen: 0,
      cookieAt: -1,
      cookieLen: 0,
    };
    return scanPlainQuery(msg, out) ? out : null;
  };
  const key = (s: Spec) => {
    const msg = query(s);
    const p = scan(msg)!;
    return replyKey(msg, p.qnameEnd, 512, p.edns, 0);
  };

  it('fold ASCII letters only (RFC 4343)', () => {
    expect(key({ name: `STATIC.${Z}`, type: T.A })).toBe(key({ name: `static.${Z}`, type: T.A }));
    expect(key({ name: `x\xc0.${Z}`, type: T.A })).not.toBe(key({ name: `x\xe0.${Z}`, type: T.A }));
  });

  it('do not fold QTYPE octets that look like letters (65 is not 97)', () => {
    expect(key({ name: Z, type: T.HTTPS })).not.toBe(key({ name: Z, type: T.T97 }));
  });

  it.each([
    ['plain', { name: Z, type: T.A }, EdnsShape.None],
    ['EDNS', { name: Z, type: T.A, opt: {} }, EdnsShape.Edns],
    [
      'EDNS with DO and a COOKIE',
      { name: Z, type: T.A, opt: { dnssecOk: true, options: COOKIE } },
      EdnsShape.DnssecOk,
    ],
    ['the root', { name: '', type: T.A }, EdnsShape.None],
  ] as [string, Spec, EdnsShape][])('scan takes a %s query', (_, spec, edns) => {
    expect(scan(query(spec))?.edns).toBe(edns);
  });

  it.each(
    CHANGED.filter(([what]) => !['RD clear', 'EDNS', 'EDNS with DO', 'class CH'].includes(what)),
  )('scan leaves a query with %s to the full parser', (_, spec) => {
    expect(scan(query(spec))).toBeNull();
  });

  it('scan leaves a compressed question name and a short message to the full parser', () => {
    const pointer = Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(scan(pointer)).toBeNull();
    expect(scan(query(BASE).subarray(0, 20))).toBeNull();
  });
});

describe('with DNS cookies on, memoised replies equal freshly encoded ones', () => {
  // One secret and a clock that stands still: the server cookie for a query is the same whoever
  // makes it, so a memo hit must give the bytes a fresh handler gives.
  const cookies = () =>
    new Cookies({ secret: Buffer.alloc(16, 9), previous: null, require: false, now: () => 1e12 });
  const remote = { address: '198.51.100.7', family: 'IPv4' };
  const FORGED = [0, 10, 0, 24, ...Array.from({ length: 24 }, (_, i) => i)];
  // ECS for 192.0.2.0/24 (RFC 7871 6).
  const ECS_OPT = [0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2];
  const specs: [string, Spec][] = [
    ...PLAIN,
    ['a client cookie and ECS', { ...BASE, opt: { options: [...COOKIE, ...ECS_OPT] } }],
    ['a server cookie not ours', { ...BASE, opt: { options: FORGED } }],
    [
      'a cookie, REFUSED with EDE',
      { name: 'nowhere.invalid', type: T.A, opt: { options: COOKIE } },
    ],
  ];
  for (const t of ['udp', 'tcp'] as const) {
    it.each(specs)(`${t}: %s`, (_, spec) => {
      const h = new QueryHandler(zones, { cookies: cookies() });
      h.handle(query(sibling(spec)), t, remote);
      const msg = query(spec);
      const fresh = new QueryHandler(zones, { cookies: cookies() }).handle(msg, t, remote);
      expect(h.handle(msg, t, remote)).toEqual(fresh);
      expect(h.handle(msg, t, remote)).toEqual(fresh);
    });
  }
});
