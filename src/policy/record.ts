import type { GeoLocator, GeoResult } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { RData } from '../wire/rr.js';
import { ProblemCode as C } from '../base/errors.js';
import { ipv4Bytes, ipv6Bytes, ipv6Text } from '../base/address.js';
import {
  checkKeys,
  describe,
  type Entry,
  isMap,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { type PolicyFacts, siteFacts } from './facts.js';
import { addressesOf, type Site, type SiteAddress } from './site.js';
import { SmoothWeighted } from './swrr.js';
import type { ClientHint, PickContext, PolicyCompiler, Policy } from './types.js';

export const WHEN_ALL_DOWN = ['serve_all', 'fallback', 'nodata'] as const;
export type WhenAllDown = (typeof WHEN_ALL_DOWN)[number];
export const COMMON_KEYS = ['steer', 'ttl', 'answers', 'when_all_down', 'fallback'] as const;
/** Dynamic answers change as health changes, so they are cached briefly (gdnsd and Route 53 use similar values). */
export const DEFAULT_DYNAMIC_TTL = 30;
/** RFC 2181 8: TTLs are unsigned 31-bit values. */
export const MAX_DYNAMIC_TTL = 2147483647;
export const MAX_ANSWERS = 64;

/** A name whose A/AAAA answers a policy picks per query. Compiled once; see `decide`. */
export interface DynamicRecord {
  readonly zone: string;
  readonly name: string;
  readonly kind: string;
  readonly ttl: number;
  /** Most addresses in one answer: `answers:`, else the policy's default (see docs/steering.md). */
  readonly answers: number;
  readonly whenAllDown: WhenAllDown;
  readonly fallback: { readonly 4: readonly RData[]; readonly 6: readonly RData[] };
  /** The record's sites, in the order it lists them. */
  readonly members: readonly Site[];
  readonly policy: Policy;
  /** Rotation over each site's addresses by address weight, when an answer holds fewer than all. */
  readonly rotation: ReadonlyMap<string, SmoothWeighted>;
}

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

export interface DecideContext {
  readonly family: 4 | 6;
  readonly client: ClientHint;
  readonly health: HealthView;
  readonly geo: GeoLocator;
  locate(): GeoResult;
  readonly trace: string[] | null;
  /** When set (explain), the shared step and the policy record what they weighed. */
  readonly facts?: PolicyFacts | null;
}

/**
 * Identifies what a decision put in the answer, so equal decisions can share one encoded reply:
 * its addresses, or a referral's nameserver names (src/policy/delegate.ts).
 */
export function decisionKey(d: Decision): string {
  let k = `${d.ttl}:`;
  for (const r of d.rdata)
    k += `${r.kind === 'name' ? r.name : (r as { address: string }).address},`;
  return k;
}

/** Up addresses of a site in one family: withdrawn addresses never reach an answer. */
export function upAddresses(
  rec: DynamicRecord,
  site: Site,
  family: 4 | 6,
  health: HealthView,
): SiteAddress[] {
  return addressesOf(site, family).filter((a) => health.addressUp(rec.zone, site.name, a.address));
}

/**
 * Available: not drained in the zone file, and available in the health table (not drained, not
 * forced down, at least min_healthy addresses up: docs/health.md).
 */
export function siteAvailable(rec: DynamicRecord, site: Site, health: HealthView): boolean {
  return site.state === 'enabled' && health.siteAvailable(rec.zone, site.name);
}

/** Not drained (zone file, health table): failing open ignores health, never a drain. */
export function siteOpen(rec: DynamicRecord, site: Site, health: HealthView): boolean {
  return site.state === 'enabled' && !health.siteDrained(rec.zone, site.name);
}

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
  // Per query the health survey below is the same until health changes: take it from the survey
  // made for this version. Explain (trace, facts) wants each site's own lines, so it surveys anew.
  const known = !trace && !ctx.facts ? survey(rec, fam, ctx.health) : null;
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
    return answer(rec, pctx, known.available, known.ups, 'policy', known.caps);
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
  if (available.length > 0) return answer(rec, pctx, available, ups, 'policy', caps);

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
      return answer(rec, { ...pctx, failOpen: true }, [...all.keys()], all, 'serve_all', caps);
  }
  // Nothing can answer until health changes: the TTL says how soon it might (docs/health.md).
  const ttl = cappedTtl(rec, caps, rec.members.keys());
  if (rec.whenAllDown === 'fallback')
    return { rdata: rec.fallback[fam], ttl, scope: 0, sites: [], mode: 'fallback' };
  return { rdata: [], ttl, scope: 0, sites: [], mode: 'nodata' };
}

/**
 * Step 2 of `decide` for one record and family as of one version of one health view: which
 * sites are available and their up addresses. Every query until health changes asks the same
 * thing, and working it out costs two string keys and a lookup per site and per address.
 */
interface Survey {
  readonly health: HealthView;
  readonly version: number;
  readonly noFamily: boolean;
  /** Frozen: policies receive it as their `available` and must not change it. */
  readonly available: readonly number[];
  readonly ups: ReadonlyMap<number, readonly SiteAddress[]>;
  /** Each member's TTL cap (ttlCaps), as of this version. */
  readonly caps: readonly number[];
}

/** Per record, one survey per family; compiled records are never mutated, so they live here. */
const surveys = new WeakMap<DynamicRecord, { 4: Survey | null; 6: Survey | null }>();

function survey(rec: DynamicRecord, fam: 4 | 6, health: HealthView): Survey {
  let byFamily = surveys.get(rec);
  if (!byFamily) surveys.set(rec, (byFamily = { 4: null, 6: null }));
  const last = byFamily[fam];
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
  byFamily[fam] = made;
  return made;
}

/**
 * True when `decide` gives one client network the same decision on every query while the health
 * and GeoIP data stay the same, so a caller may keep it per network: the policy reads the client
 * (client-independent policies are rotations, which advance per query) and no answer can need
 * the address rotation, which advances per query too (see `answer`: it runs only when a site
 * offers more addresses than the answer has room for and the policy does not pick them itself).
 */
export function decidedPerNetwork(rec: DynamicRecord, fam: 4 | 6): boolean {
  if (!rec.policy.clientDependent) return false;
  if (rec.policy.pickAddresses) return true;
  let total = 0;
  let most = 0;
  for (const s of rec.members) {
    const n = addressesOf(s, fam).length;
    total += n;
    most = Math.max(most, n);
  }
  // Room is never below 1, and an answer holds at most `total` distinct addresses.
  return most <= 1 || total <= rec.answers;
}

function answer(
  rec: DynamicRecord,
  ctx: PickContext,
  candidates: readonly number[],
  ups: ReadonlyMap<number, readonly SiteAddress[]>,
  mode: 'policy' | 'serve_all',
  caps: readonly number[],
): Decision {
  const verdict = rec.policy.pick(ctx, candidates);
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
        rec.policy.pickAddresses?.(ctx, addrs, room) ?? rotate(rec, site, ctx.family, addrs, room);
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
  rec: DynamicRecord,
  site: Site,
  fam: 4 | 6,
  addrs: readonly SiteAddress[],
  room: number,
): SiteAddress[] {
  const all = addressesOf(site, fam);
  const rr = rec.rotation.get(`${site.index}/${fam}`)!;
  const offered = addrs.map((a) => all.indexOf(a));
  const picked: SiteAddress[] = [];
  for (let k = 0; k < room; k++) {
    const idx = rr.next(offered.filter((o) => !picked.includes(all[o]!)));
    picked.push(all[idx]!);
  }
  return picked;
}

/** Resolved `sites:` of a record: a list of names, or names with per-record weights. */
export interface Members {
  sites: Site[];
  /** Per-record weights by member index, when the record gives them (`sites: { a: 3, b: 1 }`). */
  weights: Map<number, number> | null;
  /** Where each member is named, for problems about one of them. */
  refs: { node: Node; path: string }[];
}

/** Report `name` as not declared under `sites:`; the list of declared sites is the hint. */
export function unknownSite(
  src: Source,
  node: Node | null,
  path: string,
  sites: ReadonlyMap<string, Site>,
): void {
  const t = scalarText(node);
  const what = t === null ? describe(node) : `"${t}"`;
  src.report(
    node,
    path,
    C.unknownSite,
    `unknown site ${what} (declared: ${[...sites.keys()].join(', ') || 'none, add them under sites:'})`,
  );
}

export function parseMembers(
  src: Source,
  e: Entry,
  zoneSites: ReadonlyMap<string, Site>,
  allowWeights: boolean,
): Members | null {
  const sites: Site[] = [];
  const refs: Members['refs'] = [];
  let weights: Map<number, number> | null = null;
  const add = (name: string | null, node: Node, path: string): Site | null => {
    const site = name === null ? undefined : zoneSites.get(name);
    if (!site) {
      unknownSite(src, node, path, zoneSites);
      return null;
    }
    if (sites.includes(site)) {
      src.report(node, path, C.badValue, `site ${site.name} is listed twice`);
      return null;
    }
    sites.push(site);
    refs.push({ node, path });
    return site;
  };
  if ((isMap(e.value) || isSeq(e.value)) && e.value.items.length === 0) {
    src.report(e.value, e.path, C.badValue, 'an empty list: name at least one site');
    return null;
  }
  if (isMap(e.value)) {
    if (!allowWeights) {
      src.report(e.value, e.path, C.wrongType, 'must be a list of site names');
      return null;
    }
    weights = new Map();
    for (const pair of mapEntries(src, e.value, e.path) ?? []) {
      const site = add(pair.key, pair.keyNode, pair.path);
      const w = scalarInt(src, pair.value, pair.path, 1, 1000);
      if (site && w !== null) weights.set(sites.length - 1, w);
    }
  } else {
    for (const item of listOf(src, e.value, e.path)) add(item.text, item.node, item.path);
  }
  return sites.length ? { sites, weights, refs } : null;
}

/** Compile the keys every policy shares, then hand the rest to the policy's compiler. */
export function compileDynamic(
  src: Source,
  entries: Entry[],
  node: Node | null,
  path: string,
  zone: string,
  name: string,
  zoneSites: ReadonlyMap<string, Site>,
  registry: ReadonlyMap<string, PolicyCompiler>,
): DynamicRecord | null {
  const before = src.problems.length;
  const steerE = entries.find((e) => e.key === 'steer')!;
  const kind = scalarText(steerE.value);
  const compiler = kind === null ? undefined : registry.get(kind);
  if (!compiler) {
    const what = kind === null ? describe(steerE.value) : `"${kind}"`;
    src.report(
      steerE.value,
      steerE.path,
      C.badPolicy,
      `unknown policy ${what} (policies: ${[...registry.keys()].join(', ')})`,
    );
    return null;
  }
  checkKeys(src, entries, [...COMMON_KEYS, ...compiler.keys], `a "steer: ${kind}" record`);
  const get = (k: string) => entries.find((e) => e.key === k);
  const ttlE = get('ttl');
  const ttl = ttlE
    ? (scalarInt(src, ttlE.value, ttlE.path, 0, MAX_DYNAMIC_TTL, C.badTtl) ?? DEFAULT_DYNAMIC_TTL)
    : DEFAULT_DYNAMIC_TTL;
  const answersE = get('answers');
  const answers = answersE ? scalarInt(src, answersE.value, answersE.path, 1, MAX_ANSWERS) : null;
  const wadE = get('when_all_down');
  let whenAllDown: WhenAllDown = 'serve_all';
  if (wadE) {
    const t = scalarText(wadE.value);
    if (t !== null && (WHEN_ALL_DOWN as readonly string[]).includes(t))
      whenAllDown = t as WhenAllDown;
    else
      src.report(
        wadE.value,
        wadE.path,
        C.badValue,
        `must be one of ${WHEN_ALL_DOWN.join(', ')}, got ${describe(wadE.value)}`,
      );
  }
  const fallback: { 4: RData[]; 6: RData[] } = { 4: [], 6: [] };
  const fbE = get('fallback');
  if (fbE) {
    const seen = new Map<string, string>();
    if (isSeq(fbE.value) && fbE.value.items.length === 0)
      src.report(fbE.value, fbE.path, C.badValue, 'an empty list: give at least one address');
    for (const item of listOf(src, fbE.value, fbE.path)) {
      const t = item.text ?? '';
      const b4 = ipv4Bytes(t);
      const b6 = b4 ? null : ipv6Bytes(t);
      const rd: RData | null = b4
        ? { kind: 'a', address: t, bytes: b4 }
        : b6
          ? { kind: 'aaaa', address: ipv6Text(b6), bytes: b6 }
          : null;
      if (!rd) {
        src.report(
          item.node,
          item.path,
          C.badAddress,
          `not an IPv4 or IPv6 address: ${describe(item.node)}`,
        );
        continue;
      }
      const dup = seen.get(rd.address);
      if (dup) {
        src.report(
          item.node,
          item.path,
          C.badValue,
          `duplicate of ${dup}: an RRset holds each record once (RFC 2181 5)`,
        );
        continue;
      }
      seen.set(rd.address, item.path);
      fallback[rd.kind === 'a' ? 4 : 6].push(rd);
    }
  }
  if (whenAllDown === 'fallback' && !fbE)
    src.report(
      wadE!.value,
      wadE!.path,
      C.missingKey,
      'when_all_down: fallback needs a "fallback:" list of addresses (a "sorry" site)',
    );
  if (fbE && whenAllDown !== 'fallback')
    src.report(
      fbE.keyNode,
      fbE.path,
      C.badValue,
      '"fallback" is only used with when_all_down: fallback',
    );
  const compiled = compiler.compile(src, { entries, node, path, sites: zoneSites });
  if (!compiled || src.problems.length > before) return null;
  const { policy, members, defaultAnswers } = compiled;
  const rotation = new Map<string, SmoothWeighted>();
  for (const s of members) {
    rotation.set(`${s.index}/4`, new SmoothWeighted(s.v4.map((a) => a.weight)));
    rotation.set(`${s.index}/6`, new SmoothWeighted(s.v6.map((a) => a.weight)));
  }
  return {
    zone,
    name,
    kind: compiler.kind,
    ttl,
    answers: answers ?? defaultAnswers ?? compiler.defaultAnswers,
    whenAllDown,
    fallback,
    members,
    policy,
    rotation,
  };
}
