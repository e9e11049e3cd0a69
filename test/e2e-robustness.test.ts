// Garbage in, the server stays up: a seeded fuzz run over UDP and TCP, oversized packets, and
// the memoised fast path checked for state leaking from one query into the next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, TcpClient, type Transport, UdpClient } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import {
  CLASS,
  decode,
  fullRcode,
  header,
  message,
  optBytes,
  prng,
  query,
  questionBytes,
  questionEnd,
  RCODE,
  replyOpt,
  section,
  TYPE,
} from './helpers/wire.js';
import { ALL_ZONES, EXAMPLE_TEST } from './helpers/zones.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer(ALL_ZONES);
});
afterAll(() => t.stop());

/** Error-level log lines: a handler that threw (and cost a SERVFAIL) shows up here. */
const errors = () => t.logs.filter((l) => typeof l.level === 'number' && l.level >= 50);

async function ask(transport: Transport, msg: Buffer): Promise<Buffer> {
  const r = await exchange(transport, t.port, msg);
  if (!r) throw new Error(`no ${transport} reply`);
  return r;
}

// ---- fuzz -----------------------------------------------------------------------------------

const seeds = [
  query('www.example.test', TYPE.A),
  query('WwW.ExAmPlE.TeSt', TYPE.AAAA, { edns: { udpSize: 4096, dnssecOk: true } }),
  query('huge.example.test', TYPE.TXT, {
    edns: {
      options: [
        { code: 10, data: Buffer.alloc(8, 1) },
        { code: 65001, data: Buffer.from('xyz') },
      ],
    },
  }),
  query('x.child.example.test', TYPE.A, { edns: {} }),
  query('chain.example.test', TYPE.ANY, { rd: false }),
  message({
    questions: [questionBytes('example.test', TYPE.MX)],
    additional: [optBytes({ version: 1 })],
  }),
];

/** Deterministic garbage: random bytes, random bodies behind a plausible header, mutated queries. */
function fuzzCases(seed: number, count: number): Buffer[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0) {
      out.push(bytes(int(300)));
    } else if (kind === 1) {
      // A query-looking header (QR clear, opcode QUERY, QDCOUNT 1, random other counts), random body.
      const h = Buffer.from([
        int(256),
        int(256),
        int(8),
        int(256),
        0,
        1,
        0,
        int(3),
        0,
        int(3),
        0,
        int(3),
      ]);
      out.push(Buffer.concat([h, bytes(int(120))]));
    } else {
      const m = Buffer.from(seeds[int(seeds.length)]!);
      const edits = 1 + int(4);
      let msg = m;
      for (let e = 0; e < edits; e++) {
        const op = int(5);
        const at = int(msg.length);
        if (op === 0) msg[at] = msg[at]! ^ (1 << int(8));
        else if (op === 1) msg[at] = int(256);
        else if (op === 2) msg = msg.subarray(0, at);
        else if (op === 3)
          msg = Buffer.concat([msg.subarray(0, at), bytes(1 + int(8)), msg.subarray(at)]);
        else if (msg.length >= 12) msg.writeUInt16BE(int(4), 4 + 2 * int(4)); // a header count
        if (msg.length === 0) break;
      }
      out.push(Buffer.from(msg));
    }
  }
  return out;
}

/** Exactly the packets with a full header and QR clear are answered (RFC 1035 4.1.1). */
function deservesReply(m: Buffer): boolean {
  return m.length >= 12 && (m[2]! & 0x80) === 0;
}

function checkReply(q: Buffer, r: Buffer, transport: Transport): void {
  const h = header(r);
  expect(h.qr).toBe(true);
  expect(h.id).toBe(q.readUInt16BE(0));
  expect(h.opcode).toBe((q[2]! >> 3) & 0xf);
  expect(h.rd).toBe((q[2]! & 1) === 1);
  expect(h.ra).toBe(false);
  expect([RCODE.NOERROR, RCODE.FORMERR, RCODE.NXDOMAIN, RCODE.NOTIMP, RCODE.REFUSED]).toContain(
    h.rcode,
  );
  expect(h.qdcount).toBeLessThanOrEqual(1);
  if (transport === 'udp') expect(r.length).toBeLessThanOrEqual(1232);
  // Whatever came in, what goes out is a well-formed message.
  expect(() => decode(r)).not.toThrow();
}

const MARKER_ID = 0xfffe;

describe.each(['udp', 'tcp'] as Transport[])('fuzz over %s', (transport) => {
  it('answers exactly the packets that deserve it, never crashes, and keeps answering', async () => {
    const cases = fuzzCases(transport === 'udp' ? 20240601 : 777, transport === 'udp' ? 400 : 200);
    const c = transport === 'udp' ? await UdpClient.open(t.port) : await TcpClient.open(t.port);
    let answered = 0;
    try {
      for (const [i, m] of cases.entries()) {
        c.send(m);
        // A marker with a name of its own: its reply says every reply to case i has arrived.
        const markerName = `marker-${i}.example.test`;
        c.send(query(markerName, TYPE.A, { id: MARKER_ID }));
        const replies: Buffer[] = [];
        for (;;) {
          const r = await c.next(1000);
          if (!r) throw new Error(`case ${i} (${m.toString('hex')}): no reply to the marker`);
          if (header(r).id === MARKER_ID && decode(r).questions?.[0]?.name === markerName) break;
          replies.push(r);
        }
        expect(replies.length, `case ${i}: ${m.toString('hex')}`).toBe(deservesReply(m) ? 1 : 0);
        if (replies[0]) {
          checkReply(m, replies[0], transport);
          answered++;
        }
      }
    } finally {
      if (c instanceof UdpClient) await c.close();
      else c.close();
    }
    expect(answered).toBeGreaterThan(cases.length / 3);
    expect(errors()).toEqual([]);
    expect(header(await ask(transport, query('www.example.test', TYPE.A))).rcode).toBe(
      RCODE.NOERROR,
    );
  });
});

describe('oversized and unframed input', () => {
  it('answers a 65 000-octet UDP datagram (FORMERR), then the next query', async () => {
    const big = Buffer.concat([
      query('www.example.test', TYPE.A, { id: 5 }),
      Buffer.alloc(65_000, 0xcd),
    ]);
    const u = await UdpClient.open(t.port);
    try {
      const r = await u.ask(big, 1000);
      expect(header(r!)).toMatchObject({ id: 5, rcode: RCODE.FORMERR });
      expect(r!.length).toBeLessThan(100);
      const random = Buffer.from(Array.from({ length: 60_000 }, (_, i) => (i * 7919) & 0xff));
      u.send(random);
      const next = await u.ask(query('www.example.test', TYPE.A, { id: 6 }), 1000);
      // The random datagram may or may not earn a FORMERR first; the query is answered either way.
      const replies = [next, await u.next(200)].filter((x): x is Buffer => x !== null);
      expect(replies.some((x) => header(x).id === 6 && header(x).rcode === RCODE.NOERROR)).toBe(
        true,
      );
    } finally {
      await u.close();
    }
  });

  it('survives unframed garbage on TCP; other connections are answered', async () => {
    const c = await TcpClient.open(t.port);
    try {
      c.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: example.test\r\n\r\n'));
      expect(header(await ask('tcp', query('www.example.test', TYPE.A))).rcode).toBe(RCODE.NOERROR);
      expect(header(await ask('udp', query('www.example.test', TYPE.A))).rcode).toBe(RCODE.NOERROR);
    } finally {
      c.close();
    }
    expect(errors()).toEqual([]);
  });
});

// ---- the memoised fast path ---------------------------------------------------------------------

describe.each(['udp', 'tcp'] as Transport[])(
  'no state leaks between queries over %s',
  (transport) => {
    it('echoes each client letter case, in the question and the answer owners', async () => {
      for (const name of [
        'www.example.test',
        'WWW.EXAMPLE.TEST',
        'wWw.eXaMpLe.TeSt',
        'www.example.test',
      ]) {
        const q = query(name, TYPE.A);
        const r = await ask(transport, q);
        expect(r.subarray(12, questionEnd(r)).equals(q.subarray(12, questionEnd(q)))).toBe(true);
        expect(decode(r).answers!.map((a) => a.name)).toEqual([name, name]);
      }
    });

    it('echoes each ID and each RD bit', async () => {
      for (const [id, rd] of [
        [1, true],
        [2, false],
        [0xffff, true],
        [0, false],
        [0x8001, true],
      ] as const) {
        expect(
          header(await ask(transport, query('www.example.test', TYPE.A, { id, rd }))),
        ).toMatchObject({ id, rd, aa: true, ancount: 2 });
      }
    });

    it('adds an OPT only for EDNS queries and echoes each DO bit', async () => {
      const steps: [string, Parameters<typeof query>[2], boolean | null][] = [
        ['plain', {}, null],
        ['EDNS', { edns: {} }, false],
        ['EDNS+DO', { edns: { dnssecOk: true } }, true],
        ['plain again', {}, null],
        ['EDNS again', { edns: { udpSize: 4096 } }, false],
        ['EDNS+DO again', { edns: { dnssecOk: true, udpSize: 4096 } }, true],
      ];
      for (const [what, opts, dnssecOk] of steps) {
        const r = await ask(transport, query('www.example.test', TYPE.A, opts));
        const opt = replyOpt(r);
        if (dnssecOk === null) expect(opt, what).toBeNull();
        else expect(opt?.dnssecOk, what).toBe(dnssecOk);
        expect(header(r).ancount, what).toBe(2);
      }
    });

    it('keeps BADVERS, NOTIMP, FORMERR and the answer apart for the same name', async () => {
      const name = 'mail.example.test';
      const seq: [string, Buffer, number][] = [
        ['answer', query(name, TYPE.A, { edns: {} }), RCODE.NOERROR],
        ['BADVERS', query(name, TYPE.A, { edns: { version: 1 } }), 16],
        ['answer again', query(name, TYPE.A, { edns: {} }), RCODE.NOERROR],
        ['NOTIMP', query(name, TYPE.A, { opcode: 4 }), RCODE.NOTIMP],
        [
          'FORMERR',
          message({ questions: [questionBytes(name, TYPE.A)], trailing: Buffer.from([0]) }),
          RCODE.FORMERR,
        ],
        ['plain answer', query(name, TYPE.A), RCODE.NOERROR],
        ['class CH', query(name, TYPE.A, { qclass: CLASS.CH }), RCODE.REFUSED],
        ['class ANY', query(name, TYPE.A, { qclass: CLASS.ANY }), RCODE.NOERROR],
        ['class IN', query(name, TYPE.A), RCODE.NOERROR],
        ['another type', query(name, TYPE.MX), RCODE.NOERROR],
      ];
      for (const [what, q, rcode] of seq) {
        const r = await ask(transport, q);
        expect(fullRcode(r), what).toBe(rcode);
        const ancount = header(r).ancount;
        expect(ancount, what).toBe(rcode === RCODE.NOERROR && what !== 'another type' ? 1 : 0);
      }
    });

    it('sizes each reply for its own transport and payload', async () => {
      for (const [via, opts, tc] of [
        ['udp', {}, true],
        ['tcp', {}, false],
        ['udp', { edns: { udpSize: 1232 } }, false],
        ['udp', {}, true],
        ['tcp', { edns: { udpSize: 512 } }, false],
        ['udp', { edns: { udpSize: 512 } }, true],
      ] as [Transport, Parameters<typeof query>[2], boolean][]) {
        // big: ~900 octets; the same question asked over both transports, in both orders.
        const h = header(await ask(via, query('big.example.test', TYPE.TXT, opts)));
        expect(h.tc, `${via} ${JSON.stringify(opts)}`).toBe(tc);
        expect(h.ancount).toBe(tc ? 0 : 8);
      }
      // And via the transport under test, the one that goes last wins nothing from the others.
      expect(header(await ask(transport, query('big.example.test', TYPE.TXT))).tc).toBe(
        transport === 'udp',
      );
    });
  },
);

describe('no stale answers after a reload', () => {
  it('serves the new data for a question answered (and memoised) before the reload', async () => {
    const s = await startServer({ 'example.test.yaml': EXAMPLE_TEST });
    try {
      const q = () => query('www.example.test', TYPE.A);
      for (const transport of ['udp', 'tcp', 'udp'] as Transport[]) {
        const r = await exchange(transport, s.port, q());
        expect(section(decode(r!).answers)).toEqual([
          'www.example.test 300 A 192.0.2.1',
          'www.example.test 300 A 192.0.2.2',
        ]);
      }
      await s.write(
        'example.test.yaml',
        EXAMPLE_TEST.replace('A: [192.0.2.1, 192.0.2.2]', 'A: [192.0.2.111]'),
      );
      expect(await s.server.reload('test')).toMatchObject({ ok: true, changed: ['example.test'] });
      for (const transport of ['udp', 'tcp'] as Transport[]) {
        const r = await exchange(transport, s.port, q());
        expect(section(decode(r!).answers), transport).toEqual([
          'www.example.test 300 A 192.0.2.111',
        ]);
      }
      // A name that was NXDOMAIN and now exists.
      expect(
        decode((await exchange('udp', s.port, query('new.example.test', TYPE.A)))!).rcode,
      ).toBe('NXDOMAIN');
      await s.write('example.test.yaml', EXAMPLE_TEST + '  new:\n    A: [192.0.2.200]\n');
      await s.server.reload('test');
      expect(
        section(
          decode((await exchange('udp', s.port, query('new.example.test', TYPE.A)))!).answers,
        ),
      ).toEqual(['new.example.test 300 A 192.0.2.200']);
    } finally {
      await s.stop();
    }
  });
});
