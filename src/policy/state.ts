// Per-query mutable state of steered records, kept apart from the compiled (immutable) records,
// as gdnsd keeps its plugins' runtime state apart from the config it maps at load (map_res).
// The owner of a SteerState decides whose turns they are: the query handler keeps one per zone
// generation (a reload starts every rotation afresh, as a new compile did before); explain makes
// its own, so asking about a live zone never takes a turn of the server's rotations.
import type { HealthView } from '../health/table.js';
import type { Decision } from './decision.js';
import type { SiteAddress } from './site.js';
import type { SmoothWeighted } from './swrr.js';

/**
 * Step 2 of `decide` for one record and family as of one version of one health view: which
 * sites are available and their up addresses. Every query until health changes asks the same
 * thing, and working it out costs two string keys and a lookup per site and per address.
 */
export interface Survey {
  readonly health: HealthView;
  readonly version: number;
  readonly noFamily: boolean;
  /** Frozen: policies receive it as their `available` and must not change it. */
  readonly available: readonly number[];
  readonly ups: ReadonlyMap<number, readonly SiteAddress[]>;
  /** Each member's TTL cap, as of this version. */
  readonly caps: readonly number[];
}

/** The last referral decided for a delegation, valid while the health view's version holds. */
export interface ReferralMemo {
  readonly health: HealthView;
  readonly version: number;
  readonly decision: Decision;
}

/** The state of one steered record. */
export interface RecordState {
  /** The policy's own state (weighted's rotations), made by the policy on first use. */
  policy: unknown;
  /** Rotation over a member site's addresses by address weight, by `site index * 2 + (family 6)`. */
  readonly addresses: Map<number, SmoothWeighted>;
  /** The health survey per family. */
  survey4: Survey | null;
  survey6: Survey | null;
  /** A delegation's last referral. */
  referral: ReferralMemo | null;
}

/** The state of every steered record one owner answers for, keyed by the compiled record. */
export class SteerState {
  private readonly records = new WeakMap<object, RecordState>();

  /** The state of `record`, made empty on first use. */
  of(record: object): RecordState {
    let s = this.records.get(record);
    if (!s) {
      s = { policy: undefined, addresses: new Map(), survey4: null, survey6: null, referral: null };
      this.records.set(record, s);
    }
    return s;
  }
}
