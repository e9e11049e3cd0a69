// The TCP connection limits (docs/server.md#tcp-limits) over real sockets on loopback: the
// per-network limit, the oldest idle connection closed at the cap, refusal only when none is idle,
// the idle timeout that shortens under pressure, the message timeout, pipelining in turns, and the
// counts in /metrics. Source addresses 127.0.6.x and 127.0.7.x stand for two client networks.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, frame, sleep, TcpClient } from './helpers/conn.js';
import { LOOPBACK_ADMIN, parseMetrics, request, series } from './helpers/admin.js';
import { startServer, type StartOptions, type TestServer } from './helpers/server.js';
import { header, query, RCODE, TYPE } from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

const clients: TcpClient[] = [];
let server: TestServer | null = null;
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = null;
});

async function start(opts: StartOptions): Promise<TestServer> {
  server = await startServer(ALL_ZONES, opts);
  return server;
}

async function open(t: TestServer, from = '127.0.0.1'): Promise<TcpClient> {
  const c = await TcpClient.open(t.port, '127.0.0.1', from);
  clients.push(c);
  return c;
}

/** Ask one question on `c`; true when answered NOERROR within `ms`. */
async function answers(c: TcpClient, ms = 1000): Promise<boolean> {
  const r = await c.ask(query('www.example.test', TYPE.A), ms);
  return r !== null && header(r).rcode === RCODE.NOERROR;
}

/** The server has counted `n` connections open (accepts race the client's 'connect'). */
function opened(t: TestServer, n: number): Promise<true> {
  return eventually(
    () => (t.server.tcpStats.open === n ? true : undefined),
    3000,
    `${n} open connections`,
  );
}

const logged = (t: TestServer, msg: string) => t.logs.filter((l) => l.msg === msg);

describe('per-network limit', () => {
  it('closes a network’s connections past its limit at once; other networks still connect', async () => {
    const t = await start({ maxConnections: 100, tcp: { perNetwork: 3 } });
    const held = [];
    for (let i = 1; i <= 3; i++) held.push(await open(t, `127.0.6.${i}`));
    for (const c of held) expect(await answers(c)).toBe(true);
    // Two more from the same /24, another host in it too: closed at once, never answered.
    const extra = [await open(t, '127.0.6.1'), await open(t, '127.0.6.200')];
    for (const c of extra) {
      c.send(query('www.example.test', TYPE.A));
      expect(await c.waitClosed(1000)).not.toBeNull();
      expect(await c.next(10)).toBeNull();
    }
    expect(await answers(await open(t, '127.0.7.1'))).toBe(true);
    for (const c of held) expect(await answers(c)).toBe(true);
    expect(t.server.tcpStats.closed.network_limit).toBe(2);
    // Logged once for the two (at most one line per 10 s), naming the network.
    expect(logged(t, 'tcp connection refused: client network limit reached')).toMatchObject([
      { network: '127.0.6.0/24', limit: 3 },
    ]);
  });

  it('refuses before a Socket is set up for the connection (the cheap path under a flood)', async () => {
    const t = await start({ maxConnections: 100, tcp: { perNetwork: 1 } });
    // net.Server publishes every Socket it builds for a new connection on this channel.
    const built: string[] = [];
    const onSocket = (m: unknown) => built.push((m as { socket: Socket }).socket.remoteAddress!);
    subscribe('net.server.socket', onSocket);
    try {
      const a = await open(t, '127.0.6.1');
      expect(await answers(a)).toBe(true);
      const refused = await Promise.all([1, 2, 3].map(() => open(t, '127.0.6.1')));
      for (const c of refused) expect(await c.waitClosed(1000)).not.toBeNull();
    } finally {
      unsubscribe('net.server.socket', onSocket);
    }
    expect(built).toEqual(['127.0.6.1']);
    expect(t.server.tcpStats.closed.network_limit).toBe(3);
  });

  it('counts by the configured prefix', async () => {
    const t = await start({ maxConnections: 100, tcp: { perNetwork: 1, ipv4Prefix: 32 } });
    const a = await open(t, '127.0.6.1');
    const b = await open(t, '127.0.6.2');
    expect(await answers(a)).toBe(true);
    expect(await answers(b)).toBe(true);
    const again = await open(t, '127.0.6.1');
    expect(await again.waitClosed(1000)).not.toBeNull();
  });
});

describe('at the connection cap', () => {
  it('closes the connection idle longest to admit a new one', async () => {
    const t = await start({ maxConnections: 3, idleTimeoutMs: 30_000 });
    const [a, b, c] = [await open(t, '127.0.6.1'), await open(t, '127.0.6.2'), await open(t)];
    await opened(t, 3);
    // a asks last: b is now the one idle longest.
    for (const x of [b, c, a]) expect(await answers(x!)).toBe(true);
    const d = await open(t, '127.0.7.1');
    expect(await answers(d)).toBe(true);
    expect(await b!.waitClosed(1000)).not.toBeNull();
    for (const x of [a, c]) expect(await answers(x!)).toBe(true);
    expect(t.server.tcpStats.closed.pressure).toBe(1);
  });

  it('refuses a new connection only when no connection is idle', async () => {
    const t = await start({
      maxConnections: 3,
      idleTimeoutMs: 30_000,
      tcp: { messageTimeoutMs: 30_000 },
    });
    // Three connections each halfway through a message: busy, so none may be closed for another.
    const held = [await open(t, '127.0.6.1'), await open(t, '127.0.6.2'), await open(t)];
    await opened(t, 3);
    const half = frame(query('www.example.test', TYPE.A, { id: 7 }));
    for (const c of held) c.sendRaw(half.subarray(0, 9));
    // Until the server's connection table has marked all three busy (it reads the halves).
    const table = (t.server as unknown as { tcpTable: { busy: Set<unknown> } }).tcpTable;
    await eventually(() => (table.busy.size === 3 ? true : undefined), 3000, '3 busy connections');
    const extras = await Promise.all(Array.from({ length: 5 }, () => open(t, '127.0.7.1')));
    for (const ms of await Promise.all(extras.map((c) => c.waitClosed(2000))))
      expect(ms).not.toBeNull();
    expect(t.server.tcpStats.closed.full).toBe(5);
    expect(logged(t, 'tcp connection refused: limit reached')).toMatchObject([{ max: 3 }]);
    // The held connections were not touched: each completes its message and is answered.
    for (const c of held) {
      c.sendRaw(half.subarray(9));
      expect(header((await c.next(1000))!).id).toBe(7);
    }
  });
});

describe('timeouts', () => {
  it('shortens the idle timeout above half the cap', async () => {
    const PRESSURE = 300;
    const t = await start({
      maxConnections: 4,
      idleTimeoutMs: 30_000,
      tcp: { pressureIdleTimeoutMs: PRESSURE },
    });
    const first = await open(t);
    await opened(t, 1);
    await sleep(PRESSURE + 200);
    expect(first.isClosed).toBe(false);
    // Three open: above half of four. The first has been idle longer than 300 ms: it goes at once.
    const second = await open(t);
    const third = await open(t);
    expect(await first.waitClosed(1000)).not.toBeNull();
    const started = Date.now();
    // Two left, not above half: the long timeout is back for them.
    await sleep(PRESSURE + 200);
    expect(second.isClosed || third.isClosed).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(PRESSURE);
    expect(t.server.tcpStats.closed.idle).toBe(1);
  });

  it('closes a connection stalled mid-message after the message timeout, counted as slow', async () => {
    const MESSAGE = 300;
    const t = await start({ idleTimeoutMs: 30_000, tcp: { messageTimeoutMs: MESSAGE } });
    const stalled = await open(t);
    const idle = await open(t);
    stalled.sendRaw(frame(query('www.example.test', TYPE.A)).subarray(0, 9));
    const ms = await stalled.waitClosed(MESSAGE + 2000);
    expect(ms).not.toBeNull();
    expect(ms!).toBeGreaterThanOrEqual(MESSAGE - 50);
    // The idle one keeps its 30 s.
    expect(await answers(idle)).toBe(true);
    expect(t.server.tcpStats.closed.slow).toBe(1);
  });
});

describe('a client that does not read its replies', () => {
  it('is closed after the message timeout once its replies back up, counted as slow', async () => {
    const MESSAGE = 500;
    const t = await start({ idleTimeoutMs: 30_000, tcp: { messageTimeoutMs: MESSAGE } });
    const c = await open(t);
    c.pause();
    // 10,000 replies of ~2.3 KB: more than the kernel's buffers and the 256 KiB the server holds.
    c.sendRaw(
      Buffer.concat(
        Array.from({ length: 10_000 }, (_, i) =>
          frame(query('huge.example.test', TYPE.TXT, { id: i })),
        ),
      ),
    );
    const other = await open(t);
    expect(await answers(other)).toBe(true);
    await eventually(
      () => (t.server.tcpStats.closed.slow === 1 ? true : undefined),
      MESSAGE + 3000,
      'the server to close the connection as slow',
    );
    // A paused socket sees the close once it reads again.
    c.resume();
    expect(await c.waitClosed(3000)).not.toBeNull();
    expect(await answers(other)).toBe(true);
  });
});

it('answers a long pipeline in order, a few queries per turn of the event loop', async () => {
  const t = await start({ tcp: { maxPipelined: 4 } });
  const c = await open(t);
  const n = 500;
  c.sendRaw(
    Buffer.concat(
      Array.from({ length: n }, (_, i) => frame(query('www.example.test', TYPE.A, { id: i }))),
    ),
  );
  for (let i = 0; i < n; i++) expect(header((await c.next(2000))!).id).toBe(i);
});

it('counts connections open and closed by reason in /metrics', async () => {
  const t = await start({ admin: LOOPBACK_ADMIN, maxConnections: 100, tcp: { perNetwork: 1 } });
  const a = await open(t, '127.0.6.1');
  expect(await answers(a)).toBe(true);
  const refused = await open(t, '127.0.6.2');
  expect(await refused.waitClosed(1000)).not.toBeNull();
  const gone = await open(t, '127.0.7.1');
  await opened(t, 2);
  gone.close();
  await opened(t, 1);
  const m = parseMetrics((await request(t.admin!.address!.url, 'GET', '/metrics')).text);
  expect(series(m, 'geosteer_tcp_connections')).toEqual({ '': 1 });
  expect(series(m, 'geosteer_tcp_connections_accepted_total')).toEqual({ '': 2 });
  expect(series(m, 'geosteer_tcp_connections_closed_total')).toEqual({
    'reason=idle': 0,
    'reason=pressure': 0,
    'reason=network_limit': 1,
    'reason=full': 0,
    'reason=slow': 0,
    'reason=error': 0,
    'reason=client': 1,
    'reason=shutdown': 0,
  });
});
