// A steered record as compiled (DynamicRecord) and a decision made for it (Decision): the data
// the compile step (compile-record.ts) hands the pick step (decide.ts). Compiled records are
// immutable plain data (structured-cloneable: they cross to the answer threads, zone/share.ts);
// what changes per query (rotations, health surveys) lives in a SteerState (state.ts).
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { RData } from '../wire/rr.js';
import type { PolicyFacts } from './facts.js';
import { addressesOf, type Site, type SiteAddress } from './site.js';
import type { SteerState } from './state.js';
import type { ClientHint, Policy } from './types.js';

export const WHEN_ALL_DOWN = ['serve_all', 'fallback', 'nodata'] as const;
export type WhenAllDown = (typeof WHEN_ALL_DOWN)[number];
export const COMMON_KEYS = ['steer', 'ttl', 'answers', 'when_all_down', 'fallback'] as const;
/** Dynamic answers change as health changes, so they are cached briefly (gdnsd and Route 53 use similar values). */
export const DEFAULT_DYNAMIC_TTL = 30;
/** RFC 2181 8: TTLs are unsigned 31-bit values. */
export const MAX_DYNAMIC_TTL = 2147483647;
export const MAX_ANSWERS = 64;

/** A name whose A/AAAA answers a policy picks per query. Compiled once; see `decide`. */
export interface DynamicRecord {
  readonly zone: string;
  readonly name: string;
  readonly kind: string;
  readonly ttl: number;
  /** Most addresses in one answer: `answers:`, else the policy's default (see docs/steering.md). */
  readonly answers: number;
  readonly whenAllDown: WhenAllDown;
  readonly fallback: { readonly 4: readonly RData[]; readonly 6: readonly RData[] };
  /** The record's sites, in the order it lists them. */
  readonly members: readonly Site[];
  /** The compiled policy: data (policy-data.ts), picked from by its kind's code (pickers.ts). */
  readonly policy: Policy;
}

/** What one decision reads: the client, the health and GeoIP data, and the per-query state. */
export interface DecideContext {
  readonly family: 4 | 6;
  readonly client: ClientHint;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  locate(): GeoResult;
  /** Rotations and surveys, outside the compiled record (state.ts). */
  readonly state: SteerState;
  readonly trace: string[] | null;
  /** When set (explain), the shared step and the policy record what they weighed. */
  readonly facts?: PolicyFacts | null;
}

/** Up addresses of a site in one family: withdrawn addresses never reach an answer. */
export function upAddresses(
  rec: DynamicRecord,
  site: Site,
  family: 4 | 6,
  health: HealthView,
): SiteAddress[] {
  return addressesOf(site, family).filter((a) => health.addressUp(rec.zone, site.name, a.address));
}

/**
 * Available: not drained in the zone file, and available in the health table (not drained, not
 * forced down, at least min_healthy addresses up: docs/health.md).
 */
export function siteAvailable(rec: DynamicRecord, site: Site, health: HealthView): boolean {
  return site.state === 'enabled' && health.siteAvailable(rec.zone, site.name);
}

/** Not drained (zone file, health table): failing open ignores health, never a drain. */
export function siteOpen(rec: DynamicRecord, site: Site, health: HealthView): boolean {
  return site.state === 'enabled' && !health.siteDrained(rec.zone, site.name);
}
