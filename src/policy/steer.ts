// The one steering step: every path that needs a decision for a steered name asks here, whether
// it is a policy's A/AAAA answer or a steer: delegate referral. The answer path (server/resolve.ts
// through server/steering.ts), the memo's replay and explain all come through decideStep, so
// they cannot disagree.
import { decide } from './decide.js';
import { PICKERS } from './pickers.js';
import { decideReferral, isDelegation } from './referral.js';
import type { Decision } from './decision.js';
import type { DecideContext, DynamicRecord } from './dynamic.js';
import { addressesOf } from './site.js';

/**
 * One steered name met while answering: a record (A or AAAA picked by its policy) or a
 * delegation (its referral's nameservers, for either family), and the family asked.
 */
export interface SteerStep {
  readonly rec: DynamicRecord;
  readonly family: 4 | 6;
}

/** The decision for one steered name: the record's policy, or a delegation's referral. */
export function decideStep(step: SteerStep, ctx: DecideContext): Decision {
  const rec = step.rec;
  return isDelegation(rec)
    ? decideReferral(rec, ctx.health, ctx.trace, ctx.state)
    : decide(rec, ctx);
}

/**
 * Identifies what a decision put in the answer, so equal decisions can share one encoded reply:
 * its addresses, or a referral's nameserver names.
 */
export function decisionKey(d: Decision): string {
  let k = `${d.ttl}:`;
  for (const r of d.rdata)
    k += `${r.kind === 'name' ? r.name : (r as { address: string }).address},`;
  return k;
}

/**
 * True when a step gives one client network the same decision on every query while the health
 * and GeoIP data stay the same, so a caller may keep it per network: the policy reads the client
 * (client-independent policies are rotations, which advance per query; a referral does not read
 * the client) and no answer can need the address rotation, which advances per query too (it runs
 * only when a site offers more addresses than the answer has room for and the policy does not
 * pick them itself).
 */
export function decidedPerNetwork(step: SteerStep): boolean {
  const rec = step.rec;
  if (isDelegation(rec) || !rec.policy.clientDependent) return false;
  if (PICKERS[rec.policy.kind].pickAddresses) return true;
  let total = 0;
  let most = 0;
  for (const s of rec.members) {
    const n = addressesOf(s, step.family).length;
    total += n;
    most = Math.max(most, n);
  }
  // Room is never below 1, and an answer holds at most `total` distinct addresses.
  return most <= 1 || total <= rec.answers;
}
