// DNS over TCP (RFC 1035 4.2.2, RFC 7766) on real sockets: framing, pipelining, partial frames,
// the idle timeout and backpressure (the connection limits: test/e2e-tcp-limits.test.ts). A slow or stalled client only ever holds
// its own connection: every test checks that others are answered meanwhile.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { eventually, exchange, frame, sleep, TcpClient, UdpClient } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import { decode, header, message, query, questionBytes, RCODE, TYPE } from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

const clients: TcpClient[] = [];
async function open(port: number): Promise<TcpClient> {
  const c = await TcpClient.open(port);
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

const STALL_FRAME = frame(query('www.example.test', TYPE.A, { id: 99 }));

/** A valid query must be answered quickly over both transports, whatever else is going on. */
async function answersPromptly(port: number): Promise<void> {
  const started = Date.now();
  const u = await exchange('udp', port, query('www.example.test', TYPE.A, { id: 1 }), 1000);
  const tc = await exchange('tcp', port, query('www.example.test', TYPE.A, { id: 2 }), 1000);
  expect(u && header(u).rcode).toBe(RCODE.NOERROR);
  expect(tc && header(tc).rcode).toBe(RCODE.NOERROR);
  expect(Date.now() - started).toBeLessThan(500);
}

describe('framing and pipelining', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(ALL_ZONES);
  });
  afterAll(() => t.stop());

  it('frames each reply with its 2-octet length', async () => {
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const s = connect({ port: t.port, host: '127.0.0.1' }, () =>
        s.write(frame(query('www.example.test', TYPE.A))),
      );
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', reject);
    });
    const len = raw.readUInt16BE(0);
    expect(raw.length).toBe(2 + len);
    expect(header(raw.subarray(2))).toMatchObject({ qr: true, rcode: RCODE.NOERROR, ancount: 2 });
  });

  it('answers 200 queries pipelined in one write, every one, in order', async () => {
    const names = [
      'www.example.test',
      'nope.example.test',
      'huge.example.test',
      'x.child.example.test',
      'www.example.org',
    ];
    const msgs = Array.from({ length: 200 }, (_, i) =>
      query(names[i % names.length]!, i % 5 === 2 ? TYPE.TXT : TYPE.A, { id: 1000 + i }),
    );
    const c = await open(t.port);
    c.sendRaw(Buffer.concat(msgs.map(frame)));
    for (let i = 0; i < msgs.length; i++) {
      const r = await c.next(2000);
      expect(r, `reply ${i}`).not.toBeNull();
      expect(header(r!).id).toBe(1000 + i);
    }
  });

  it('answers pipelined queries among garbage and responses, skipping only what gets no reply', async () => {
    const c = await open(t.port);
    const valid = query('www.example.test', TYPE.A, { id: 1 });
    const response = message({
      id: 2,
      flags: 0x8400,
      questions: [questionBytes('www.example.test', TYPE.A)],
    });
    const formerr = message({ id: 3, questions: [] });
    const scrap = Buffer.from([1, 2, 3]);
    c.sendRaw(
      Buffer.concat(
        [
          valid,
          response,
          scrap,
          formerr,
          Buffer.alloc(0),
          query('mail.example.test', TYPE.A, { id: 4 }),
        ].map(frame),
      ),
    );
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(header((await c.next(2000))!).id);
    expect(ids).toEqual([1, 3, 4]);
  });

  it('reassembles a frame sent one octet at a time, split inside the length too', async () => {
    const c = await open(t.port);
    const bytes = Buffer.concat([
      frame(query('www.example.test', TYPE.A, { id: 7 })),
      frame(query('mail.example.test', TYPE.A, { id: 8 })),
    ]);
    for (const b of bytes) {
      c.sendRaw(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    expect(header((await c.next(2000))!).id).toBe(7);
    expect(header((await c.next(2000))!).id).toBe(8);
  });

  it('answers a 65535-octet frame (FORMERR: trailing bytes) and then the next query', async () => {
    const big = Buffer.concat([
      query('www.example.test', TYPE.A, { id: 9 }),
      Buffer.alloc(65535 - 34, 0xab),
    ]).subarray(0, 65535);
    const c = await open(t.port);
    c.send(big);
    c.send(query('www.example.test', TYPE.A, { id: 10 }));
    const r1 = (await c.next(2000))!;
    expect(header(r1)).toMatchObject({ id: 9, rcode: RCODE.FORMERR });
    expect(header((await c.next(2000))!)).toMatchObject({ id: 10, rcode: RCODE.NOERROR });
  });

  it('answers every query of a client that shuts its sending side, then closes', async () => {
    const c = await open(t.port);
    c.sendRaw(
      Buffer.concat([1, 2, 3].map((id) => frame(query('www.example.test', TYPE.A, { id })))),
    );
    c.sock.end();
    for (const id of [1, 2, 3]) expect(header((await c.next(2000))!).id).toBe(id);
    expect(await c.waitClosed(2000)).not.toBeNull();
  });

  it.each([
    ['halfway through a frame', STALL_FRAME.subarray(0, 9)],
    ['inside the length prefix', Buffer.from([0])],
    ['after a length of 65535', Buffer.from([0xff, 0xff, 0, 1, 2])],
  ])('answers everyone else at once while a connection is stalled %s', async (_what, partial) => {
    const stalled = await Promise.all(Array.from({ length: 3 }, () => open(t.port)));
    for (const c of stalled) c.sendRaw(partial);
    await answersPromptly(t.port);
    // Answered while the stalled connections were still open: nobody waited for their timeout.
    for (const c of stalled) expect(c.isClosed).toBe(false);
    // And the stalled connection itself still works once its frame completes.
    const c = stalled[0]!;
    if (partial.length === 9) {
      c.sendRaw(STALL_FRAME.subarray(9));
      expect(header((await c.next(2000))!).id).toBe(99);
    }
  });

  it('gives the full answer that UDP truncates', async () => {
    const c = await open(t.port);
    const r = (await c.ask(query('huge.example.test', TYPE.TXT)))!;
    expect(header(r)).toMatchObject({ tc: false, ancount: 20 });
    expect(decode(r).answers).toHaveLength(20);
  });
});

describe('idle timeout (RFC 7766 6.2.3)', () => {
  const IDLE = 300;
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(ALL_ZONES, { idleTimeoutMs: IDLE });
  });
  afterAll(() => t.stop());

  it('closes a connection that never sends a query', async () => {
    const c = await open(t.port);
    const ms = await c.waitClosed(IDLE + 2000);
    expect(ms).not.toBeNull();
    expect(ms!).toBeGreaterThanOrEqual(IDLE - 50);
  });

  it('closes a connection idle after its last query', async () => {
    const c = await open(t.port);
    await sleep(IDLE / 2);
    expect(await c.ask(query('www.example.test', TYPE.A))).not.toBeNull();
    const ms = await c.waitClosed(IDLE + 2000);
    expect(ms).not.toBeNull();
    // The clock restarted at the query.
    expect(ms!).toBeGreaterThanOrEqual(IDLE / 2 + IDLE - 50);
  });

  it('keeps a connection that keeps asking', async () => {
    const c = await open(t.port);
    for (let i = 0; i < 8; i++) {
      expect(
        await c.ask(query('www.example.test', TYPE.A, { id: i }), 1000),
        `query ${i}`,
      ).not.toBeNull();
      await sleep(IDLE / 3);
    }
    expect(c.isClosed).toBe(false);
  });

  it('closes a connection stalled halfway through a frame', async () => {
    const c = await open(t.port);
    c.sendRaw(frame(query('www.example.test', TYPE.A)).subarray(0, 9));
    const ms = await c.waitClosed(IDLE + 2000);
    expect(ms).not.toBeNull();
    expect(ms!).toBeGreaterThanOrEqual(IDLE - 50);
    expect(await c.next(10)).toBeNull();
  });

  it('closes a connection stalled inside the length prefix', async () => {
    const c = await open(t.port);
    c.sendRaw(Buffer.from([0]));
    expect(await c.waitClosed(IDLE + 2000)).not.toBeNull();
  });

  it('does not let a client trickling a frame byte by byte hold the connection', async () => {
    const c = await open(t.port);
    const f = frame(query('www.example.test', TYPE.A));
    // One octet every IDLE/3: each byte is activity, but no query completes within the timeout.
    for (let i = 0; i < f.length - 1 && !c.isClosed; i++) {
      c.sendRaw(f.subarray(i, i + 1));
      await sleep(IDLE / 3);
    }
    expect(c.isClosed).toBe(true);
    expect(await c.next(10)).toBeNull();
  });
});

describe('backpressure', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(ALL_ZONES);
  });
  afterAll(() => t.stop());

  it('stops answering a client that does not read, answers others meanwhile, and loses nothing', async () => {
    // 10 000 answers of ~2.3 KB is ~23 MB: more than the 1 MB backlog plus the kernel's buffers.
    const N = 10_000;
    let handled = 0;
    const previous = t.server.handler.onQuery;
    t.server.handler.onQuery = () => handled++;
    try {
      const c = await open(t.port);
      c.pause();
      c.sendRaw(
        Buffer.concat(
          Array.from({ length: N }, (_, i) =>
            frame(query('huge.example.test', TYPE.TXT, { id: i })),
          ),
        ),
      );
      // Wait until the server has stopped answering (the count stays put).
      let last = -1;
      await eventually(
        async () => {
          await sleep(100);
          if (handled === last) return true;
          last = handled;
          return undefined;
        },
        5000,
        'the server to stop answering the non-reading client',
      );
      expect(handled).toBeGreaterThan(0);
      expect(handled).toBeLessThan(N);
      await answersPromptly(t.port);

      c.resume();
      for (let i = 0; i < N; i++) {
        const r = await c.next(3000);
        if (!r || header(r).id !== i)
          throw new Error(`reply ${i}: ${r ? `id ${header(r).id}` : 'none'}`);
      }
    } finally {
      t.server.handler.onQuery = previous;
    }
  });

  it('keeps answering UDP while TCP clients stall', async () => {
    const stalled = await Promise.all(Array.from({ length: 5 }, () => open(t.port)));
    for (const c of stalled) c.sendRaw(Buffer.from([0, 40, 1, 2, 3]));
    const u = await UdpClient.open(t.port);
    try {
      for (let i = 0; i < 20; i++)
        expect(await u.ask(query('www.example.test', TYPE.A, { id: i }), 500)).not.toBeNull();
    } finally {
      await u.close();
    }
  });
});
