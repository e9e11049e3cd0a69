// One fuzz run: a real geosteer server started in this process on 127.0.0.1 port 0 (as the
// end-to-end tests start it), UDP and TCP fuzzed side by side, then a last known-good query over
// each transport on fresh sockets. Also the replay of one packet.
import { defaultRrlConfig } from '../src/server/rrl-config.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { exchange } from '../test/helpers/conn.js';
import { GeosteerServer } from '../src/server/server.js';
import { EDNS_UDP_PAYLOAD } from '../src/wire/constants.js';
import { PacketSource } from './cases.js';
import { deservesReply } from './check.js';
import { framesOf } from './framing.js';
import { isProbeReply, probeProblem, probeQuery } from './probe.js';
import { type Finding, Report, type Transport } from './report.js';
import { fuzzTcp, TCP_BOUND_MS } from './tcp.js';
import { fuzzUdp, type Target } from './udp.js';
import { FUZZ_ZONES } from './zones.js';

export interface FuzzOptions {
  seed: number;
  /** Packets in all; split between the transports (tcpShare over TCP). */
  packets: number;
  /** Stop sending after this long, whatever the count. */
  seconds: number;
  transports: ('udp' | 'tcp')[];
  /** Share of the packets sent over TCP when both transports run. */
  tcpShare?: number;
  onFinding?: (f: Finding) => void;
  /**
   * Fuzz a server already running here instead of one started in this process (it must serve
   * the fuzz zones: writeFuzzZones). Crashes then show as unanswered probes.
   */
  target?: Target;
}

/** Write the zones the fuzzer expects (fuzz/zones.ts) into `dir`, for a server run separately. */
export async function writeFuzzZones(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(FUZZ_ZONES)) await writeFile(join(dir, name), text);
}

/** A running server over the fuzz zones, and the error lines it logged (a handler that threw). */
interface FuzzServer {
  port: number;
  errors: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** A fixed secret, so a replayed packet meets the same server cookies. */
const FUZZ_COOKIE_SECRET = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

async function startFuzzServer(): Promise<FuzzServer> {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-fuzz-'));
  await writeFuzzZones(dir);
  const errors: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        const l = JSON.parse(line) as Record<string, unknown>;
        if (typeof l.level === 'number' && l.level >= 50) errors.push(l);
      }
      cb();
    },
  });
  const server = await GeosteerServer.start({
    listen: [{ host: '127.0.0.1', port: 0 }],
    udp: true,
    tcp: true,
    zonesDir: dir,
    // The idle timeout is far above TCP_BOUND_MS, so a connection closed in time was closed
    // because the client half-closed, not because it sat idle.
    tcpOptions: { idleTimeoutMs: 5 * TCP_BOUND_MS, maxConnections: 256 },
    watch: false,
    queryLog: false,
    log: pino({ level: 'warn' }, sink),
    // Cookies on, so malformed and forged COOKIE options reach the cookie code; RRL on and
    // counting loopback too, at a rate no run reaches: its bookkeeping runs on every reply, but
    // it never withholds one (a withheld reply would be reported as unanswered).
    cookies: { enabled: true, secret: FUZZ_COOKIE_SECRET, previous: null, require: false },
    rrl: { ...defaultRrlConfig(), allow: [], responsesPerSecond: 10_000_000 },
  });
  // Only what the fuzzing provokes counts: a port retry at start-up may log an error.
  errors.length = 0;
  return {
    port: server.port,
    errors,
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Packets in flight per transport: printed if the process dies mid-run (cli.ts). */
export const inFlight = { udp: [] as Buffer[], tcp: [] as Buffer[] };

export async function fuzz(o: FuzzOptions): Promise<Report> {
  const report = new Report(EDNS_UDP_PAYLOAD, o.onFinding);
  const s: FuzzServer = o.target
    ? { port: o.target.port, errors: [], stop: async () => {} }
    : await startFuzzServer();
  const t = o.target ?? { host: '127.0.0.1', port: s.port };
  const deadline = Date.now() + o.seconds * 1000;
  const both = o.transports.includes('udp') && o.transports.includes('tcp');
  const tcpCount = both ? Math.round(o.packets * (o.tcpShare ?? 0.3)) : o.packets;
  try {
    await Promise.all([
      o.transports.includes('udp')
        ? fuzzUdp(
            t,
            new PacketSource(o.seed),
            o.packets - (both ? tcpCount : 0),
            deadline,
            report,
            inFlight.udp,
          )
        : null,
      o.transports.includes('tcp')
        ? fuzzTcp(t, new PacketSource(o.seed ^ 0x5eed), tcpCount, deadline, report, inFlight.tcp)
        : null,
    ]);
    report.endedAt = Date.now();
    // Still up: a fresh socket on each transport gets the known-good answer.
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await exchange(transport, t.port, probeQuery(0xabcd), TCP_BOUND_MS, t.host);
      const problem = !r || !isProbeReply(r, 0xabcd) ? 'no reply' : probeProblem(r);
      if (problem)
        report.find({
          check: 'server-dead',
          transport,
          kind: 'final-probe',
          query: probeQuery(0xabcd),
          reply: r,
          detail: `the known-good query at the end: ${problem}`,
        });
    }
    for (const e of s.errors)
      report.find({
        check: 'server-error-log',
        transport: 'udp',
        kind: 'log',
        query: Buffer.alloc(0),
        reply: null,
        detail: JSON.stringify(e),
      });
  } finally {
    await s.stop();
  }
  return report;
}

/** Send one packet (or, for tcp-stream, these raw bytes) to a fresh server; its replies, judged. */
export async function replay(
  bytes: Buffer,
  transport: Transport,
): Promise<{ replies: Buffer[]; report: Report }> {
  const report = new Report(EDNS_UDP_PAYLOAD);
  const s = await startFuzzServer();
  try {
    const replies: Buffer[] = [];
    if (transport === 'tcp-stream') {
      const sock = connect({ host: '127.0.0.1', port: s.port });
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.end(bytes);
      await Promise.race([
        new Promise((r) => sock.once('close', r)),
        new Promise((r) => setTimeout(r, TCP_BOUND_MS)),
      ]);
      sock.destroy();
      replies.push(...framesOf(Buffer.concat(chunks)).map((m) => Buffer.from(m)));
      const asked = framesOf(bytes).filter(deservesReply);
      asked.forEach(
        (q, i) => replies[i] && report.reply('tcp', 'replay', Buffer.from(q), replies[i]!),
      );
    } else {
      const r = await exchange(transport, s.port, bytes, TCP_BOUND_MS);
      if (r) replies.push(r);
      report.packet(transport, 'replay', bytes, replies);
    }
    for (const e of s.errors)
      report.find({
        check: 'server-error-log',
        transport,
        kind: 'log',
        query: bytes,
        reply: null,
        detail: JSON.stringify(e),
      });
    return { replies, report };
  } finally {
    await s.stop();
  }
}
