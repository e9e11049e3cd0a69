import type { ZoneDnssec } from '../dnssec/zone-keys.js';
import type { Delegation } from '../policy/referral.js';
import type { DynamicRecord } from '../policy/dynamic.js';
import type { Site } from '../policy/site.js';
import type { RRset } from '../wire/rr.js';

/** One owner name in a compiled zone. Empty non-terminals are nodes with no RRsets. */
export interface ZoneNode {
  /** Owner name as the zone file spells it (absolute, no trailing dot). */
  readonly name: string;
  readonly rrsets: ReadonlyMap<number, RRset>;
  /** A delegation point: NS below the apex (RFC 1034 4.2.1). */
  readonly cut: boolean;
  /** Below a delegation point: only glue lives here, never answered authoritatively. */
  readonly occluded: boolean;
  /** A steered name: A/AAAA answers are picked per query by a policy (src/policy). */
  readonly dynamic: DynamicRecord | null;
  /**
   * A `steer: delegate` name (a cut): its referral names the nameservers of the sites available
   * now (docs/delegation.md). Absent or null for every other node.
   */
  readonly delegation?: Delegation | null;
}

/**
 * A compiled zone: immutable once built. The query path only reads it; reloads build a new one.
 */
export interface Zone {
  /** Origin as written in the file. */
  readonly origin: string;
  /** Case-folded origin: the lookup key. */
  readonly key: string;
  readonly file: string;
  readonly soa: RRset;
  readonly ns: RRset;
  /** RFC 2308 3/5: SOA for negative answers, TTL = min(SOA TTL, SOA MINIMUM). */
  readonly negativeSoa: RRset;
  /** Case-folded owner name → node, including the apex and every empty non-terminal. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /** The zone's datacenter sites, by name (`sites:`). */
  readonly sites: ReadonlyMap<string, Site>;
  readonly hasCuts: boolean;
  /**
   * `dnssec:` (docs/dnssec.md): the stanza and the keys it names (read by load.ts); null or
   * absent for an unsigned zone. Answers to DO=1 queries are signed with them (dnssec/answer.ts).
   */
  readonly dnssec?: ZoneDnssec | null;
  /** Canonical text of the zone's content, used to detect what changed on reload. */
  readonly fingerprint: string;
}
