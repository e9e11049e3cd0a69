// `steer: delegate` per query (docs/delegation.md; delegate.ts compiles it). The parent role
// refers resolvers to the nameservers of the sites available now (decideReferral); an instance
// started for one of the sites (`--site`) is authoritative for the child zone, which
// src/zone/site-zones.ts builds from the parent with siteRecord below. Resolvers then choose
// among the referred nameservers by round-trip time, so the site that answers is one close to
// the resolver and responsive.
import type { HealthView } from '../health/table.js';
import type { RData, RRset } from '../wire/rr.js';
import { type DynamicRecord, MAX_ANSWERS, siteAvailable, siteOpen } from './dynamic.js';
import type { Decision, DecisionMode } from './decision.js';
import type { DelegatePolicy } from './policy-data.js';
import type { Site } from './site.js';
import type { SteerState } from './state.js';
import type { Picker } from './types.js';

export const DELEGATE = 'delegate';

/** A delegation among steered records: decideStep (steer.ts) refers instead of answering. */
export function isDelegation(rec: DynamicRecord): rec is Delegation {
  return (rec as Partial<Delegation>).nameservers !== undefined;
}

/**
 * A compiled `steer: delegate` record. As a DynamicRecord its members are the sites it delegates
 * to, so its referrals are steered answers like any other (decideStep in steer.ts decides them,
 * the memo counts and replays them); its NS record data is compiled once, one object per site.
 */
export interface Delegation extends DynamicRecord {
  /** The NS record data of each member's nameserver, by member index. */
  readonly nameservers: readonly RData[];
  /** Every member's nameserver: the delegation as exported, and the child zone's own NS RRset. */
  readonly ns: RRset;
}

export const NO_FALLBACK = { 4: [], 6: [] } as const;

/** The policy of every delegation and child-zone apex: data, like every compiled policy. */
export const DELEGATE_POLICY: DelegatePolicy = Object.freeze({
  kind: DELEGATE,
  clientDependent: false,
});

/** Every available member, in the order the record lists them: the resolver does the choosing. */
export const delegatePicker: Picker<DelegatePolicy> = {
  pick(_p, members, ctx, available) {
    ctx.trace?.push(
      `delegate: every available site, in the order listed: ${available.map((i) => members[i]!.name).join(', ')}`,
    );
    if (ctx.facts) ctx.facts.decidedBy = 'steer: delegate: every available site of the record';
    return { sites: available, scope: 0 };
  },
};

/**
 * The nameservers to refer to now: those of the member sites available in the health table (not
 * drained in the zone file or by an override, not forced down, min_healthy addresses up), in the
 * order listed. None available: `when_all_down` serve_all refers to every member that is not
 * drained (every member when all are), nodata answers NODATA (mode `nodata`, no record data).
 * The TTL is the record's, lowered near trouble like a steered answer's (docs/health.md).
 * Until health changes every query with the same `state` gets the same decision object (kept in
 * the delegation's state), so replays cost a lookup.
 */
export function decideReferral(
  del: Delegation,
  health: HealthView,
  trace: string[] | null,
  state: SteerState,
): Decision {
  const st = state.of(del);
  const last = trace ? null : st.referral;
  if (last && last.health === health && last.version === health.version) return last.decision;
  const version = health.version;
  let chosen: number[] = [];
  del.members.forEach((s, i) => {
    const ok = siteAvailable(del, s, health);
    if (ok) chosen.push(i);
    trace?.push(
      `site ${s.name} (nameserver ${s.nameserver!.name}): ${ok ? 'available' : siteOpen(del, s, health) ? 'unavailable (health)' : 'drained'}`,
    );
  });
  let mode: DecisionMode = 'policy';
  if (chosen.length === 0) {
    trace?.push(`no site available: when_all_down is ${del.whenAllDown}`);
    if (del.whenAllDown === 'serve_all') {
      // Fail open, as steered names do: every member looking down is likelier a probe problem.
      const open = del.members.flatMap((s, i) => (siteOpen(del, s, health) ? [i] : []));
      chosen = open.length ? open : del.members.map((_s, i) => i);
      mode = 'serve_all';
    } else mode = 'nodata';
  }
  let ttl = del.ttl;
  for (const i of chosen.length ? chosen : del.members.keys()) {
    const cap = health.ttlCap(del.zone, del.members[i]!.name);
    if (cap < ttl) ttl = cap;
  }
  const decision: Decision = {
    rdata: chosen.map((i) => del.nameservers[i]!),
    ttl,
    scope: 0,
    sites: chosen.map((i) => del.members[i]!.name),
    mode,
  };
  trace?.push(
    mode === 'nodata'
      ? 'referral: none; NODATA'
      : `referral: ${decision.sites.join(', ')} (${decision.rdata.length} nameserver(s)), TTL ${ttl}`,
  );
  if (!trace) st.referral = { health, version, decision };
  return decision;
}

/**
 * The apex A/AAAA record of the child zone the nameserver of site `own` serves (childZone in
 * src/zone/site-zones.ts): every address of that site, up ones first, else when_all_down.
 */
export function siteRecord(del: Delegation, own: Site): DynamicRecord {
  const members = [own];
  return {
    zone: del.zone,
    name: del.name,
    kind: DELEGATE,
    ttl: del.ttl,
    // Every address of the site: it is the only one answering here.
    answers: Math.min(MAX_ANSWERS, Math.max(1, own.v4.length, own.v6.length)),
    whenAllDown: del.whenAllDown,
    fallback: NO_FALLBACK,
    members,
    policy: DELEGATE_POLICY,
  };
}
