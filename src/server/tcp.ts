import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { QueryHandler } from './handler.js';
import { servfailFor } from './servfail.js';

export interface TcpOptions {
  /**
   * RFC 7766 6.2.3: close a connection that has sent no complete query for this long. Bytes that
   * do not complete a message do not count, so a client trickling a frame cannot hold a slot.
   */
  idleTimeoutMs: number;
  /** Connections past this many are closed at once; open ones and UDP are not affected. */
  maxConnections: number;
}

/**
 * Stop reading from a client whose replies pile up unread (it is not reading its socket). Queries
 * already received stay queued, unanswered, until the backlog drains: memory per connection is
 * bounded by this plus one read.
 */
const WRITE_BACKLOG_LIMIT = 1 << 20;
/** At most one "limit reached" warning per interval, with the count: a flood must not flood the log. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * DNS over TCP (RFC 1035 4.2.2, RFC 7766): 2-octet length framing, any number of pipelined
 * queries per connection answered in order, an idle timeout, and a cap on connections. A client
 * that sends half a frame and stalls only holds its own connection until the idle timeout.
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
  opts: TcpOptions,
  log: Logger,
): Promise<TcpListener> {
  // allowHalfOpen: a client may send its queries and then shut its side down (RFC 7766 6.2.1
  // allows it); the replies still go out and the connection is ended once they are written.
  const server = createServer({ noDelay: true, allowHalfOpen: true });
  const open = new Set<Socket>();
  // net.Server closes connections past maxConnections right after accepting them ('drop').
  server.maxConnections = opts.maxConnections;
  server.on('connection', (sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    serveConnection(sock, handler, opts, log);
  });
  let dropped = 0;
  let lastDropLog = -Infinity;
  server.on('drop', (d?: { remoteAddress?: string }) => {
    dropped++;
    const now = Date.now();
    if (now - lastDropLog < DROP_LOG_INTERVAL_MS) return;
    log.warn(
      { client: d?.remoteAddress, max: opts.maxConnections, dropped },
      'tcp connection refused: limit reached',
    );
    lastDropLog = now;
    dropped = 0;
  });
  server.on('error', (err) => log.error({ err, host, port }, 'tcp listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}

/**
 * Received bytes cut into DNS messages. Chunks are kept as they arrive and joined only once a
 * whole frame is there, so a frame sent one octet at a time costs linear, not quadratic, copying.
 */
class Frames {
  private chunks: Buffer[] = [];
  private size = 0;

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

function serveConnection(sock: Socket, handler: QueryHandler, opts: TcpOptions, log: Logger): void {
  const remote = { address: sock.remoteAddress ?? '', family: sock.remoteFamily ?? '' };
  const frames = new Frames();
  let paused = false;
  let peerEnded = false;
  // Refreshed by each complete query and by write progress, not by stray bytes (see TcpOptions).
  const idle = setTimeout(() => sock.destroy(), opts.idleTimeoutMs);
  sock.on('close', () => clearTimeout(idle));
  sock.on('error', () => sock.destroy());

  // Answer every complete frame received, in order (RFC 7766 6.2.1.1 allows any order; in order is
  // simplest for clients), until the write backlog says the client is not reading.
  const pump = (): void => {
    while (!sock.destroyed) {
      if (sock.writableLength > WRITE_BACKLOG_LIMIT) {
        // 'drain' pumps again; until then the kernel's receive window pushes back on the client.
        if (!paused) sock.pause();
        paused = true;
        return;
      }
      const msg = frames.next();
      if (!msg) break;
      idle.refresh();
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
    // The client has shut its side and every whole query it sent is answered: finish (a partial
    // frame left over can never complete).
    if (peerEnded) {
      if (!sock.writableEnded) sock.end();
    } else if (paused) {
      paused = false;
      sock.resume();
    }
  };
  sock.on('data', (chunk: Buffer) => {
    frames.push(chunk);
    pump();
  });
  sock.on('drain', () => {
    idle.refresh();
    pump();
  });
  sock.on('end', () => {
    peerEnded = true;
    pump();
  });
}
