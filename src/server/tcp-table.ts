// Which TCP connections the server keeps (docs/server.md#tcp-limits). Bookkeeping only: no
// sockets here, time comes from an injected clock, so the policy is tested exactly
// (test/tcp-table.test.ts). tcp.ts tells the table when a connection is busy or idle and makes
// progress; the table decides which to admit, refuse, evict or time out, and counts why.
import type { Clock } from '../base/clock.js';
import type { TcpLimits } from './tcp-limits.js';
import { networkOf } from './tcp-network.js';

/** Why a connection ended (geosteer_tcp_connections_closed_total{reason}). */
export const CLOSE_REASONS = [
  'idle', // no query for the idle timeout (shorter under pressure)
  'pressure', // the oldest idle connection, closed at the cap to admit a new one
  'network_limit', // a new connection past its client network's limit, closed at once
  'full', // a new connection at the cap with no idle connection to close, closed at once
  'slow', // a half-received message, or a reply the client did not read, past the message timeout
  'error', // a socket error (reset by the client, ...)
  'client', // closed by the client
  'shutdown', // the server stopped
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export interface TcpStats {
  /** Connections open now. */
  open: number;
  /** Connections admitted since start. */
  accepted: number;
  /** Connections ended, and new ones refused, since start, by reason. */
  closed: Record<CloseReason, number>;
}

export interface TableLimits extends Pick<
  TcpLimits,
  'perNetwork' | 'ipv4Prefix' | 'ipv6Prefix' | 'pressureIdleTimeoutMs' | 'messageTimeoutMs'
> {
  maxConnections: number;
  idleTimeoutMs: number;
}

/** One admitted connection, as the table sees it. */
export class TcpConnection {
  live = true;
  busy = false;
  /** When it last made progress (a whole query in, a reply out) or changed state. */
  since: number;
  constructor(
    readonly network: string,
    readonly destroy: () => void,
    now: number,
  ) {
    this.since = now;
  }
}

export type Admission =
  | { ok: true; conn: TcpConnection; evicted: TcpConnection | null }
  | { ok: false; reason: 'network_limit' | 'full'; network: string };

export class ConnectionTable {
  readonly stats: TcpStats = {
    open: 0,
    accepted: 0,
    closed: Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as Record<CloseReason, number>,
  };
  // Sets keep insertion order, and a connection is re-inserted whenever its `since` moves on, so
  // each set's first entry is the one idle (or stuck) longest: eviction and sweeps are O(1).
  private readonly idle = new Set<TcpConnection>();
  private readonly busy = new Set<TcpConnection>();
  private readonly perNetwork = new Map<string, number>();
  private timer: unknown = null;
  private timerAt = Infinity;

  constructor(
    readonly limits: TableLimits,
    readonly clock: Clock,
  ) {}

  /** True above half the cap, where the idle timeout shortens (NSD's rule). */
  get underPressure(): boolean {
    return this.stats.open * 2 > this.limits.maxConnections;
  }

  /** The idle timeout in force now. */
  get idleTimeoutMs(): number {
    const { idleTimeoutMs, pressureIdleTimeoutMs } = this.limits;
    return this.underPressure ? Math.min(idleTimeoutMs, pressureIdleTimeoutMs) : idleTimeoutMs;
  }

  /**
   * A new connection from `address`: refused when its network is at its limit; at the cap, the
   * connection idle longest is closed to make room (RFC 7766 6.2.3, 6.2.4: a server may close
   * idle connections, and any connection to defend itself), and only when none is idle is the
   * new one refused.
   */
  admit(address: string, destroy: () => void): Admission {
    const network = networkOf(address, this.limits.ipv4Prefix, this.limits.ipv6Prefix);
    const refused = this.refusal(network);
    if (refused) {
      this.stats.closed[refused]++;
      return { ok: false, reason: refused, network };
    }
    const held = this.perNetwork.get(network) ?? 0;
    let evicted: TcpConnection | null = null;
    if (this.stats.open >= this.limits.maxConnections) {
      evicted = first(this.idle)!;
      this.close(evicted, 'pressure');
    }
    const conn = new TcpConnection(network, destroy, this.clock.now());
    this.idle.add(conn);
    this.perNetwork.set(network, held + 1);
    this.stats.open++;
    this.stats.accepted++;
    this.arm();
    return { ok: true, conn, evicted };
  }

  /**
   * Refuse a new connection from `address` before it is set up, counted, if admit() would:
   * the reason and network, or null when it would be admitted.
   */
  screen(address: string): { reason: 'network_limit' | 'full'; network: string } | null {
    const network = networkOf(address, this.limits.ipv4Prefix, this.limits.ipv6Prefix);
    const reason = this.refusal(network);
    if (!reason) return null;
    this.stats.closed[reason]++;
    return { reason, network };
  }

  /** Why a new connection from `network` would be refused now, or null: it would be admitted. */
  refusal(network: string): 'network_limit' | 'full' | null {
    if ((this.perNetwork.get(network) ?? 0) >= this.limits.perNetwork) return 'network_limit';
    if (this.stats.open >= this.limits.maxConnections && this.idle.size === 0) return 'full';
    return null;
  }

  /**
   * Say whether `conn` is busy (a message half received, queries waiting, a reply unsent) and
   * whether it made progress. Its clock restarts on progress and on a change of state only, so
   * octets that do not complete a message never keep a connection alive.
   */
  mark(conn: TcpConnection, busy: boolean, progress: boolean): void {
    if (!conn.live || (busy === conn.busy && !progress)) return;
    const changed = busy !== conn.busy;
    (conn.busy ? this.busy : this.idle).delete(conn);
    conn.busy = busy;
    conn.since = this.clock.now();
    (busy ? this.busy : this.idle).add(conn);
    // Progress within the same set only moves a deadline later: the timer set stands (it fires
    // early at worst, and the sweep sets the next). This is the path of every TCP query.
    if (changed) this.arm();
  }

  /** End `conn`, counted under `reason`; nothing if it has already ended. */
  close(conn: TcpConnection, reason: CloseReason): void {
    if (!this.forget(conn)) return;
    this.stats.closed[reason]++;
    conn.destroy();
  }

  /** `conn`'s socket closed by itself (the client, an error): count it, without destroying. */
  ended(conn: TcpConnection, reason: CloseReason): void {
    if (this.forget(conn)) this.stats.closed[reason]++;
  }

  /** Stop the sweep timer (the listeners have closed). */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /**
   * How long a busy connection may go without progress: the message timeout, but never more than
   * the idle timeout in force (a stalled connection is held no longer than an idle one).
   */
  get slowTimeoutMs(): number {
    return Math.min(this.limits.messageTimeoutMs, this.idleTimeoutMs);
  }

  /** Close every connection past its timeout, then wait for the next deadline. */
  sweep(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now() + TIMER_SLACK_MS;
    // The timeout is read again after each close: closing may end the pressure.
    for (let c = first(this.idle); c && now - c.since >= this.idleTimeoutMs; c = first(this.idle))
      this.close(c, 'idle');
    for (let c = first(this.busy); c && now - c.since >= this.slowTimeoutMs; c = first(this.busy))
      this.close(c, 'slow');
    this.arm();
  }

  private forget(conn: TcpConnection): boolean {
    if (!conn.live) return false;
    conn.live = false;
    (conn.busy ? this.busy : this.idle).delete(conn);
    const n = (this.perNetwork.get(conn.network) ?? 1) - 1;
    if (n > 0) this.perNetwork.set(conn.network, n);
    else this.perNetwork.delete(conn.network);
    this.stats.open--;
    return true;
  }

  /** One timer for every connection: set for the earliest deadline, if it is not set earlier. */
  private arm(): void {
    const i = first(this.idle);
    const b = first(this.busy);
    const next = Math.min(
      i ? i.since + this.idleTimeoutMs : Infinity,
      b ? b.since + this.slowTimeoutMs : Infinity,
    );
    if (next === Infinity || next >= this.timerAt) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => this.sweep(), Math.max(0, next - this.clock.now()));
  }
}

/**
 * Timers may fire up to a millisecond before they are due (libuv's loop time is whole
 * milliseconds, and lags the monotonic clock): a connection that close to its deadline is due.
 */
const TIMER_SLACK_MS = 1;

function first<T>(set: Set<T>): T | undefined {
  for (const v of set) return v;
  return undefined;
}
