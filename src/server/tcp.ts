import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { QueryHandler } from './handler.js';
import { servfailFor } from './servfail.js';

export interface TcpOptions {
  /** RFC 7766 6.2.3: close idle connections; a few seconds is the recommended order. */
  idleTimeoutMs: number;
  maxConnections: number;
}

/** Stop reading from a client whose replies pile up unread (it is not reading its socket). */
const WRITE_BACKLOG_LIMIT = 1 << 20;

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

export async function listenTcp(host: string, port: number, handler: QueryHandler, opts: TcpOptions, log: Logger): Promise<TcpListener> {
  const server = createServer({ noDelay: true });
  const open = new Set<Socket>();
  server.maxConnections = opts.maxConnections;
  server.on('connection', (sock) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    serveConnection(sock, handler, opts, log);
  });
  server.on('drop', (d) => log.warn({ client: d?.remoteAddress, max: opts.maxConnections }, 'tcp connection refused: limit reached'));
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

function serveConnection(sock: Socket, handler: QueryHandler, opts: TcpOptions, log: Logger): void {
  let pending: Buffer = Buffer.alloc(0);
  sock.setTimeout(opts.idleTimeoutMs, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.on('drain', () => sock.resume());
  sock.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (pending.length - off >= 2) {
      const len = pending.readUInt16BE(off);
      if (pending.length - off - 2 < len) break;
      const msg = pending.subarray(off + 2, off + 2 + len);
      off += 2 + len;
      let out: Buffer | null;
      try {
        out = handler.handle(msg, 'tcp');
      } catch (err) {
        log.error({ err, client: sock.remoteAddress }, 'query failed');
        out = servfailFor(msg);
      }
      if (!out) continue;
      const frame = Buffer.allocUnsafe(out.length + 2);
      frame.writeUInt16BE(out.length, 0);
      out.copy(frame, 2);
      if (!sock.write(frame) && sock.writableLength > WRITE_BACKLOG_LIMIT) sock.pause();
    }
    pending = off === pending.length ? Buffer.alloc(0) : Buffer.from(pending.subarray(off));
  });
}
