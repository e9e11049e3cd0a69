// What starting a GeosteerServer takes (src/server/server.ts), and the defaults the config file
// (src/config.ts) fills in.
import type { DnssecDefaults } from '../dnssec/config.js';
import type { Endpoint } from '../base/endpoint.js';
import type { Logger } from '../base/log.js';
import type { GeoLocator } from '../geoip/types.js';
import type { ProberOptions } from '../health/prober.js';
import type { HealthTable } from '../health/table.js';
import type { StartPool } from './answer-pool.js';
import type { ServerAttachment } from './attachment.js';
import type { CookiesConfig, RrlConfig } from './rrl-config.js';
import type { TcpOptions } from './tcp.js';

export interface ServerOptions {
  listen: Endpoint[];
  udp: boolean;
  tcp: boolean;
  zonesDir: string;
  tcpOptions: TcpOptions;
  /** Reload when a file in the zones directory changes. */
  watch: boolean;
  /** One log line per query (debug aid; off by default, it costs throughput). */
  queryLog: boolean;
  log: Logger;
  /** Where clients are (steering policies); default: nowhere known. */
  geo?: GeoLocator;
  /** Site and address availability; default: a new table. The server's probes write into it. */
  health?: HealthTable;
  /** Keep manual overrides here across restarts (docs/health.md); none: they end with the process. */
  stateFile?: string | null;
  /** Probing: concurrency, the cold-start wait, and (tests) injected rng, clock and runner. */
  probes?: ProbeOptions;
  /**
   * Makes what joins the server's start and stop (the admin API: src/serve.ts wires it in);
   * called once the zones have loaded, so a bad zone is reported before, say, a missing token
   * file. None: nothing attached.
   */
  attach?: (() => Promise<ServerAttachment>) | null;
  /**
   * Serve as this site's nameserver too (docs/delegation.md): the child zone of every
   * `steer: delegate` name that lists the site, authoritatively. None: the parent role only.
   */
  site?: string | null;
  /** Response rate limiting of UDP replies (docs/rrl.md); none or disabled: off. */
  rrl?: RrlConfig | null;
  /** DNS cookies (docs/rrl.md); none or disabled: COOKIE options are ignored. */
  cookies?: CookiesConfig | null;
  /** The server config's `dnssec:`: defaults for every zone file's `dnssec:` (docs/dnssec.md). */
  dnssec?: DnssecDefaults | null;
  /** The clock RRL, cookies and DNSSEC signing read (tests move it); Date.now by default. */
  now?: () => number;
  /**
   * Answer elsewhere (answer threads, src/threads/, wired in by serve.ts): the pool opens the
   * listeners and this thread keeps everything else. None: this thread answers.
   */
  pool?: StartPool | null;
}

export interface ProbeOptions extends ProberOptions {
  /** Longest wait for the first probe round before the listeners open (docs/health.md#cold-start). */
  coldStartMs?: number;
}

/** Ten seconds: past that, serving with some addresses still unknown beats not serving. */
export const DEFAULT_COLD_START_MS = 10_000;

export const DEFAULT_TCP: TcpOptions = { idleTimeoutMs: 10_000, maxConnections: 1024 };
