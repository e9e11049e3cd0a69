// `steer: delegate` (docs/delegation.md): a name that is a child zone served by its sites' own
// nameservers. The parent role refers resolvers to the nameservers of the sites available now
// (decideReferral); an instance started for one of the sites (`--site`) is authoritative for the
// child zone, which src/zone/site-zones.ts builds from the parent with siteRecord below.
// Resolvers then choose among the referred nameservers by round-trip time, so the site that
// answers is one close to the resolver and responsive.
import type { HealthView } from '../health/table.js';
import { Type } from '../wire/constants.js';
import type { RData, RRset } from '../wire/rr.js';
import { ProblemCode as C } from '../base/errors.js';
import { checkKeys, type Entry, type Node, type Source } from '../base/yaml-source.js';
import { type DynamicRecord, MAX_ANSWERS, siteAvailable, siteOpen } from './dynamic.js';
import type { Decision, DecisionMode } from './decision.js';
import { parseMembers } from './members.js';
import { parseDynamicTtl, parseWhenAllDown } from './record-keys.js';
import type { Site } from './site.js';
import type { SteerState } from './state.js';
import type { Policy } from './types.js';

export const DELEGATE = 'delegate';
/** Keys of a `steer: delegate` record. `answers` and `fallback` name addresses, which a referral has not. */
export const DELEGATE_KEYS = ['steer', 'sites', 'ttl', 'when_all_down'] as const;
export const DELEGATE_WHEN_ALL_DOWN = ['serve_all', 'nodata'] as const;

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

const NO_FALLBACK = { 4: [], 6: [] } as const;

/** Every available member, in the order the record lists them: the resolver does the choosing. */
function listedOrder(members: readonly Site[]): Policy {
  return {
    kind: DELEGATE,
    clientDependent: false,
    pick(ctx, available) {
      ctx.trace?.push(
        `delegate: every available site, in the order listed: ${available.map((i) => members[i]!.name).join(', ')}`,
      );
      if (ctx.facts) ctx.facts.decidedBy = 'steer: delegate: every available site of the record';
      return { sites: available, scope: 0 };
    },
  };
}

/**
 * Compile a `steer: delegate` stanza (its keys other than record types). Problems go to `src`;
 * null when there were any.
 */
export function compileDelegation(
  src: Source,
  entries: readonly Entry[],
  node: Node | null,
  path: string,
  zone: string,
  name: string,
  zoneSites: ReadonlyMap<string, Site>,
): Delegation | null {
  const before = src.problems.length;
  const get = (k: string) => entries.find((e) => e.key === k);
  const fallbackE = get('fallback');
  checkKeys(
    src,
    entries.filter((e) => e !== fallbackE),
    DELEGATE_KEYS,
    'a "steer: delegate" record',
  );
  if (fallbackE)
    src.report(
      fallbackE.keyNode,
      fallbackE.path,
      C.badValue,
      '"fallback" cannot be used with steer: delegate: a referral names nameservers, not addresses (when_all_down: serve_all or nodata)',
    );
  const ttl = parseDynamicTtl(src, get('ttl'));
  const whenAllDown = parseWhenAllDown(src, get('when_all_down'), DELEGATE_WHEN_ALL_DOWN, {
    fallback:
      'when_all_down: fallback cannot be used with steer: delegate: a referral names nameservers, not addresses; use serve_all (refer to every site) or nodata',
  });
  const sitesE = get('sites');
  if (!sitesE) {
    src.report(
      node,
      path,
      C.missingKey,
      'steer: delegate needs "sites" (the sites whose nameservers serve the child zone)',
    );
    return null;
  }
  const m = parseMembers(src, sitesE, zoneSites, false);
  if (!m) return null;
  m.sites.forEach((s, i) => {
    if (s.nameserver) return;
    const at = m.refs[i]!;
    src.report(
      at.node,
      at.path,
      C.missingKey,
      `site ${s.name} has no nameserver: steer: delegate refers resolvers to the nameserver of each of its sites, so site ${s.name} needs nameserver: { name, addresses }`,
    );
  });
  if (src.problems.length > before) return null;
  const members = m.sites;
  const nameservers: RData[] = members.map((s) => ({ kind: 'name', name: s.nameserver!.name }));
  return {
    zone,
    name,
    kind: DELEGATE,
    ttl,
    answers: MAX_ANSWERS,
    whenAllDown,
    fallback: NO_FALLBACK,
    members,
    policy: listedOrder(members),
    nameservers,
    ns: { name, type: Type.NS, ttl, rdata: nameservers },
  };
}

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
    policy: listedOrder(members),
  };
}
