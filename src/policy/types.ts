import type { GeoLocator, GeoResult } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { Entry, Node, Source } from '../base/yaml-source.js';
import type { PolicyFacts } from './facts.js';
import type { Policy } from './policy-data.js';
import type { Site, SiteAddress } from './site.js';
import type { RecordState } from './state.js';

export type { Policy } from './policy-data.js';

/** The client a decision is made for: the ECS address when the query has one, else the source. */
export interface ClientHint {
  /** 4 or 16 octets, zero beyond `prefix`. */
  readonly address: Uint8Array;
  readonly family: 4 | 6;
  /** Significant bits: the ECS source prefix (capped at /24, /56) or /24, /56 of the source address. */
  readonly prefix: number;
  readonly fromEcs: boolean;
}

/** Everything a policy may read per query. Nothing here is written by a policy except `trace`. */
export interface PickContext {
  readonly zone: string;
  /** The address family asked for: 4 for A, 6 for AAAA. */
  readonly family: 4 | 6;
  readonly client: ClientHint;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  /** Located lazily and once per query by the caller; policies that ignore the client never ask. */
  locate(): GeoResult;
  /** Most addresses the answer holds: a policy never needs to rank more sites than this. */
  readonly answers: number;
  /**
   * True when no site was available and `when_all_down: serve_all` answers as if every address
   * were up: a policy that reads address health itself (weighted `group: site`) must too.
   */
  readonly failOpen?: boolean;
  /** When set (explain), policies append human-readable lines saying why. */
  readonly trace: string[] | null;
  /** When set (explain), policies record what they weighed as data: distances, weights, the rule. */
  readonly facts?: PolicyFacts | null;
}

/**
 * A policy's verdict: the sites to answer from, most preferred first, chosen among the available
 * ones, and how wide a client network shares this verdict.
 */
export interface Verdict {
  /** Indexes into the record's members; a subset of `available`, never empty. */
  readonly sites: readonly number[];
  /**
   * RFC 7871 7.2.1 SCOPE PREFIX-LENGTH: the prefix of the client network that shares this
   * verdict; 0 when it does not depend on the client at all.
   */
  readonly scope: number;
}

/**
 * The code of one policy kind (pickers.ts keeps one per kind): it reads the compiled data `p`
 * (policy-data.ts) and `ctx`, and keeps what changes per query (rotations) in `state`, the
 * record's state owned by the caller (state.ts), never in `p`.
 */
export interface Picker<P extends Policy = Policy> {
  /**
   * Choose among `available`: indexes of the record's `members` that may be given out now and
   * have an up address of the asked family, in the order the record lists them. Never empty.
   * Synchronous, no I/O.
   */
  pick(
    p: P,
    members: readonly Site[],
    ctx: PickContext,
    available: readonly number[],
    state: RecordState,
  ): Verdict;
  /**
   * Choose `room` of a chosen site's up addresses when it has more than the answer has room for.
   * Without this the shared step rotates through them by address weight (smooth weighted round
   * robin); `sticky` keeps a client on the same addresses instead.
   */
  pickAddresses?(
    p: P,
    ctx: PickContext,
    candidates: readonly SiteAddress[],
    room: number,
  ): SiteAddress[];
}

/** Compiles one `steer:` record stanza. Problems go to `src` with positions. */
export interface PolicyCompiler {
  readonly kind: string;
  /** Keys this policy accepts beyond the common ones (steer, ttl, answers, when_all_down, fallback). */
  readonly keys: readonly string[];
  /** Addresses per answer when the record does not say (`answers:`). */
  readonly defaultAnswers: number;
  /** Null only after reporting at least one problem to `src`. */
  compile(src: Source, stanza: PolicyStanza): CompiledPolicy | null;
}

export interface CompiledPolicy {
  policy: Policy;
  members: Site[];
  /** Addresses per answer when the record does not say, if this stanza's mode differs from the policy's. */
  defaultAnswers?: number;
}

export interface PolicyStanza {
  /** Every key of the record's mapping, with positions. */
  readonly entries: readonly Entry[];
  /** The record's mapping node and YAML path, for problems about the stanza as a whole. */
  readonly node: Node | null;
  readonly path: string;
  /** All sites of the zone, by name. */
  readonly sites: ReadonlyMap<string, Site>;
}
