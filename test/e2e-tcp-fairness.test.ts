// Issue 9.3: one client holding 2,000 TCP connections, renewing every one the server closes, must
// not keep another client's TCP query (a resolver retrying a truncated answer: a new connection,
// one query) from being answered within 100 ms. Real sockets on loopback: the server runs here,
// the flood in a child process (test/helpers/tcp-flood.ts) with its own event loop; the other
// client connects from another network (127.0.7.1). Each run prints the latencies it saw.
import { fork, type ChildProcess, spawnSync } from 'node:child_process';
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, frame, sleep, TcpClient } from './helpers/conn.js';
import { startServer, type TestServer } from './helpers/server.js';
import type { FloodPlan, FloodStats } from './helpers/tcp-flood.js';
import { header, query, RCODE, TYPE } from './helpers/wire.js';
import { ALL_ZONES } from './helpers/zones.js';

const FLOOD = 2000;
const QUERIES = 30;
/** The bound for the other client's query, connection set-up included. */
const BOUND_MS = 100;

let server: TestServer | null = null;
let flood: ChildProcess | null = null;
afterEach(async () => {
  if (flood && flood.exitCode === null) {
    const exited = new Promise((r) => flood!.once('exit', r));
    flood.send('stop');
    await Promise.race([exited, sleep(3000)]);
    if (flood.exitCode === null) flood.kill('SIGKILL');
  }
  flood = null;
  await server?.stop();
  server = null;
});

function startFlood(plan: FloodPlan): Promise<void> {
  flood = fork('test/helpers/tcp-flood.ts', [], { execArgv: ['--import', 'tsx'] });
  // Niced: on a real network the attacker's CPU is not the server's; here they share two cores.
  setPriority(flood.pid!, 19);
  return new Promise((resolve, reject) => {
    flood!.once('error', reject);
    flood!.once('message', () => resolve());
    flood!.send({ start: plan });
  });
}

function floodStats(): Promise<FloodStats> {
  return new Promise((resolve) => {
    flood!.once('message', (m) => resolve(m as FloodStats));
    flood!.send('stats');
  });
}

/** Connect from 127.0.7.1, ask, read the reply: the milliseconds it took, or null. */
async function timedQuery(port: number, id: number): Promise<number | null> {
  const t0 = performance.now();
  const c = await TcpClient.open(port, '127.0.0.1', '127.0.7.1');
  try {
    const r = await c.ask(query('www.example.test', TYPE.A, { id }), 2000);
    if (!r || header(r).id !== id || header(r).rcode !== RCODE.NOERROR) return null;
    return performance.now() - t0;
  } finally {
    c.close();
  }
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

describe(`another client's TCP query under a ${FLOOD}-connection flood`, () => {
  beforeAll(() => {
    // 2,000 flood sockets in the child, up to 1,024 server sockets here: say so if they cannot be.
    const limit = Number(spawnSync('sh', ['-c', 'ulimit -n']).stdout.toString().trim());
    if (limit < 4096)
      throw new Error(`open-file limit (ulimit -n) is ${limit}: raise it to at least 4096`);
  });

  it.each([
    {
      what: 'from one address (127.0.6.1): the per-network limit closes the excess',
      sources: ['127.0.6.1'],
      renewMs: 2000,
      holding: (t: TestServer) => t.server.tcpStats.open >= 128,
    },
    {
      what: 'from 20 networks (127.6.N.1, 100 each): the cap is reached, the oldest idle goes',
      sources: Array.from({ length: 20 }, (_, n) => `127.6.${n}.1`),
      // Its connections idle out after 1 s under pressure: reopened fast enough to hold the cap.
      renewMs: 300,
      // At the cap, less the odd slot between a close and the flood's next connection.
      holding: (t: TestServer) => t.server.tcpStats.open >= 1000,
    },
    // retry: the client and the server share this worker's event loop, and the suite runs another
    // file beside it on the same two cores; a scheduling stall there can take one query past
    // 100 ms (seen once: 220 ms in a full run). An unfair server fails every attempt (its
    // queries wait for a slot: seconds, or never), so a retry hides noise, not the bug.
  ])('$what', { timeout: 90_000, retry: 2 }, async ({ what, sources, renewMs, holding }) => {
    // The defaults: 1,024 connections, 128 per /24, 10 s idle, 1 s under pressure.
    server = await startServer(ALL_ZONES, { maxConnections: 1024, idleTimeoutMs: 10_000 });
    const t = server;
    await startFlood({
      port: t.port,
      sources,
      count: FLOOD,
      renewMs,
      query: [...frame(query('www.example.test', TYPE.A, { id: 1 }))],
      maxMs: 60_000,
    });
    await eventually(() => (holding(t) ? true : undefined), 30_000, 'the flood to hold its slots');
    // Let it renew for a while: the pressure timeout and refusals are in full swing.
    await sleep(1500);
    const before = { ...(await floodStats()) };

    // How long the server's event loop was kept from running, to read the latencies against.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const ms: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const took = await timedQuery(t.port, 100 + i);
      expect(took, `query ${i} answered`).not.toBeNull();
      ms.push(took!);
      await sleep(50);
    }

    loop.disable();
    const after = await floodStats();
    const stats = t.server.tcpStats;
    const p50 = percentile(ms, 0.5);
    const max = Math.max(...ms);
    console.info(
      `TCP fairness, flood ${what}: ${QUERIES} queries from 127.0.7.1, new connection each: ` +
        `p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (all: ${ms.map((x) => x.toFixed(0)).join(' ')}); ` +
        `event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms; ` +
        `server open ${stats.open}, ` +
        `closed ${JSON.stringify(stats.closed)}; flood open ${after.open}, ` +
        `attempts ${after.attempts}, errors ${JSON.stringify(after.errors)}`,
    );
    // The flood kept at it the whole time: it held connections and kept reopening the closed ones.
    expect(holding(t)).toBe(true);
    expect(after.attempts - before.attempts).toBeGreaterThan(100);
    expect(max).toBeLessThan(BOUND_MS);
    if (sources.length === 1) expect(stats.closed.network_limit).toBeGreaterThan(FLOOD - 128);
    else expect(stats.closed.pressure).toBeGreaterThan(0);
  });
});
