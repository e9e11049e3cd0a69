// TTL near trouble (docs/health.md#ttl-near-trouble). A resolver keeps an answer for its TTL, so
// an answer given just before a flip keeps clients on the old state that long. As gdnsd does, the
// TTL of a steered answer is capped by how soon the health of what it holds could change:
//
//   - an up address that has failed f < fall probes in a row can be down in (fall - f) intervals;
//   - a down address that has passed s < rise probes in a row can be up in (rise - s) intervals;
//   - an address whose state is unknown, or whose probe changed and has not reported yet, one
//     interval;
//   - an address that flipped between up and down in its last FLAP_WINDOW_PROBES results (it may
//     be flapping), one interval.
//
// Otherwise nothing is near and the record's TTL stands. Every input is a count of probe results,
// never the clock, so a cap changes only when a result arrives, and the health table's version
// moves with it (the handler's memoised replies key on that version).
import type { ProbeSpec } from './spec.js';
import type { Verdict } from './types.js';

/** Results after a flip during which an address counts as possibly flapping. */
export const FLAP_WINDOW_PROBES = 10;

export interface FlipState {
  readonly probe: ProbeSpec;
  readonly verdict: Verdict;
  readonly provisional: boolean;
  readonly successes: number;
  readonly failures: number;
  /** Results since the last flip between up and down; Infinity before the first flip. */
  readonly sinceFlip: number;
}

/** How soon (ms) this address's verdict could flip, or Infinity when no flip is near. */
export function nextFlipMs(a: FlipState): number {
  const p = a.probe;
  if (p.type === 'none') return Infinity;
  if (a.verdict === 'unknown' || a.provisional) return p.intervalMs;
  if (a.verdict === 'up' && a.failures > 0) return Math.max(1, p.fall - a.failures) * p.intervalMs;
  if (a.verdict === 'down' && a.successes > 0)
    return Math.max(1, p.rise - a.successes) * p.intervalMs;
  if (a.sinceFlip < FLAP_WINDOW_PROBES) return p.intervalMs;
  return Infinity;
}

/** A cap in whole seconds (at least 1: a TTL of 0 would have resolvers ask on every lookup). */
export function capSeconds(ms: number): number {
  return ms === Infinity ? Infinity : Math.max(1, Math.ceil(ms / 1000));
}
