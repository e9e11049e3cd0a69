// Messages that are not plain queries, end to end over UDP and TCP: FORMERR when the header can be
// read (RFC 1035 4.1.1), NOTIMP for other opcodes, silence for responses and scraps, and in every
// case the next valid query on the same socket is still answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repliesBefore, type Transport } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import {
  aRecord,
  decode,
  header,
  message,
  optBytes,
  query,
  questionBytes,
  RCODE,
  replyOpt,
  TYPE,
  u16,
  wireName,
} from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer(ALL_ZONES);
});
afterAll(() => t.stop());

const MARKER_ID = 0x7777;
const marker = () => query('www.example.test', TYPE.A, { id: MARKER_ID });
const q = (name = 'www.example.test', type: number = TYPE.A) => questionBytes(name, type);
const ID = 0x4242;

/** The one reply `msg` gets (or null for none), proving the socket still answers afterwards. */
async function replyTo(transport: Transport, msg: Buffer): Promise<Buffer | null> {
  const replies = await repliesBefore(transport, t.port, [msg], marker());
  expect(replies.length).toBeLessThanOrEqual(1);
  return replies[0] ?? null;
}

const pointerQuestion = Buffer.concat([
  // "www" then a pointer to offset 12 (itself a name start): pointers in the question are refused.
  Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 12]),
  u16(TYPE.A),
  u16(1),
]);

// [what, message, header counts and rcode the FORMERR echoes, whether a valid OPT is echoed]
const formerrs: [string, Buffer, { qdcount: number }, boolean][] = [
  ['QDCOUNT 0', message({ id: ID, questions: [] }), { qdcount: 0 }, false],
  [
    'QDCOUNT 2',
    message({ id: ID, questions: [q(), q('mail.example.test')] }),
    { qdcount: 0 },
    false,
  ],
  ['QDCOUNT 1 and no question', message({ id: ID, qdcount: 1 }), { qdcount: 0 }, false],
  [
    'a question name running off the end',
    message({ id: ID, qdcount: 1, trailing: Buffer.from([10, 0x61, 0x62]) }),
    { qdcount: 0 },
    false,
  ],
  [
    'a question without type and class',
    message({ id: ID, qdcount: 1, trailing: wireName('www.example.test') }),
    { qdcount: 0 },
    false,
  ],
  [
    'a reserved label type (0x40)',
    message({ id: ID, qdcount: 1, trailing: Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1]) }),
    { qdcount: 0 },
    false,
  ],
  [
    'a label over 63 octets is not a label',
    message({
      id: ID,
      qdcount: 1,
      trailing: Buffer.concat([
        Buffer.from([0x80]),
        Buffer.alloc(130, 0x61),
        Buffer.from([0, 0, 1, 0, 1]),
      ]),
    }),
    { qdcount: 0 },
    false,
  ],
  [
    'a name over 255 octets',
    message({
      id: ID,
      questions: [
        Buffer.concat([
          ...Array.from({ length: 5 }, () =>
            Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)]),
          ),
          Buffer.from([0, 0, 1, 0, 1]),
        ]),
      ],
    }),
    { qdcount: 0 },
    false,
  ],
  [
    'a compression pointer in the question',
    message({ id: ID, questions: [pointerQuestion] }),
    { qdcount: 0 },
    false,
  ],
  [
    'trailing bytes after the question',
    message({ id: ID, questions: [q()], trailing: Buffer.from([0xde, 0xad]) }),
    { qdcount: 1 },
    false,
  ],
  [
    'trailing bytes after a valid OPT',
    message({ id: ID, questions: [q()], additional: [optBytes()], trailing: Buffer.from([0]) }),
    { qdcount: 1 },
    true,
  ],
  [
    'ARCOUNT larger than the records present',
    message({ id: ID, questions: [q()], arcount: 2, additional: [optBytes()] }),
    { qdcount: 1 },
    false,
  ],
  [
    'a record whose RDLENGTH runs past the end',
    message({ id: ID, questions: [q()], additional: [aRecord('x.example.test').subarray(0, -2)] }),
    { qdcount: 1 },
    false,
  ],
  [
    'two OPT records',
    message({ id: ID, questions: [q()], additional: [optBytes(), optBytes()] }),
    { qdcount: 1 },
    false,
  ],
  [
    'an OPT option longer than the OPT RDATA',
    message({
      id: ID,
      questions: [q()],
      additional: [optBytes({ rdata: Buffer.concat([u16(65001), u16(10), Buffer.alloc(4)]) })],
    }),
    { qdcount: 1 },
    false,
  ],
  [
    'an OPT RDATA ending inside an option header',
    message({
      id: ID,
      questions: [q()],
      additional: [optBytes({ rdata: Buffer.from([0xfd, 0xe9, 0]) })],
    }),
    { qdcount: 1 },
    false,
  ],
  [
    'an OPT owned by a name other than the root',
    message({ id: ID, questions: [q()], additional: [optBytes({ owner: 'example.test' })] }),
    { qdcount: 1 },
    false,
  ],
  [
    'an OPT in the answer section',
    message({ id: ID, questions: [q()], answers: [optBytes()] }),
    { qdcount: 1 },
    false,
  ],
  [
    'an OPT in the authority section',
    message({ id: ID, questions: [q()], authority: [optBytes()] }),
    { qdcount: 1 },
    false,
  ],
];

// Packets that get no reply at all.
const drops: [string, Buffer][] = [
  ['an empty packet', Buffer.alloc(0)],
  ['a single octet', Buffer.from([0x12])],
  ['eleven octets (no full header)', query('www.example.test', TYPE.A).subarray(0, 11)],
  [
    'a response (QR=1) to a name we serve',
    message({ id: ID, flags: 0x8500, questions: [q()], answers: [aRecord('www.example.test')] }),
  ],
  ['a response (QR=1) with an error rcode', message({ id: ID, flags: 0x8001, questions: [q()] })],
  [
    'a response (QR=1) that is malformed',
    Buffer.concat([u16(ID), u16(0x8000), Buffer.from([0xff, 0xff, 0xff, 0xff])]),
  ],
  [
    'a NOTIMP-worthy opcode with QR=1',
    message({ id: ID, flags: 0x8000 | (5 << 11), questions: [q()] }),
  ],
];

const transports: Transport[] = ['udp', 'tcp'];

describe.each(transports)('malformed and unusual messages over %s', (transport) => {
  it.each(formerrs)('FORMERR for %s', async (_what, msg, counts, echoesOpt) => {
    const r = await replyTo(transport, msg);
    expect(r).not.toBeNull();
    const h = header(r!);
    expect(h).toMatchObject({
      id: ID,
      qr: true,
      opcode: 0,
      rcode: RCODE.FORMERR,
      aa: false,
      tc: false,
      ancount: 0,
      nscount: 0,
      qdcount: counts.qdcount,
    });
    if (echoesOpt) expect(replyOpt(r!)).toMatchObject({ udpSize: 1232, version: 0 });
    // A reply is never more than a question and an OPT.
    expect(h.arcount).toBeLessThanOrEqual(1);
    if (!echoesOpt) expect(() => replyOpt(r!)).not.toThrow();
  });

  it('FORMERR echoes the question as sent, letter case included', async () => {
    const r = await replyTo(
      transport,
      message({ id: ID, questions: [q('WwW.Example.TEST')], trailing: Buffer.from([0]) }),
    );
    expect(decode(r!).questions?.[0]).toMatchObject({ name: 'WwW.Example.TEST', type: 'A' });
  });

  it('FORMERR keeps RD as sent', async () => {
    for (const flags of [0x0000, 0x0100]) {
      const r = await replyTo(transport, message({ id: ID, flags, questions: [] }));
      expect(header(r!).rd).toBe(flags !== 0);
    }
  });

  it.each(drops)('no reply to %s, and the next query is answered', async (_what, msg) => {
    expect(await replyTo(transport, msg)).toBeNull();
  });

  it.each([1, 2, 3, 4, 5, 6, 15])(
    'NOTIMP for opcode %i, with opcode, ID and question echoed',
    async (opcode) => {
      const r = await replyTo(transport, query('WwW.example.test', TYPE.SOA, { id: ID, opcode }));
      const h = header(r!);
      expect(h).toMatchObject({
        id: ID,
        qr: true,
        opcode,
        rcode: RCODE.NOTIMP,
        aa: false,
        ancount: 0,
        nscount: 0,
      });
      expect(decode(r!).questions?.[0]?.name).toBe('WwW.example.test');
    },
  );

  it('NOTIMP for a well-formed UPDATE (opcode 5) with records', async () => {
    const update = message({
      id: ID,
      flags: 5 << 11,
      questions: [questionBytes('example.test', TYPE.SOA)],
      authority: [aRecord('new.example.test')],
    });
    expect(header((await replyTo(transport, update))!).rcode).toBe(RCODE.NOTIMP);
  });

  it('NOTIMP with an OPT when the query had a valid one', async () => {
    const r = await replyTo(
      transport,
      query('www.example.test', TYPE.A, { id: ID, opcode: 4, edns: { dnssecOk: true } }),
    );
    expect(header(r!).rcode).toBe(RCODE.NOTIMP);
    expect(replyOpt(r!)).toMatchObject({ udpSize: 1232, dnssecOk: true });
  });

  it('FORMERR with an OPT for QDCOUNT 0 when the query had a valid OPT (RFC 6891 7)', async () => {
    const r = await replyTo(
      transport,
      message({ id: ID, questions: [], additional: [optBytes({ dnssecOk: true })] }),
    );
    expect(header(r!)).toMatchObject({ rcode: RCODE.FORMERR, qdcount: 0 });
    expect(replyOpt(r!)).toMatchObject({ udpSize: 1232, version: 0, dnssecOk: true });
  });

  it('answers a query that carries records in the answer and authority sections', async () => {
    // Not forbidden for a QUERY (RFC 1035 4.1.1 only says they are usually empty); they are ignored.
    const r = await replyTo(
      transport,
      message({
        id: ID,
        questions: [q()],
        answers: [aRecord('x.example.test')],
        authority: [aRecord('y.example.test')],
      }),
    );
    expect(header(r!)).toMatchObject({ rcode: RCODE.NOERROR, ancount: 2, aa: true });
  });

  it('answers several bad messages in a row, each in turn, then a valid one', async () => {
    const bad = [...formerrs.map(([, m]) => m), ...drops.map(([, m]) => m)];
    const replies = await repliesBefore(transport, t.port, bad, marker());
    expect(replies).toHaveLength(formerrs.length);
    for (const r of replies) expect(header(r).rcode).toBe(RCODE.FORMERR);
  });
});
