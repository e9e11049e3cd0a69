// What keeps one TCP client from holding the server (docs/server.md#tcp-limits): the numbers, their
// defaults and why. The YAML is read by tcp-config.ts; the policy is applied by tcp-table.ts
// (which connection to keep, close or refuse) and tcp.ts (per-connection bounds).

export interface TcpLimits {
  /**
   * Connections one client network may hold at once; a new one past it is closed at once.
   * RFC 7766 6.2.2 lets a server limit connections per client address or subnet, "much looser"
   * than the client's own guideline, since a subnet may be a resolver farm or a NAT.
   */
  perNetwork: number;
  /** The IPv4 prefix that makes a client network (/24, as RRL groups clients). */
  ipv4Prefix: number;
  /** The IPv6 prefix that makes a client network (/56: one customer's usual allocation). */
  ipv6Prefix: number;
  /**
   * The idle timeout while more than half of `maxConnections` are open (as NSD cuts its own
   * timeout to 200 ms above half of tcp-count): idle connections then cost the client little
   * (RFC 7766 6.2.3) and their slots are worth more to clients that have not connected yet.
   */
  pressureIdleTimeoutMs: number;
  /**
   * Longest time to receive one whole message once its first octet has come, or to hand the
   * client a pending reply (Knot's tcp-io-timeout): a client trickling a frame (slowloris) or
   * never reading its replies is closed after this long.
   */
  messageTimeoutMs: number;
  /**
   * Pipelined queries of one connection answered in one turn of the event loop; the rest wait
   * until every other connection and UDP have had a turn, so one client cannot stall the loop.
   */
  maxPipelined: number;
  /**
   * Received-but-unanswered octets, and answered-but-unsent octets, one connection may hold;
   * past it the server stops reading that connection (TCP's window pushes back on the client).
   */
  maxBufferedBytes: number;
}

/**
 * Defaults for an Internet-facing server with the default 1,024 connections:
 * - 128 per network: eight /24s are needed to fill the cap even before idle eviction, yet a
 *   resolver farm sharing a /24 still gets more connections than it uses (a resolver opens one
 *   per truncated answer and pipelines on it).
 * - 1 s idle under pressure: one round trip, even over a satellite path, is well under it, so a
 *   resolver retrying a truncated answer still gets its reply, while a flood must reconnect every
 *   second to keep a slot.
 * - 2 s per message: covers a retransmitted segment (RTO is 1 s on most stacks) on a long path;
 *   Knot's 500 ms is tighter and cuts clients on lossy links.
 * - 64 pipelined queries per turn: about a tenth of a millisecond of answering from the memo.
 * - 256 KiB buffered: four of the largest (64 KiB) replies.
 */
export const DEFAULT_TCP_LIMITS: TcpLimits = {
  perNetwork: 128,
  ipv4Prefix: 24,
  ipv6Prefix: 56,
  pressureIdleTimeoutMs: 1000,
  messageTimeoutMs: 2000,
  maxPipelined: 64,
  maxBufferedBytes: 256 * 1024,
};

/**
 * At least two of the largest messages (2 + 65535 octets each): an input buffer over the bound
 * then always holds a whole message to answer, so stopping reads can never stall a connection.
 */
export const MIN_BUFFERED_BYTES = 128 * 1024;
