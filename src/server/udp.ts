import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../base/log.js';
import type { QueryHandler } from './handler.js';
import { servfailFor } from './servfail.js';

/**
 * One UDP listener. Each datagram is answered synchronously; nothing waits on another client.
 *
 * Replies are queued and sent back to back once libuv has handed over the datagrams of one wake-up
 * (at most 32): sending each as it is made wakes the client once per reply, and those wake-ups
 * cost more CPU than answering (`npm run bench`: about 1.5x the qps, 11.3 -> 7.7 us CPU a query).
 * A reply waits at most for the rest of its batch.
 */
export async function listenUdp(
  host: string,
  port: number,
  handler: QueryHandler,
  log: Logger,
  /**
   * SO_REUSEPORT: every answer thread binds the address itself and the kernel spreads datagrams
   * over the sockets by the sender's address and port (src/threads/). Off: one socket per address.
   */
  reusePort = false,
): Promise<Socket> {
  const v6 = isIP(host) === 6;
  // ipv6Only lets [::]:53 and 0.0.0.0:53 be bound side by side.
  const sock = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, reusePort });
  const replies: Buffer[] = [];
  const peers: RemoteInfo[] = [];
  let closed = false;
  const flush = () => {
    // Replies still queued when the socket closes are dropped, as datagrams may be.
    for (let i = 0; i < replies.length && !closed; i++)
      sock.send(replies[i]!, peers[i]!.port, peers[i]!.address);
    replies.length = 0;
    peers.length = 0;
  };
  sock.on('close', () => (closed = true));
  sock.on('message', (msg, rinfo) => {
    let out: Buffer | null;
    try {
      out = handler.handle(msg, 'udp', rinfo);
    } catch (err) {
      // A bug must cost one SERVFAIL, never the process.
      log.error({ err, client: rinfo.address }, 'query failed');
      out = servfailFor(msg);
    }
    if (!out) return;
    if (replies.length === 0) setImmediate(flush);
    replies.push(out);
    peers.push(rinfo);
  });
  sock.on('error', (err) => log.error({ err, host, port }, 'udp socket error'));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ address: host, port, exclusive: false }, () => {
      sock.off('error', reject);
      resolve();
    });
  });
  try {
    // Absorb bursts instead of dropping them in the kernel; capped by net.core.rmem_max.
    sock.setRecvBufferSize(4 << 20);
  } catch {
    /* the default buffer still works */
  }
  return sock;
}
