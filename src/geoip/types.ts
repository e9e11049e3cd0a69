// What the steering policies need to know about a client network. The source behind it (a
// MaxMind-format database, operator overrides, a default) is hidden behind GeoLocator.
import type { LookupBudget } from './budget.js';

export interface Location {
  lat: number;
  lon: number;
}

export type GeoSource = 'override' | 'database' | 'default' | 'none';

export interface GeoResult {
  /** Where the answer came from: an operator override, the database, the configured default, or nothing. */
  source: GeoSource;
  location: Location | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string | null;
  /** AF AN AS EU NA OC SA. Derived from the country when the database has no continent. */
  continent: string | null;
  /** ISO 3166-2 code such as "US-CA", when the database has one (GeoIP2 City does, DB-IP Lite does not). */
  subdivision: string | null;
  /** An override may send a network straight to a named site. */
  site: string | null;
  /**
   * Length of the network prefix this result holds for: every address in `network` gets this same
   * result. Used for the ECS scope (RFC 7871 7.2.1) and for caching per network.
   */
  prefixLength: number;
  /** That network in CIDR notation, for explain output. */
  network: string;
  /** Which database file or override file:line gave the result, for explain output. */
  origin: string;
}

/**
 * Locates client networks. Implementations must be synchronous and cheap enough to call per query
 * (cache per network as needed); they never throw for an address they do not know (source 'none').
 */
export interface GeoLocator {
  /** `address` is 4 or 16 octets; bits beyond `prefix` are zero. */
  locate(address: Uint8Array, prefix: number): GeoResult;
  /**
   * Optional: the same answer as `locate`, without caching it. ECS scope widening
   * (src/policy/scope.ts) looks at networks next to the client's that no client asked about, and
   * must not push real clients out of the cache. A locator without it gets no widening: the scope
   * is then the network `locate` reports.
   */
  locateUncached?(address: Uint8Array, prefix: number): GeoResult;
  /**
   * Optional: how many `locateUncached` lookups widening may make per second, process-wide
   * (src/geoip/budget.ts). Without it, widening is unbounded in rate (each one is still bounded).
   */
  readonly widening?: LookupBudget;
  /** Bumped whenever the underlying data changes (database reopened, overrides reloaded). */
  readonly version: number;
}
