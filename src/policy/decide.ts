// The pick step shared by every policy (gdnsd's resolve, to compile-record.ts's map_res): per
// query, the record's sites are surveyed against the health view, the policy orders the
// available ones, and their up addresses fill the answer. Reads the compiled record; writes only
// the record's state (state.ts).
import type { HealthView } from '../health/table.js';
import type { RData } from '../wire/rr.js';
import type { Decision } from './decision.js';
import { siteFacts } from './facts.js';
import { PICKERS } from './pickers.js';
import {
  type DecideContext,
  type DynamicRecord,
  siteAvailable,
  siteOpen,
  upAddresses,
} from './dynamic.js';
import { addressesOf, type Site, type SiteAddress } from './site.js';
import type { RecordState, Survey } from './state.js';
import { SmoothWeighted } from './swrr.js';
import type { PickContext } from './types.js';

/** Each member's TTL cap near trouble, in seconds, Infinity for none (docs/health.md). */
function ttlCaps(rec: DynamicRecord, health: HealthView): number[] {
  return rec.members.map((s) => health.ttlCap(rec.zone, s.name));
}

/** The record's TTL, lowered to the smallest cap among `sites` (member indexes). */
function cappedTtl(rec: DynamicRecord, caps: readonly number[], sites: Iterable<number>): number {
  let ttl = rec.ttl;
  for (const i of sites) {
    const c = caps[i]!;
    if (c < ttl) ttl = c;
  }
  return ttl;
}

/**
 * The shared selection step, the same for every policy:
 * 1. no site of the record has the asked family → NODATA (the name has only the other family);
 * 2. available = sites not drained that have an up address of that family (a chosen site
 *    without the family is never answered empty: the policy only ever sees these, so its next
 *    choice answers);
 * 3. none available → `when_all_down`: serve_all (fail open: the policy picks as if every
 *    address were up; drained sites stay out unless every site with the family is drained),
 *    fallback (the listed addresses of the family) or nodata;
 * 4. the policy orders sites, and their up addresses fill the answer up to `answers`, each
 *    address once.
 */
export function decide(rec: DynamicRecord, ctx: DecideContext): Decision {
  const fam = ctx.family;
  const trace = ctx.trace;
  const state = ctx.state.of(rec);
  // Per query the health survey below is the same until health changes: take it from the survey
  // made for this version. Explain (trace, facts) wants each site's own lines, so it surveys anew.
  const known = !trace && !ctx.facts ? survey(rec, state, fam, ctx.health) : null;
  if (known ? known.noFamily : !rec.members.some((s) => addressesOf(s, fam).length > 0)) {
    trace?.push(`no site of ${rec.name} has an IPv${fam} address: NODATA`);
    return { rdata: [], ttl: rec.ttl, scope: 0, sites: [], mode: 'no-family' };
  }
  const pctx: PickContext = {
    zone: rec.zone,
    family: fam,
    client: ctx.client,
    health: ctx.health,
    geo: ctx.geo,
    locate: ctx.locate,
    answers: rec.answers,
    trace,
    facts: ctx.facts ?? null,
  };
  if (known && known.available.length > 0)
    return answer(rec, state, pctx, known.available, known.ups, 'policy', known.caps);
  const available: number[] = [];
  const ups = new Map<number, readonly SiteAddress[]>();
  for (let i = 0; i < rec.members.length; i++) {
    const site = rec.members[i]!;
    const open = siteAvailable(rec, site, ctx.health);
    const up = open ? upAddresses(rec, site, fam, ctx.health) : [];
    if (ctx.facts)
      Object.assign(siteFacts(ctx.facts, site.name), { open, up: up.map((a) => a.address) });
    if (up.length) {
      available.push(i);
      ups.set(i, up);
    }
    trace?.push(
      `site ${site.name}: ${!open ? (siteOpen(rec, site, ctx.health) ? 'unavailable (health)' : 'drained') : up.length ? `available, ${up.length} IPv${fam} address(es) up` : `no IPv${fam} address up`}`,
    );
  }
  const caps = known ? known.caps : ttlCaps(rec, ctx.health);
  if (available.length > 0) return answer(rec, state, pctx, available, ups, 'policy', caps);

  trace?.push(`no site available: when_all_down is ${rec.whenAllDown}`);
  if (rec.whenAllDown === 'serve_all') {
    // Fail open, as gdnsd and PowerDNS's ifportup do: when every site looks down the probes are
    // more likely wrong than every datacenter, so answer as if all were up. The policy still
    // picks, so a weighted name keeps its proportions and a nearest one its nearest site.
    // Health is ignored here (probe verdicts, forced down); drains are not, and a drained address
    // is never answered.
    const withFamily = rec.members.flatMap((s, i) => (addressesOf(s, fam).length ? [i] : []));
    const enabled = withFamily.filter((i) => siteOpen(rec, rec.members[i]!, ctx.health));
    const all = new Map<number, readonly SiteAddress[]>();
    for (const i of enabled.length ? enabled : withFamily) {
      const site = rec.members[i]!;
      const open = addressesOf(site, fam).filter(
        (a) => !ctx.health.addressDrained(rec.zone, site.name, a.address),
      );
      if (open.length) all.set(i, open);
    }
    if (all.size)
      return answer(
        rec,
        state,
        { ...pctx, failOpen: true },
        [...all.keys()],
        all,
        'serve_all',
        caps,
      );
  }
  // Nothing can answer until health changes: the TTL says how soon it might (docs/health.md).
  const ttl = cappedTtl(rec, caps, rec.members.keys());
  if (rec.whenAllDown === 'fallback')
    return { rdata: rec.fallback[fam], ttl, scope: 0, sites: [], mode: 'fallback' };
  return { rdata: [], ttl, scope: 0, sites: [], mode: 'nodata' };
}

/** The record's survey for this family and health version, made anew when health changed. */
function survey(rec: DynamicRecord, state: RecordState, fam: 4 | 6, health: HealthView): Survey {
  const last = fam === 4 ? state.survey4 : state.survey6;
  // The health view is part of the key: tests and tools may serve one record with several.
  if (last && last.health === health && last.version === health.version) return last;
  const version = health.version;
  const available: number[] = [];
  const ups = new Map<number, readonly SiteAddress[]>();
  for (let i = 0; i < rec.members.length; i++) {
    const site = rec.members[i]!;
    const up = siteAvailable(rec, site, health) ? upAddresses(rec, site, fam, health) : [];
    if (up.length) {
      available.push(i);
      ups.set(i, Object.freeze(up));
    }
  }
  const noFamily = !rec.members.some((s) => addressesOf(s, fam).length > 0);
  const caps = ttlCaps(rec, health);
  const made = { health, version, noFamily, available: Object.freeze(available), ups, caps };
  if (fam === 4) state.survey4 = made;
  else state.survey6 = made;
  return made;
}

function answer(
  rec: DynamicRecord,
  state: RecordState,
  ctx: PickContext,
  candidates: readonly number[],
  ups: ReadonlyMap<number, readonly SiteAddress[]>,
  mode: 'policy' | 'serve_all',
  caps: readonly number[],
): Decision {
  const picker = PICKERS[rec.policy.kind];
  const verdict = picker.pick(rec.policy, rec.members, ctx, candidates, state);
  const out: RData[] = [];
  const chosen: string[] = [];
  let ttl = rec.ttl;
  // Two sites may share a VIP; RFC 2181 5 wants each record once in an RRset.
  // With one site there is nothing to repeat (and no Set to make per query).
  const seen = verdict.sites.length > 1 ? new Set<string>() : null;
  for (const i of verdict.sites) {
    if (out.length >= rec.answers) break;
    const site = rec.members[i]!;
    const up = ups.get(i) ?? [];
    let addrs: readonly SiteAddress[] = seen ? up.filter((a) => !seen.has(a.address)) : up;
    if (addrs.length === 0) continue;
    const room = rec.answers - out.length;
    if (addrs.length > room)
      addrs =
        picker.pickAddresses?.(rec.policy, ctx, addrs, room) ??
        rotate(state, site, ctx.family, addrs, room);
    for (const a of addrs) {
      seen?.add(a.address);
      out.push(a.rdata);
    }
    chosen.push(site.name);
    // TTL near trouble: a site whose health may soon change is cached no longer than that.
    if (caps[i]! < ttl) ttl = caps[i]!;
  }
  ctx.trace?.push(
    `answer: ${chosen.join(', ')} (${out.length} address(es)), ECS scope /${verdict.scope}`,
  );
  return { rdata: out, ttl, scope: verdict.scope, sites: chosen, mode };
}

/** Pick `room` addresses of a site by smooth weighted round robin over the address weights. */
function rotate(
  state: RecordState,
  site: Site,
  fam: 4 | 6,
  addrs: readonly SiteAddress[],
  room: number,
): SiteAddress[] {
  const all = addressesOf(site, fam);
  const key = site.index * 2 + (fam === 6 ? 1 : 0);
  let rr = state.addresses.get(key);
  if (!rr) state.addresses.set(key, (rr = new SmoothWeighted(all.map((a) => a.weight))));
  const offered = addrs.map((a) => all.indexOf(a));
  const picked: SiteAddress[] = [];
  for (let k = 0; k < room; k++) {
    const idx = rr.next(offered.filter((o) => !picked.includes(all[o]!)));
    picked.push(all[idx]!);
  }
  return picked;
}
