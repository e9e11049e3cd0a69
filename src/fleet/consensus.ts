// The fleet verdict of one address, from the verdicts of the live vantage points (this instance's
// own probes are one vote, each other instance with a live lease one more). Pure functions: the
// rule, the votes in, a verdict out (docs/fleet.md#consensus-rules).
//
// `unknown` votes abstain: an instance that has not probed an address yet neither keeps it up
// nor takes it down. With no up or down vote at all the verdict is unknown, as a lone instance's
// is before its first probe.
import type { Verdict } from '../health/types.js';

export type ConsensusRule =
  | { readonly kind: 'majority' }
  | { readonly kind: 'any-up' }
  | { readonly kind: 'all-up' }
  /** Up when at least this share of the voting vantage points say up: (0, 1]. */
  | { readonly kind: 'fraction'; readonly share: number };

/** `majority`, `any-up`, `all-up`, or a number in (0, 1]; null for anything else. */
export function parseRule(value: unknown): ConsensusRule | null {
  if (value === 'majority' || value === 'any-up' || value === 'all-up') return { kind: value };
  if (typeof value === 'number' && value > 0 && value <= 1)
    return { kind: 'fraction', share: value };
  return null;
}

export function ruleName(r: ConsensusRule): string {
  return r.kind === 'fraction' ? String(r.share) : r.kind;
}

export interface Tally {
  readonly up: number;
  readonly down: number;
  readonly unknown: number;
}

export function tally(votes: Iterable<Verdict>): Tally {
  let up = 0;
  let down = 0;
  let unknown = 0;
  for (const v of votes)
    if (v === 'up') up++;
    else if (v === 'down') down++;
    else unknown++;
  return { up, down, unknown };
}

/**
 * The rule applied to a tally.
 * - majority: up unless more vantage points say down than up. A tie keeps the address up: two
 *   instances that disagree fail open, as Route 53 leans (it counts a target healthy while more
 *   than 18 % of its checkers say so), rather than withdrawing a site one path cannot reach.
 * - any-up: up while one vantage point sees it up.
 * - all-up: down as soon as one vantage point sees it down.
 * - a fraction f: up while at least f of the voting vantage points say up.
 */
export function decide(rule: ConsensusRule, t: Tally): Verdict {
  const voting = t.up + t.down;
  if (voting === 0) return 'unknown';
  switch (rule.kind) {
    case 'majority':
      return t.up >= t.down ? 'up' : 'down';
    case 'any-up':
      return t.up > 0 ? 'up' : 'down';
    case 'all-up':
      return t.down === 0 ? 'up' : 'down';
    case 'fraction':
      // A hair of slack: 0.6 of 5 voters is 3.0000000000000004 in floating point, and 3 must pass.
      return t.up >= rule.share * voting - 1e-9 ? 'up' : 'down';
  }
}
