// What the pick step decided for one steered name: the data an answer (or a referral) is made of.
import type { RData } from '../wire/rr.js';

/**
 * How the answer was made: by the policy over the available sites; by the policy over every site
 * because none was available (`serve_all`); the `fallback` addresses; `nodata` because none was
 * available; or `no-family`: no site of the name has an address of the asked family at all.
 */
export type DecisionMode = 'policy' | 'serve_all' | 'fallback' | 'nodata' | 'no-family';

export interface Decision {
  readonly rdata: readonly RData[];
  readonly ttl: number;
  /** RFC 7871 ECS scope prefix length. */
  readonly scope: number;
  readonly sites: readonly string[];
  readonly mode: DecisionMode;
}
