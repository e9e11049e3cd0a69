// Answering done somewhere else than on this thread: the answer threads of src/threads/, which
// serve.ts plugs in. The server stays the one authority (zones, health, reloads, the admin API)
// and only hands the pool what it decided; it never imports src/threads/.
import type { HealthTable } from '../health/table.js';
import type { ZoneSet } from '../zone/zone-set.js';
import type { AnswerTally, QueryHandler } from './handler.js';
import type { TcpStats } from './tcp-table.js';

export interface Listener {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

/**
 * What was answered, for the metrics and the status page: one handler's counts, or the sums over
 * every answer thread. Numbers only grow (a thread's counts are summed with the others').
 */
export interface AnswerCounts {
  answered(): Iterable<AnswerTally>;
  /** Responses RRL held back, by class (src/server/rrl.ts); null: RRL off. */
  readonly rrl: { readonly dropped: ArrayLike<number>; readonly slipped: ArrayLike<number> } | null;
  /** DNS cookie verdicts (src/server/cookies.ts); null: cookies off. */
  readonly cookies: { readonly verdicts: ArrayLike<number>; readonly badcookies: number } | null;
  /** TCP connection counts, over every listener; none: no TCP. */
  readonly tcp: TcpStats | undefined;
  /** Queries answered by each answer thread; one entry when this thread answers. */
  perThread(): readonly number[];
  /** Fetch fresh numbers from the answer threads; resolves at once when this thread answers. */
  refresh(): Promise<void>;
}

/** The counts of the handler and connection table that answer on this thread. */
export function localCounts(handler: QueryHandler, tcp: TcpStats | undefined): AnswerCounts {
  return {
    answered: () => handler.answered(),
    rrl: handler.rrl,
    cookies: handler.cookies,
    tcp,
    perThread: () => {
      let n = 0;
      for (const t of handler.answered()) n += t.udp + t.tcp;
      return [n];
    },
    refresh: () => Promise.resolve(),
  };
}

/** What the server hands a pool when it starts it, once zones, health and the prober are up. */
export interface PoolContext {
  /** Every zone served, a site's child zones included: the threads get them as data (zone/share.ts). */
  readonly zones: ZoneSet;
  readonly health: HealthTable;
  readonly handler: QueryHandler;
}

export interface AnswerPool {
  /** The listeners the pool's threads opened (each binds every one), as the server lists them. */
  readonly listeners: readonly Listener[];
  /** Answer threads started (`threads: auto` resolved), for the start-up line. */
  readonly threads: number;
  readonly counts: AnswerCounts;
  /**
   * Install a new generation everywhere; resolves once every thread answers from it (all switch
   * together), rejects (every thread keeping the old one) when any cannot build it.
   */
  install(zones: ZoneSet): Promise<void>;
  close(): Promise<void>;
}

export type StartPool = (ctx: PoolContext) => Promise<AnswerPool>;
