// Where a key stands at a given time, from BIND's timing metadata (dnssec-settime(8)): the same
// reading BIND's `rndc dnssec -status` and Knot's `keymgr list` give of their own timers.
import { type KeyTiming, TIMING_FIELDS } from './keys.js';

export type KeyState = 'created' | 'published' | 'active' | 'revoked' | 'inactive' | 'deleted';

/**
 * Later events win: a key past Delete is gone whatever else is set, past Inactive it no longer
 * signs but is still published, and so on. A key with no timing metadata at all (an old
 * v1.2 file) is taken as published and active, as BIND takes it.
 */
export function keyState(t: KeyTiming, now: number): KeyState {
  const past = (x: number | undefined) => x !== undefined && x <= now;
  if (
    t.publish === undefined &&
    t.activate === undefined &&
    t.inactive === undefined &&
    t.delete === undefined
  )
    return 'active';
  if (past(t.delete)) return 'deleted';
  if (past(t.inactive)) return 'inactive';
  if (past(t.revoke)) return 'revoked';
  if (past(t.activate)) return 'active';
  if (past(t.publish)) return 'published';
  return 'created';
}

/** Does the key sign at `now`? (Active, or revoked: RFC 5011 7 has a revoked KSK sign the DNSKEY RRset.) */
export function isSigning(t: KeyTiming, now: number): boolean {
  const s = keyState(t, now);
  return s === 'active' || s === 'revoked';
}

/** Is the DNSKEY in the zone at `now`? */
export function isPublished(t: KeyTiming, now: number): boolean {
  const s = keyState(t, now);
  return s !== 'created' && s !== 'deleted';
}

/** The next timing event after `now`, by its BIND name, or null when none is scheduled. */
export function nextEvent(t: KeyTiming, now: number): { event: string; at: number } | null {
  let best: { event: string; at: number } | null = null;
  for (const [field, label] of TIMING_FIELDS) {
    const at = t[field];
    if (field === 'created' || at === undefined || at <= now) continue;
    if (!best || at < best.at) best = { event: label, at };
  }
  return best;
}
