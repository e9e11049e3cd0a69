// A compiled policy is data, not code: a plain object discriminated by `kind`, holding what the
// pick needs (weights, groups, rules, names) with sites referred to by member index. gdnsd and
// CoreDNS keep code apart from the data compiled at load the same way; here it is what lets a
// compiled zone cross to the answer threads by structured clone (docs/architecture.md#zone-images)
// with nothing compiled again there. The code that picks is chosen per query by kind
// (pickers.ts). What changes at run time (rotations, widened scopes) is never kept in these
// objects: it lives in the record's state (state.ts) or a cache keyed by the record.
import type { Network } from '../base/address.js';

/** `spread:` of a nearest record: a distance or a percentage beyond the nearest site. */
export type Spread = { readonly km: number } | { readonly percent: number } | null;

/** `steer: weighted`: smooth weighted round robin by `weights` (per member index). */
export interface WeightedPolicy {
  readonly kind: 'weighted';
  readonly clientDependent: false;
  /** `none`: addresses from the rotation's sites; `site`: every up address of one site. */
  readonly group: 'none' | 'site';
  readonly weights: readonly number[];
}

/** `steer: nearest`: the available sites ranked by distance from the client. */
export interface NearestPolicy {
  readonly kind: 'nearest';
  readonly clientDependent: true;
  readonly spread: Spread;
  /** `limit:` as written; null: not given. */
  readonly explicitLimit: number | null;
  /** The limit in force: `limit:`, else every site within `spread`, else 1. */
  readonly limit: number;
}

export interface Subnet extends Network {
  /** Canonical CIDR text (RFC 5952 for IPv6), the key for conflicts. */
  readonly text: string;
}

export interface Rule {
  /** Indexes into the policy's members, in the rule's order of preference. */
  readonly sites: number[];
  /** Where the rule is written, for conflicts and explain. */
  readonly label: string;
}

/** `steer: geo`: rules indexed for the pick (geo-rules.ts compiles them). */
export interface GeoPolicy {
  readonly kind: 'geo';
  readonly clientDependent: true;
  readonly byContinent: ReadonlyMap<string, Rule>;
  readonly byCountry: ReadonlyMap<string, Rule>;
  readonly bySubdivision: ReadonlyMap<string, Rule>;
  /** Longest prefix first, so the first containing subnet is the most specific. */
  readonly subnets: readonly { readonly net: Subnet; readonly rule: Rule }[];
  readonly fallback: Rule;
  /** The record has a subnet rule of the family: the locator's network is not widened. */
  readonly hasSubnets: { readonly 4: boolean; readonly 6: boolean };
}

/** `steer: failover`: groups of member indexes, most preferred first. */
export interface FailoverPolicy {
  readonly kind: 'failover';
  readonly clientDependent: false;
  readonly groups: readonly (readonly number[])[];
  readonly minAvailable: number;
  /** Each group's site names, for the trace. */
  readonly names: readonly string[];
}

/** `steer: sticky`: weighted rendezvous hashing of the client's network over `names`. */
export interface StickyPolicy {
  readonly kind: 'sticky';
  readonly clientDependent: true;
  /** The members' names: the hash keys (a reorder moves no network). */
  readonly names: readonly string[];
  readonly weights: readonly number[];
}

/** `steer: delegate` (and the apex of a site's child zone): every available site, as listed. */
export interface DelegatePolicy {
  readonly kind: 'delegate';
  readonly clientDependent: false;
}

/** A compiled policy: plain, structured-cloneable data. */
export type Policy =
  WeightedPolicy | NearestPolicy | GeoPolicy | FailoverPolicy | StickyPolicy | DelegatePolicy;

export type PolicyKind = Policy['kind'];
