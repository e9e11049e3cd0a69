// ECS scope widening (RFC 7871 7.2.1): the SCOPE PREFIX-LENGTH of a geo-steered answer should name
// the largest network whose clients all get the same decision, so a resolver caches one answer
// for as many clients as possible. The database network the client sits in is only a lower bound:
// its neighbours often rank the sites the same way (every /16 of the US east coast does).
//
// gdnsd gets the largest such network by compiling the whole database against the sites at load
// and merging adjacent networks with the same ranked list. geosteer reads databases of millions
// of networks through a reader that cannot walk them, so it widens per client network instead, on
// demand: starting from the client's network, look at its sibling (flip the bit at the current
// scope); when every client network in the sibling ranks the sites the same way, the two merge
// and the walk goes on from their parent. Lookups are bounded (WIDEN_BUDGET), so a widening that
// would need many of them stops early with a narrower, still correct, scope; and so is their rate
// across the process (the locator's LookupBudget): past it, a new network is not widened at all.

import { WIDEN_BUDGET } from '../geoip/budget.js';
import type { GeoLocator, GeoResult } from '../geoip/types.js';
import { MAX_STEERING_PREFIX } from '../wire/ecs.js';
import type { ClientHint } from './types.js';

export { WIDEN_BUDGET };

/** Clients are located per /24 (IPv4) and /56 (IPv6) at most; finer networks are never told apart. */
const FINEST = MAX_STEERING_PREFIX;

/**
 * What a policy's decision depends on, for a located network: networks with equal keys get the
 * same decision whatever the health of the sites (for `nearest`, the full distance ranking).
 */
export type RankKey = (where: GeoResult) => string;

/** A locator that can widen: one that answers lookups without caching them (see GeoLocator). */
type Uncached = Required<Pick<GeoLocator, 'locateUncached'>>;

/**
 * The shortest prefix p, no longer than min(where.prefixLength, /24 or /56), such that every
 * client network inside the client's network /p gets a result with the same `rank` as `where`.
 * `where` is the locator's result for `client`. Walks up one bit at a time, checking the sibling
 * at each level, and stops at the first sibling that differs or cannot be checked within `budget`.
 */
export function widenScope(
  geo: Uncached,
  client: ClientHint,
  where: GeoResult,
  rank: RankKey,
  budget = WIDEN_BUDGET,
): number {
  const finest = FINEST[client.family];
  let scope = Math.min(where.prefixLength, finest);
  if (scope <= 0) return 0;
  const key = rank(where);
  let left = budget;
  /** Does every client network in net/len rank as `key`? False also when the budget runs out. */
  const uniform = (net: Uint8Array, len: number): boolean => {
    if (left-- <= 0) return false;
    const r = geo.locateUncached(net, len);
    // The result holds for the whole network, or the network is as fine as clients are located.
    if (r.prefixLength <= len || len >= finest) return rank(r) === key;
    // The network is split: both halves must agree.
    const high = net.slice();
    high[len >> 3]! |= 0x80 >> (len & 7);
    return uniform(net, len + 1) && uniform(high, len + 1);
  };
  const net = truncated(client.address, scope);
  while (scope > 0) {
    const bit = scope - 1;
    const sibling = net.slice();
    sibling[bit >> 3]! ^= 0x80 >> (bit & 7);
    if (!uniform(sibling, scope)) break;
    scope = bit;
    net[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return scope;
}

/**
 * Widened scopes, remembered per locator result. The locator caches one frozen result per client
 * network and drops them all when its data changes, so a result object stands for one client
 * network under one version of the data, and the widening done for it holds as long as it lives.
 * (With the locator's cache turned off, every query widens again, within WIDEN_BUDGET lookups.)
 */
export class ScopeWidener {
  private readonly seen = new WeakMap<GeoResult, number>();

  constructor(private readonly rank: RankKey) {}

  /**
   * The ECS scope for `client`, located at `where`: widened when the locator allows it and its
   * budget has a whole widening left. Otherwise the network it was located in, not remembered, so
   * a later query from that network widens once the budget allows.
   */
  scope(geo: GeoLocator, client: ClientHint, where: GeoResult): number {
    if (!geo.locateUncached) return where.prefixLength;
    let s = this.seen.get(where);
    if (s !== undefined) return s;
    const budget = geo.widening;
    if (budget && !budget.take(WIDEN_BUDGET))
      return Math.min(where.prefixLength, FINEST[client.family]);
    let used = 0;
    const counted: Uncached = {
      locateUncached: (address, prefix) => {
        used++;
        return geo.locateUncached!(address, prefix);
      },
    };
    s = widenScope(counted, client, where, this.rank);
    budget?.refund(WIDEN_BUDGET - used);
    this.seen.set(where, s);
    return s;
  }
}

function truncated(address: Uint8Array, prefix: number): Uint8Array {
  const out = address.slice();
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}
