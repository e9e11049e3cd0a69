import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/log.js';
import type { QueryHandler } from './handler.js';
import { servfailFor } from './servfail.js';
import { DEFAULT_TCP_LIMITS, type TcpLimits } from './tcp-limits.js';
import { type ConnectionTable, type TcpConnection } from './tcp-table.js';

export interface TcpOptions extends Partial<TcpLimits> {
  /**
   * RFC 7766 6.2.3: close a connection that has sent no complete query for this long. Bytes that
   * do not complete a message do not count, so a client trickling a frame cannot hold a slot.
   */
  idleTimeoutMs: number;
  /**
   * Connections open at once, over every listener. At the cap the connection idle longest is
   * closed for a new one; a new one is refused only when none is idle (tcp-table.ts).
   */
  maxConnections: number;
  /** Time for the timeouts (tests); default: a monotonic clock. */
  clock?: Clock;
}

/** Every limit, with the defaults filled in. */
export function tcpLimits(opts: TcpOptions): TcpLimits {
  const out = { ...DEFAULT_TCP_LIMITS };
  for (const k of Object.keys(out) as (keyof TcpLimits)[])
    if (opts[k] !== undefined) out[k] = opts[k];
  return out;
}

/** Monotonic: a wall-clock step must not close every connection or keep them all. */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Connections the kernel may queue for accept (capped by net.core.somaxconn, 4096 on Linux since
 * 5.4). Node's default of 511 overflows under a connection flood between two turns of the event
 * loop, and an overflowing queue drops SYNs: a resolver's connection then waits for its SYN to be
 * retransmitted, a second or more, instead of a few milliseconds in the queue.
 */
const ACCEPT_BACKLOG = 4096;

const EMPTY = Buffer.alloc(0);

/** At most one warning per interval and kind, with the count: a flood must not flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): 2-octet length framing, any number of pipelined
 * queries per connection answered in order, and the limits of tcp-limits.ts. A client that sends
 * half a frame and stalls only holds its own connection until the message timeout.
 */
export interface TcpListener {
  server: Server;
  port: number;
  /** Stop accepting and end every open connection. */
  close(): Promise<void>;
}

export async function listenTcp(
  host: string,
  port: number,
  handler: QueryHandler,
  table: ConnectionTable,
  limits: TcpLimits,
  log: Logger,
  /** SO_REUSEPORT, as for UDP (udp.ts): each answer thread accepts on a listener of its own. */
  reusePort = false,
): Promise<TcpListener> {
  // allowHalfOpen: a client may send its queries and then shut its side down (RFC 7766 6.2.1
  // allows it); the replies still go out and the connection is ended once they are written.
  const server = createServer({ noDelay: true, allowHalfOpen: true });
  const open = new Set<TcpConnection>();
  const refusals = refusalLog(table, log);
  // Refuse before Node builds a Socket: right after accept(), net.Server asks its `blockList`
  // (the option of Node 22.13 and 23.4) whether to close the new handle at once. Measured on
  // loopback, a connection refused here costs about 60% of the CPU of one refused in
  // 'connection', which matters when a flood reconnects thousands of times a second. Should a
  // Node release stop asking, the same refusal happens in 'connection' below, only dearer.
  Object.assign(server, {
    blockList: {
      check: (address: string): boolean => {
        const r = table.screen(address);
        if (r) refusals(r.reason, address, r.network);
        return r !== null;
      },
    },
  });
  server.on('connection', (sock) => {
    const a = table.admit(sock.remoteAddress ?? '', () => sock.destroy());
    if (!a.ok) {
      sock.destroy();
      refusals(a.reason, sock.remoteAddress, a.network);
      return;
    }
    if (a.evicted) refusals('pressure', sock.remoteAddress, a.conn.network);
    open.add(a.conn);
    sock.on('close', () => {
      open.delete(a.conn);
      table.ended(a.conn, 'client');
    });
    serveConnection(sock, a.conn, handler, table, limits, log);
  });
  // The error logger goes on once listening: a bind failure is the caller's to handle (a port-0
  // start retries EADDRINUSE), not an error line of its own.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { host, port, ipv6Only: host.includes(':'), backlog: ACCEPT_BACKLOG, reusePort },
      () => {
        server.off('error', reject);
        server.on('error', (err) => log.error({ err, host, port }, 'tcp listener error'));
        resolve();
      },
    );
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of open) table.close(c, 'shutdown');
      }),
  };
}

function refusalLog(
  table: ConnectionTable,
  log: Logger,
): (kind: 'full' | 'network_limit' | 'pressure', client?: string, network?: string) => void {
  const state = new Map<string, { n: number; last: number }>();
  const messages = {
    full: 'tcp connection refused: limit reached',
    network_limit: 'tcp connection refused: client network limit reached',
    pressure:
      'tcp: closed the oldest idle connection to admit a new one (connection limit reached)',
  };
  return (kind, client, network) => {
    const s = state.get(kind) ?? { n: 0, last: -Infinity };
    state.set(kind, s);
    s.n++;
    const now = table.clock.now();
    if (now - s.last < REFUSAL_LOG_INTERVAL_MS) return;
    const { maxConnections, perNetwork } = table.limits;
    const fields =
      kind === 'network_limit'
        ? { client, network, limit: perNetwork }
        : { client, max: maxConnections };
    log.warn({ ...fields, count: s.n }, messages[kind]);
    s.last = now;
    s.n = 0;
  };
}

/**
 * Received bytes cut into DNS messages. Chunks are kept as they arrive and joined only once a
 * whole frame is there, so a frame sent one octet at a time costs linear, not quadratic, copying.
 */
class Frames {
  private chunks: Buffer[] = [];
  size = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The next complete message (without its length prefix), or null until one has arrived. */
  next(): Buffer | null {
    if (this.size < 2) return null;
    if (this.chunks[0]!.length < 2) this.join();
    const len = this.chunks[0]!.readUInt16BE(0);
    if (this.size < 2 + len) return null;
    if (this.chunks[0]!.length < 2 + len) this.join();
    const head = this.chunks[0]!;
    const msg = head.subarray(2, 2 + len);
    if (head.length === 2 + len) this.chunks.shift();
    else this.chunks[0] = head.subarray(2 + len);
    this.size -= 2 + len;
    return msg;
  }

  private join(): void {
    this.chunks = [Buffer.concat(this.chunks, this.size)];
  }
}

function serveConnection(
  sock: Socket,
  conn: TcpConnection,
  handler: QueryHandler,
  table: ConnectionTable,
  limits: TcpLimits,
  log: Logger,
): void {
  const remote = { address: sock.remoteAddress ?? '', family: sock.remoteFamily ?? '' };
  const frames = new Frames();
  let paused = false;
  let peerEnded = false;
  let scheduled = false;
  sock.on('error', () => table.close(conn, 'error'));

  // Busy: a message half received, queries waiting their turn, or a reply not yet handed to the
  // kernel. Only busy connections are held to the message timeout; only idle ones are evicted.
  const settle = (progress: boolean): void =>
    table.mark(conn, frames.size > 0 || sock.writableLength > 0 || scheduled, progress);
  // Replies the kernel could not take at once: an empty write's callback runs once every earlier
  // write has gone, which is progress (a client reading slowly is not stuck). Replies taken at once
  // need no callback: a write callback costs a tick per turn, on the path of every query.
  let watching = false;
  const watch = (): void => {
    if (watching || sock.writableLength === 0 || sock.writableEnded) return;
    watching = true;
    sock.write(EMPTY, flushed);
  };
  const flushed = (): void => {
    watching = false;
    if (sock.destroyed) return;
    watch();
    settle(true);
  };

  // Answer complete frames in order (RFC 7766 6.2.1.1 allows any order; in order is simplest for
  // clients), up to maxPipelined per turn of the event loop, while the client reads its replies.
  const pump = (): void => {
    scheduled = false;
    let answered = 0;
    let blocked = false;
    while (!sock.destroyed) {
      // The client is not reading: 'drain' pumps again (write() returned false long before this).
      if (sock.writableLength > limits.maxBufferedBytes) {
        blocked = true;
        break;
      }
      if (answered === limits.maxPipelined) {
        scheduled = true;
        setImmediate(pump);
        break;
      }
      const msg = frames.next();
      if (!msg) break;
      answered++;
      let out: Buffer | null;
      try {
        out = handler.handle(msg, 'tcp', remote);
      } catch (err) {
        // A bug must cost one SERVFAIL, never the connection or the process.
        log.error({ err, client: sock.remoteAddress }, 'query failed');
        out = servfailFor(msg);
      }
      if (!out) continue;
      const frame = Buffer.allocUnsafe(out.length + 2);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      sock.write(frame);
    }
    if (sock.destroyed) return;
    watch();
    // Stop reading while either buffer is over the bound; the kernel's window pushes back.
    const full = blocked || frames.size > limits.maxBufferedBytes;
    if (full !== paused) {
      paused = full;
      if (full) sock.pause();
      else sock.resume();
    }
    // The client has shut its side and every whole query it sent is answered: finish (a partial
    // frame left over can never complete).
    if (peerEnded && !blocked && !scheduled && !sock.writableEnded) sock.end();
    settle(answered > 0);
  };
  sock.on('data', (chunk: Buffer) => {
    frames.push(chunk);
    if (!scheduled) pump();
  });
  sock.on('drain', () => {
    if (!scheduled) pump();
  });
  sock.on('end', () => {
    peerEnded = true;
    if (!scheduled) pump();
  });
}
