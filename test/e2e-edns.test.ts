// EDNS(0) (RFC 6891) and truncation (RFC 1035 4.2.1), end to end over UDP and TCP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, type Transport } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import {
  type OptSpec,
  decode,
  fullRcode,
  header,
  message,
  optBytes,
  query,
  questionBytes,
  questionEnd,
  RCODE,
  replyOpt,
  section,
  TYPE,
} from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer(ALL_ZONES);
});
afterAll(() => t.stop());

async function ask(transport: Transport, msg: Buffer): Promise<Buffer> {
  const r = await exchange(transport, t.port, msg);
  if (!r) throw new Error(`no ${transport} reply`);
  return r;
}

const BADVERS = 16;

/** EDNS option 15, Extended DNS Error (RFC 8914), info-code 20: Not Authoritative. */
const EDE_NOT_AUTHORITATIVE = { code: 15, type: 'OPTION_15', data: Buffer.from([0, 20]) };

// Queries of every kind of outcome; each is sent with and without an OPT record. The fourth
// element: the options the reply's OPT carries, when there are any.
const kinds: [
  string,
  (edns: OptSpec | undefined) => Buffer,
  number,
  { code: number; type: string; data: Buffer }[]?,
][] = [
  ['an answer', (edns) => query('www.example.test', TYPE.A, { edns }), RCODE.NOERROR],
  ['NXDOMAIN', (edns) => query('nope.example.test', TYPE.A, { edns }), RCODE.NXDOMAIN],
  ['a referral', (edns) => query('x.child.example.test', TYPE.A, { edns }), RCODE.NOERROR],
  // RFC 8914 4.21: a name this server is not authoritative for.
  [
    'REFUSED (no zone)',
    (edns) => query('www.example.org', TYPE.A, { edns }),
    RCODE.REFUSED,
    [EDE_NOT_AUTHORITATIVE],
  ],
  ['REFUSED (AXFR)', (edns) => query('example.test', TYPE.AXFR, { edns }), RCODE.REFUSED],
  ['a truncated answer', (edns) => query('huge.example.test', TYPE.TXT, { edns }), RCODE.NOERROR],
  ['NOTIMP', (edns) => query('www.example.test', TYPE.A, { edns, opcode: 2 }), RCODE.NOTIMP],
  [
    'FORMERR (trailing bytes after a valid OPT)',
    (edns) =>
      message({
        questions: [questionBytes('www.example.test', TYPE.A)],
        additional: edns ? [optBytes(edns)] : [],
        trailing: Buffer.from([1, 2, 3]),
      }),
    RCODE.FORMERR,
  ],
];

const transports: Transport[] = ['udp', 'tcp'];

describe.each(transports)('EDNS over %s', (transport) => {
  it.each(kinds)(
    'puts one OPT in the reply to an EDNS query: %s',
    async (_what, build, rcode, options) => {
      for (const dnssecOk of [false, true]) {
        const r = await ask(transport, build({ udpSize: 4096, dnssecOk }));
        expect(header(r).rcode).toBe(rcode);
        // RFC 6891 6.2.5: we advertise 1232 whatever the client offered; version 0; DO echoed (RFC 3225 3).
        expect(replyOpt(r)).toEqual({
          udpSize: 1232,
          extendedRcode: 0,
          version: 0,
          dnssecOk,
          options: options ?? [],
        });
      }
    },
  );

  it.each(kinds)(
    'puts no OPT in the reply to a query without one: %s',
    async (_what, build, rcode) => {
      const r = await ask(transport, build(undefined));
      expect(header(r).rcode).toBe(rcode);
      expect(replyOpt(r)).toBeNull();
    },
  );

  it('advertises 1232 whatever payload size the client offers', async () => {
    for (const udpSize of [0, 512, 1232, 4096, 65535]) {
      expect(
        replyOpt(await ask(transport, query('www.example.test', TYPE.A, { edns: { udpSize } })))
          ?.udpSize,
      ).toBe(1232);
    }
  });

  it('answers an EDNS version above 0 with BADVERS and an OPT of version 0', async () => {
    for (const version of [1, 2, 255]) {
      const r = await ask(
        transport,
        query('www.example.test', TYPE.A, { edns: { version, dnssecOk: true } }),
      );
      const h = header(r);
      expect(fullRcode(r)).toBe(BADVERS);
      expect(h.rcode).toBe(0); // RFC 6891 6.1.3: the low 4 bits of 16 are in the header
      expect(h.ancount + h.nscount).toBe(0);
      expect(replyOpt(r)).toEqual({
        udpSize: 1232,
        extendedRcode: 1,
        version: 0,
        dnssecOk: true,
        options: [],
      });
      expect(decode(r).questions?.[0]?.name).toBe('www.example.test');
    }
  });

  it('ignores options it does not know and does not echo them', async () => {
    const options = [
      { code: 65001, data: Buffer.from('private use') },
      { code: 0xfff0, data: Buffer.alloc(0) },
      { code: 10, data: Buffer.from('0123456789abcdef', 'hex').subarray(0, 8) }, // a client cookie
    ];
    const r = await ask(transport, query('www.example.test', TYPE.A, { edns: { options } }));
    const plain = await ask(transport, query('www.example.test', TYPE.A, { edns: {} }));
    expect(header(r).rcode).toBe(RCODE.NOERROR);
    expect(section(decode(r).answers)).toEqual(section(decode(plain).answers));
    expect(replyOpt(r)?.options).toEqual([]);
  });
});

describe('truncation', () => {
  // big: ~900 octets of TXT; huge: ~2.2 KB.
  it.each([
    ['without EDNS, a reply over 512 octets', 'big', undefined, 512],
    ['with EDNS 512', 'big', 512, 512],
    ['with a payload below 512, treated as 512 (RFC 6891 6.2.5)', 'big', 100, 512],
    ['with EDNS 4096, a reply over our own 1232', 'huge', 4096, 1232],
    ['with EDNS 1232', 'huge', 1232, 1232],
  ] as const)(
    'truncates over UDP %s, with TC and whole RRsets only',
    async (_what, label, udpSize, limit) => {
      const r = await ask(
        'udp',
        query(
          `${label}.example.test`,
          TYPE.TXT,
          udpSize === undefined ? {} : { edns: { udpSize } },
        ),
      );
      const h = header(r);
      expect(r.length).toBeLessThanOrEqual(limit);
      expect(h.tc).toBe(true);
      expect(h.aa).toBe(true);
      expect(h.rcode).toBe(RCODE.NOERROR);
      expect(h.ancount).toBe(0); // RFC 2181 9: the one TXT RRset does not fit, so none of it is sent
      expect(decode(r).questions?.[0]?.name).toBe(`${label}.example.test`);
    },
  );

  it('sends a reply that fits the EDNS payload whole', async () => {
    const r = await ask('udp', query('big.example.test', TYPE.TXT, { edns: { udpSize: 1232 } }));
    expect(r.length).toBeGreaterThan(512);
    expect(r.length).toBeLessThanOrEqual(1232);
    expect(header(r)).toMatchObject({ tc: false, ancount: 8 });
  });

  it.each([
    ['big', undefined, 8],
    ['huge', undefined, 20],
    ['huge', 4096, 20],
  ] as const)('sends the full answer over TCP: %s (EDNS %s)', async (label, udpSize, count) => {
    const q = query(
      `${label}.example.test`,
      TYPE.TXT,
      udpSize === undefined ? {} : { edns: { udpSize } },
    );
    const udp = await ask('udp', q);
    expect(header(udp).tc).toBe(true);
    const r = await ask('tcp', q);
    const h = header(r);
    expect(h.tc).toBe(false);
    expect(h.ancount).toBe(count);
    expect(r.length).toBeGreaterThan(udp.length);
    const answers = section(decode(r).answers);
    expect(answers).toHaveLength(count);
    expect(answers.every((a) => a.startsWith(`${label}.example.test 300 TXT `))).toBe(true);
  });

  it('keeps the client letter case in a truncated reply', async () => {
    const q = query('HuGe.ExAmPlE.TeSt', TYPE.TXT);
    const r = await ask('udp', q);
    expect(header(r).tc).toBe(true);
    expect(r.subarray(12, questionEnd(r)).equals(q.subarray(12, questionEnd(q)))).toBe(true);
  });
});
