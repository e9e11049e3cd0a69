// What the server offers a layer above it (the admin API) without knowing it: a read view of its
// parts, and hooks at the points of start-up and shut-down where that layer joins in.
// src/serve.ts attaches the admin API here; the server never imports src/admin/.
import type { HealthProber, ProberOptions } from '../health/prober.js';
import type { HealthTable } from '../health/table.js';
import type { AnswerCounts } from './answer-pool.js';
import type { QueryHandler } from './handler.js';
import type { Reloader } from './reloader.js';
import type { TcpStats } from './tcp-table.js';

/** The running server's parts, as an attachment may read them (and the health table, change). */
export interface ServerView {
  readonly handler: QueryHandler;
  readonly health: HealthTable;
  readonly prober: HealthProber;
  readonly reloader: Reloader;
  /** TCP connection counts. */
  readonly tcp?: TcpStats;
  /** What was answered, over every answer thread (the handler's own counts when it answers). */
  readonly answers: AnswerCounts;
  readonly zonesDir: string;
  readonly stateFile: string | null;
}

/** Started and stopped with the server. */
export interface ServerAttachment {
  /**
   * Called before the state file is read and the cold-start probe round runs, so both are seen:
   * may observe `health` and return the probe options with its own result hook added.
   */
  instrument<T extends ProberOptions>(health: HealthTable, probes: T | undefined): T | undefined;
  /** After the DNS listeners open. Rejecting stops the server's start. */
  open(view: ServerView): Promise<void>;
  /** First thing when the server closes (or when its start fails after attaching). */
  close(): Promise<void>;
}
