import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve as resolvePath } from 'node:path';
import { type AdminConfig, parseAdminConfig } from './admin/config.js';
import { defaultGeoipConfig, type GeoipConfig, parseGeoipConfig } from './geoip/config.js';
import { LOG_LEVELS, type LogLevel } from './base/log.js';
import { type Endpoint, parseEndpoint } from './base/endpoint.js';
import { DEFAULT_COLD_START_MS, DEFAULT_TCP } from './server/options.js';
import { DEFAULT_CONCURRENCY } from './health/checks.js';
import { parseTcpLimits } from './server/tcp-config.js';
import { DEFAULT_TCP_LIMITS, type TcpLimits } from './server/tcp-limits.js';
import {
  type CookiesConfig,
  defaultCookiesConfig,
  defaultRrlConfig,
  parseCookiesConfig,
  parseRrlConfig,
  type RrlConfig,
} from './server/rrl-config.js';
import { type DnssecDefaults, parseDnssecDefaults } from './dnssec/config.js';
import { type FleetConfig, parseFleetConfig } from './fleet/config.js';
import { ProblemCode as C, ProblemsError, sortProblems } from './base/errors.js';
import {
  checkKeys,
  isScalar,
  isSeq,
  listOf,
  mapEntries,
  scalarBool,
  scalarInt,
  scalarString,
  type Node,
  Source,
} from './base/yaml-source.js';

export interface Config {
  listen: Endpoint[];
  udp: boolean;
  tcp: boolean;
  zones: string;
  logLevel: LogLevel;
  queryLog: boolean;
  watch: boolean;
  tcpIdleTimeoutMs: number;
  tcpMaxConnections: number;
  /** Per-network, pressure, slow-client and per-connection TCP limits (docs/server.md#tcp-limits). */
  tcpLimits: TcpLimits;
  /**
   * Answer threads, each with its own sockets (docs/deployment.md#threads): a number, or 'auto'
   * for the cores this process may use (os.availableParallelism).
   */
  threads: number | 'auto';
  /** GeoIP databases, overrides and default location (docs/geoip.md). */
  geoip: GeoipConfig;
  /** Manual overrides kept across restarts (docs/health.md); null: DEFAULT_STATE_FILE. */
  stateFile: string | null;
  /** Most health probes in flight at once. */
  probeConcurrency: number;
  /** Longest wait for the first probe round before the listeners open, in ms. */
  coldStartMs: number;
  /**
   * The admin API (docs/admin.md): absent when the file has no `admin:` (the default listener,
   * 127.0.0.1:8053), false for `admin: false`.
   */
  admin?: AdminConfig | false;
  /**
   * Also serve as this site's nameserver: the child zones of the `steer: delegate` names that list
   * it (docs/delegation.md). Null: the parent role only.
   */
  site: string | null;
  /** Response rate limiting (docs/rrl.md). */
  rrl: RrlConfig;
  /** DNS cookies (docs/rrl.md). */
  cookies: CookiesConfig;
  /** Overrides and verdicts shared through etcd (docs/fleet.md); null: this instance alone. */
  fleet: FleetConfig | null;
  /** Defaults for every zone file's `dnssec:` (docs/dnssec.md#configuration); null: none. */
  dnssec: DnssecDefaults | null;
}

/** Where overrides are kept by default: beside the config file, or in the working directory. */
export const DEFAULT_STATE_FILE = '.state/geosteer-state.json';

export const DEFAULT_CONFIG: Config = {
  listen: [
    { host: '127.0.0.1', port: 5353 },
    { host: '::1', port: 5353 },
  ],
  udp: true,
  tcp: true,
  zones: 'zones',
  logLevel: 'info',
  queryLog: false,
  watch: true,
  tcpIdleTimeoutMs: DEFAULT_TCP.idleTimeoutMs,
  tcpMaxConnections: DEFAULT_TCP.maxConnections,
  tcpLimits: DEFAULT_TCP_LIMITS,
  threads: 1,
  geoip: defaultGeoipConfig(),
  stateFile: null,
  probeConcurrency: DEFAULT_CONCURRENCY,
  coldStartMs: DEFAULT_COLD_START_MS,
  site: null,
  rrl: defaultRrlConfig(),
  cookies: defaultCookiesConfig(),
  fleet: null,
  dnssec: null,
};

const KEYS = [
  'listen',
  'udp',
  'tcp',
  'zones',
  'log_level',
  'query_log',
  'watch',
  'tcp_idle_timeout_ms',
  'tcp_max_connections',
  'tcp_limits',
  'threads',
  // Gone (node:cluster); kept in the list so an old config gets the error pointing at `threads`.
  'workers',
  'geoip',
  'state_file',
  'probe_concurrency',
  'cold_start_ms',
  'admin',
  'site',
  'rrl',
  'cookies',
  'fleet',
  'dnssec',
] as const;

/** Read the YAML config; relative paths in it are relative to the file. Unknown keys are errors. */
export async function loadConfig(file: string): Promise<Config> {
  const src = new Source(file, await readFile(file, 'utf8'));
  const cfg: Config = { ...DEFAULT_CONFIG, geoip: defaultGeoipConfig(dirname(file)) };
  const entries = src.root === null ? [] : mapEntries(src, src.root, '');
  if (entries) {
    checkKeys(src, entries, KEYS, 'config');
    for (const e of entries) {
      switch (e.key) {
        case 'listen': {
          const eps: Endpoint[] = [];
          const values = listOf(src, e.value, e.path);
          if (values.length === 0 && isSeq(e.value)) {
            const why = 'at least one address is needed (e.g. 127.0.0.1:5353)';
            src.report(e.value, e.path, C.missingKey, why);
          }
          for (const v of values) {
            const ep = parseEndpoint(String(v.value));
            if (ep) {
              eps.push(ep);
              continue;
            }
            const why = `not an address with optional port (e.g. 127.0.0.1:5353 or [::1]:5353): "${String(v.value)}"`;
            src.report(v.node, v.path, C.badAddress, why);
          }
          cfg.listen = eps;
          break;
        }
        case 'udp':
        case 'tcp':
        case 'watch':
        case 'query_log': {
          const b = scalarBool(src, e.value, e.path);
          if (b !== null) cfg[e.key === 'query_log' ? 'queryLog' : e.key] = b;
          break;
        }
        case 'zones': {
          const s = scalarString(src, e.value, e.path);
          if (s !== null) cfg.zones = resolvePath(dirname(file), s);
          break;
        }
        case 'log_level': {
          const s = scalarString(src, e.value, e.path);
          if (s !== null && (LOG_LEVELS as readonly string[]).includes(s))
            cfg.logLevel = s as LogLevel;
          else if (s !== null)
            src.report(e.value, e.path, C.badValue, `must be one of ${LOG_LEVELS.join(', ')}`);
          break;
        }
        case 'tcp_idle_timeout_ms':
          cfg.tcpIdleTimeoutMs =
            scalarInt(src, e.value, e.path, 100, 3_600_000) ?? cfg.tcpIdleTimeoutMs;
          break;
        case 'tcp_max_connections':
          cfg.tcpMaxConnections =
            scalarInt(src, e.value, e.path, 1, 1_000_000) ?? cfg.tcpMaxConnections;
          break;
        case 'tcp_limits':
          cfg.tcpLimits = parseTcpLimits(src, e.value, e.path);
          break;
        case 'threads':
          cfg.threads = parseThreads(src, e.value, e.path) ?? cfg.threads;
          break;
        case 'workers':
          src.report(e.value, e.path, C.badValue, WORKERS_GONE);
          break;
        case 'geoip':
          cfg.geoip = parseGeoipConfig(src, e.value, e.path, dirname(file));
          break;
        case 'state_file': {
          const s = scalarString(src, e.value, e.path);
          if (s !== null) cfg.stateFile = resolvePath(dirname(file), s);
          break;
        }
        case 'probe_concurrency':
          cfg.probeConcurrency = scalarInt(src, e.value, e.path, 1, 10_000) ?? cfg.probeConcurrency;
          break;
        case 'cold_start_ms':
          cfg.coldStartMs = scalarInt(src, e.value, e.path, 0, 600_000) ?? cfg.coldStartMs;
          break;
        case 'admin':
          cfg.admin = parseAdminConfig(src, e.value, e.path, dirname(file));
          break;
        case 'rrl':
          cfg.rrl = parseRrlConfig(src, e.value, e.path);
          break;
        case 'cookies':
          cfg.cookies = parseCookiesConfig(src, e.value, e.path, dirname(file));
          break;
        case 'fleet':
          cfg.fleet = parseFleetConfig(src, e.value, e.path, dirname(file));
          break;
        case 'dnssec':
          cfg.dnssec = parseDnssecDefaults(src, e.value, e.path, dirname(file));
          break;
        case 'site': {
          // Whether a zone declares it is checked when the zones load (GeosteerServer.start).
          const s = scalarString(src, e.value, e.path);
          if (s !== null && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s)) cfg.site = s;
          else if (s !== null)
            src.report(
              e.value,
              e.path,
              C.badValue,
              `site names use letters, digits, '-', '_' and '.', got "${s}"`,
            );
          break;
        }
      }
    }
  }
  if (!cfg.udp && !cfg.tcp) {
    const e = entries?.find((x) => x.key === 'tcp') ?? entries?.find((x) => x.key === 'udp');
    src.report(
      e?.value ?? src.root,
      e?.path ?? '',
      C.badValue,
      'udp and tcp are both false: nothing would be served',
    );
  }
  // In reading order, as a compiler lists them (unknown keys are found before values are read).
  if (src.problems.length) throw new ProblemsError(sortProblems(src.problems));
  return cfg;
}

/** Said to a config or command line that still sets `workers` (node:cluster is gone). */
export const WORKERS_GONE =
  'workers (node:cluster worker processes) is gone: use threads: N or threads: auto, answer threads in one process that share health, GeoIP, the admin API and metrics (docs/deployment.md#threads)';

/** Most answer threads: past the cores of any one host, more only contend. */
export const MAX_THREADS = 256;

/** `threads: auto | N`. */
function parseThreads(src: Source, node: Node | null, path: string): number | 'auto' | null {
  if (isScalar(node) && node.value === 'auto') return 'auto';
  if (isScalar(node) && typeof node.value === 'number')
    return scalarInt(src, node, path, 1, MAX_THREADS);
  src.report(node, path, C.badValue, `must be auto or a whole number 1-${MAX_THREADS}`);
  return null;
}

/** The thread count `threads` asks for: auto is the cores this process may use. */
export function threadCount(t: number | 'auto'): number {
  return t === 'auto' ? Math.max(1, Math.min(MAX_THREADS, availableParallelism())) : t;
}
