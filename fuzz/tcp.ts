// Fuzz over TCP. Most packets go framed on one long-lived connection, each followed by the probe,
// as over UDP. Some go as framing tricks (framing.ts), each on a connection of its own that is
// half-closed after the probe: the server must answer every whole message it cut from the bytes
// and then close at once (RFC 7766 6.2.1: it may not wait out the idle timeout for a client that
// has said it is done).
import { connect, type Socket } from 'node:net';
import { frame } from '../test/helpers/conn.js';
import type { PacketSource } from './cases.js';
import { deservesReply } from './check.js';
import { framesOf, stream } from './framing.js';
import { type Probed, probeQuery, readBatch } from './probe.js';
import type { Report } from './report.js';
import type { Target } from './udp.js';

const WINDOW = 32;
/** The longest wait for a reply or a close: far below the server's idle timeout (run.ts). */
export const TCP_BOUND_MS = 2000;
/** One packet in this many goes as a framing trick on a connection of its own. */
const STREAM_EVERY = 5;
/** Framing-trick connections open at once. */
const STREAMS_AT_ONCE = 8;

/** A TCP connection whose framed replies queue up; `closed` resolves when the server closes. */
class Conn {
  readonly replies: Buffer[] = [];
  readonly closed: Promise<void>;
  isClosed = false;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const m of framesOf(this.buf)) {
        this.replies.push(Buffer.from(m));
        this.buf = this.buf.subarray(2 + m.length);
      }
      this.wake?.();
    });
    sock.on('error', () => sock.destroy());
    this.closed = new Promise((r) =>
      sock.on('close', () => {
        this.isClosed = true;
        this.wake?.();
        r();
      }),
    );
  }

  static open(t: Target): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: t.host, port: t.port, noDelay: true });
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new Conn(sock));
      });
      sock.once('error', reject);
    });
  }

  /** The next reply, or null once closed or at `until`. */
  next(until: number): Promise<Buffer | null> {
    if (this.replies.length) return Promise.resolve(this.replies.shift()!);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.wake = null;
          resolve(null);
        },
        Math.max(0, until - Date.now()),
      );
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve(this.replies.shift() ?? null);
      };
    });
  }
}

export async function fuzzTcp(
  t: Target,
  src: PacketSource,
  count: number,
  deadline: number,
  report: Report,
  inFlight: Buffer[],
): Promise<void> {
  let conn = await Conn.open(t);
  let probeId = 0x8000;
  let sent = 0;
  const streams: Promise<void>[] = [];
  try {
    while (sent < count && Date.now() < deadline) {
      const batch: Probed[] = [];
      inFlight.length = 0;
      for (; batch.length < WINDOW && sent < count; sent++) {
        const p = src.next();
        const probe = (probeId = (probeId + 1) & 0xffff);
        inFlight.push(p.bytes);
        if (sent % STREAM_EVERY === STREAM_EVERY - 1) {
          if (streams.length >= STREAMS_AT_ONCE) await Promise.race(streams);
          const s = stream(p.bytes, probeQuery(probe), src.rng);
          const job = fuzzStream(t, s.kind, s.writes, report).finally(() =>
            streams.splice(streams.indexOf(job), 1),
          );
          streams.push(job);
          continue;
        }
        conn.sock.write(
          Buffer.concat([frame(p.bytes.subarray(0, 0xffff)), frame(probeQuery(probe))]),
        );
        batch.push({ ...p, probe });
      }
      const { done: i, pending: got } = await readBatch(
        batch,
        (u) => conn.next(u),
        Date.now() + TCP_BOUND_MS,
        'tcp',
        report,
      );
      if (i < batch.length) {
        const c = batch[i]!;
        report.find({
          check: conn.isClosed ? 'tcp-closed' : 'probe-unanswered',
          transport: 'tcp',
          kind: c.kind,
          query: c.bytes,
          reply: got[0] ?? null,
          detail: conn.isClosed
            ? 'the server closed the connection before answering the known-good query after this packet'
            : `no reply to the known-good query sent after this packet within ${TCP_BOUND_MS} ms`,
        });
        conn.sock.destroy();
        conn = await Conn.open(t);
      }
    }
    await Promise.all(streams);
  } finally {
    conn.sock.destroy();
  }
}

/**
 * One framing trick: write, half-close, then expect a reply to exactly the messages the framing
 * yields that deserve one, in order, and the server's close, all within TCP_BOUND_MS.
 */
async function fuzzStream(
  t: Target,
  kind: string,
  writes: Buffer[],
  report: Report,
): Promise<void> {
  report.streams++;
  const all = Buffer.concat(writes);
  let c: Conn;
  try {
    c = await Conn.open(t);
  } catch (e) {
    // The listener is gone or refusing: the server died or its connection limit leaks.
    report.find({
      check: 'tcp-connect',
      transport: 'tcp-stream',
      kind,
      query: all,
      reply: null,
      detail: `cannot connect: ${(e as Error).message}`,
    });
    return;
  }
  try {
    for (const w of writes) {
      c.sock.write(w);
      // Let the event loop turn, so the server may read the writes apart.
      if (writes.length > 1) await new Promise((r) => setImmediate(r));
    }
    c.sock.end();
    const closed = await Promise.race([
      c.closed.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), TCP_BOUND_MS)),
    ]);
    const asked = framesOf(all).filter(deservesReply);
    if (!closed)
      report.find({
        check: 'tcp-hang',
        transport: 'tcp-stream',
        kind,
        query: all,
        reply: c.replies[0] ?? null,
        detail: `not closed within ${TCP_BOUND_MS} ms of the client's half-close`,
      });
    if (c.replies.length !== asked.length)
      report.find({
        check: 'tcp-stream-replies',
        transport: 'tcp-stream',
        kind,
        query: all,
        reply: c.replies[0] ?? null,
        detail: `${c.replies.length} replies to ${asked.length} messages that deserve one`,
      });
    report.sent.tcp++;
    report.kinds.set(kind, (report.kinds.get(kind) ?? 0) + 1);
    report.replies.tcp += c.replies.length;
    if (!c.replies.length) report.drops.tcp++;
    asked.forEach((q, i) => {
      const r = c.replies[i];
      if (r) report.reply('tcp', kind, Buffer.from(q), r);
    });
  } finally {
    c.sock.destroy();
  }
}
