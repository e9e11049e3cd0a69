// The messages between the main thread and its answer threads (structured clone over the
// worker's port; SharedArrayBuffers in them are shared, not copied).
import type { Endpoint } from '../base/endpoint.js';
import type { LogLevel } from '../base/log.js';
import type { GeoShare } from '../geoip/geo-locator.js';
import type { Listener } from '../server/answer-pool.js';
import type { CookiesConfig, RrlConfig } from '../server/rrl-config.js';
import type { TcpStats } from '../server/tcp-table.js';
import type { VerdictLayout } from './shared-verdicts.js';
import type { ZoneShare } from '../zone/share.js';

/** One zone generation as the threads install it: the compiled zones' images (zone-share.ts). */
export interface Generation {
  readonly generation: number;
  readonly zones: readonly ZoneShare[];
  /** The verdict table made for these zones, read from the swap on. */
  readonly verdicts: VerdictLayout;
}

export interface ThreadInit {
  readonly index: number;
  /** Port 0 only for thread 0; the others bind the ports thread 0 got. */
  readonly listen: readonly Endpoint[];
  readonly udp: boolean;
  readonly tcp: boolean;
  /** This thread's share of the TCP connection cap, and the other TCP settings. */
  readonly tcpOptions: {
    idleTimeoutMs: number;
    maxConnections: number;
    [limit: string]: number;
  };
  readonly queryLog: boolean;
  readonly logLevel: LogLevel;
  readonly rrl: RrlConfig | null;
  /** With the secret every thread shares (a cookie made by one thread is valid at the others). */
  readonly cookies: CookiesConfig | null;
  readonly zones: Generation;
  readonly geo: GeoShare | null;
}

/** One thread's counts since it started (src/server/answer-pool.ts AnswerCounts, as data). */
export interface ThreadCounts {
  /** [zone, qtype, rcode, policy, sites, udp, tcp] per AnswerTally. */
  readonly tallies: readonly [
    string | null,
    number,
    number,
    string | null,
    string[],
    number,
    number,
  ][];
  readonly rrl: { dropped: number[]; slipped: number[] } | null;
  readonly cookies: { verdicts: number[]; badcookies: number } | null;
  readonly tcp: TcpStats | null;
}

export type ToThread =
  /** Install this generation's zones and say so; answer from them only at `swap`. */
  | { type: 'build'; zones: Generation }
  /** Answer from the generation built (every thread has built it). */
  | { type: 'swap'; generation: number }
  /** Drop a generation built but not swapped in (another thread could not build it). */
  | { type: 'discard'; generation: number }
  | { type: 'geo'; geo: GeoShare }
  | { type: 'counts'; id: number }
  | { type: 'close' };

export type FromThread =
  | { type: 'listening'; listeners: Listener[] }
  | { type: 'failed'; message: string; code: string | null }
  | { type: 'built'; generation: number; error: string | null }
  | { type: 'counts'; id: number; counts: ThreadCounts }
  | { type: 'closed' };
