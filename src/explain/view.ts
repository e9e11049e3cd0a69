// What explain finds, as JSON-serialisable data (CLI --json, the admin API's /explain).

import type { GeoSource, Location } from '../geoip/types.js';
import type { DecisionMode } from '../policy/decision.js';

/** Everything explain found, JSON-serialisable (no Maps, no typed arrays, no cycles). */
export interface Explanation {
  question: { name: string; type: string };
  client: ClientView;
  location: LocationView;
  /** The zone holding the name, or null when none does (the server REFUSES). */
  zone: { origin: string; file: string } | null;
  /** The names followed, in order: each CNAME, then the name that answered (or did not). */
  chain: ChainStep[];
  answer: AnswerView;
  /** Every line the resolver and the policies traced, in order. */
  trace: string[];
}

export interface ClientView {
  /** As given, e.g. "198.51.100.7" or "2001:db8::/48". */
  input: string;
  family: 4 | 6;
  /** The ECS SOURCE PREFIX-LENGTH a resolver would send for it: the given prefix, /32 or /128 without one. */
  sourcePrefix: number;
  /** The network the server steers by: the source cut to /24 or /56 (RFC 7871 11.1). */
  network: string;
  prefix: number;
}

export interface LocationView {
  source: GeoSource;
  /** The database file or override file:line; '' when nothing placed the client. */
  origin: string;
  /** The network the locator's answer holds for, and its prefix length. */
  network: string;
  prefixLength: number;
  country: string | null;
  continent: string | null;
  subdivision: string | null;
  /** A site named by an override. */
  site: string | null;
  location: Location | null;
  /** A policy on the way asked where the client is (nearest and geo do; weighted, failover and sticky do not). */
  usedByPolicy: boolean;
}

export type ChainKind =
  /** A CNAME, followed (RFC 1034 4.3.2 step 3.a). */
  | 'cname'
  /** Static records of the asked type. */
  | 'static'
  /** A/AAAA picked by a policy; see `steering`. */
  | 'steered'
  /** The name exists without the asked type (RFC 2308 2.2). */
  | 'nodata'
  | 'nxdomain'
  /** At or below a delegation: a referral, not an answer. */
  | 'referral'
  /** A CNAME target outside the zone: the resolver follows it elsewhere. */
  | 'external'
  /** A CNAME back to a name already followed: the chain stops. */
  | 'loop';

export interface ChainStep {
  name: string;
  kind: ChainKind;
  /** The data was synthesized from a wildcard (RFC 4592). */
  wildcard: boolean;
  /** cname: where it points, and the CNAME's TTL. */
  target?: string;
  ttl?: number;
  steering?: SteeringView;
}

export interface SteeringView {
  /** The steered record (owner name as the zone writes it) and its zone. */
  record: string;
  zone: string;
  policy: string;
  family: 4 | 6;
  /** TTL of the answer; most addresses it may hold (`answers`); what happens when no site is available. */
  ttl: number;
  answers: number;
  whenAllDown: string;
  /** Every site of the record, in the order the record lists them. */
  sites: SiteView[];
  /** What decided, in the zone file's terms (a geo rule, a failover group, an override...). */
  decidedBy: string | null;
  /** `policy` normally; otherwise the all-down rule used, or no site has the family at all. */
  mode: DecisionMode;
  /** Sites whose addresses are in the answer, in answer order. */
  chosen: string[];
  addresses: string[];
  /** The policy's ECS scope for this decision (the reply's is clamped to /24 or /56). */
  scope: number;
  /** Things to know when reading this decision (rotation state, fail-open...). */
  notes: string[];
  /** The trace lines this decision wrote. */
  trace: string[];
}

export interface SiteView {
  name: string;
  /** The zone file's administrative state. */
  state: 'enabled' | 'drain';
  /** Not drained, in the zone file or the health table. */
  open: boolean;
  /** Open with an up address of the asked family: a policy may choose it. */
  available: boolean;
  /** The site's addresses of the asked family, with their weights and health. */
  addresses: { address: string; weight: number; up: boolean }[];
  location: Location | null;
  country: string | null;
  /** Its addresses are in the answer. */
  chosen: boolean;
  /** nearest: km from the client's location (0.1 km); with `spread`, whether within it. */
  km?: number;
  withinSpread?: boolean;
  /** weighted, sticky: the weight in this record. */
  weight?: number;
  /** sticky: the rendezvous score; the highest wins. */
  score?: number;
  /** failover: the priority group, 1 first. */
  group?: number;
}

export interface RecordView {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface AnswerView {
  rcode: string;
  /** answer, NODATA, NXDOMAIN, a referral, or REFUSED (not our zone, or a zone transfer). */
  outcome: 'answer' | 'nodata' | 'nxdomain' | 'referral' | 'refused';
  aa: boolean;
  answer: RecordView[];
  authority: RecordView[];
  additional: RecordView[];
  /** A policy chose part of the answer. */
  steered: boolean;
  /** RFC 7871 7.2.1 SCOPE PREFIX-LENGTH the server would echo. */
  ecsScope: number;
}
