// explain: how the server would answer a question for a hypothetical client, as data. The answer
// comes from resolve() itself, with tracing on, so it cannot drift from what the server sends;
// this module only adds the client as the handler derives it and arranges what resolve() and the
// policies recorded. `geosteer explain` renders it as text or JSON (docs/explain.md); the
// structure is meant for the admin API's explain endpoint too.

import { networkText, parseClientAddress } from '../base/address.js';
import type { GeoLocator, GeoResult, GeoSource, Location } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { Verdict } from '../health/types.js';
import { type DecisionMode, siteAvailable } from '../policy/record.js';
import { addressesOf } from '../policy/site.js';
import type { ClientHint } from '../policy/types.js';
import { type ExplainedStep, resolve, type SteerContext } from '../server/resolve.js';
import { Rcode, Type, rcodeName, typeFromName, typeName } from '../wire/constants.js';
import { MAX_STEERING_PREFIX, truncate } from '../wire/ecs.js';
import {
  foldCase,
  isSubdomain,
  MAX_LABEL_OCTETS,
  nameToLabels,
  wireLength,
  MAX_NAME_OCTETS,
} from '../wire/name.js';
import type { Answer, RRset } from '../wire/rr.js';
import { rdataText } from '../zone/present.js';
import type { ZoneSet } from '../zone/zone-set.js';

/** Everything explain found, JSON-serialisable (no Maps, no typed arrays, no cycles). */
export interface Explanation {
  question: { name: string; type: string };
  client: ClientView;
  location: LocationView;
  /** The zone holding the name, or null when none does (the server REFUSES). */
  zone: { origin: string; file: string } | null;
  /** The names followed, in order: each CNAME, then the name that answered (or did not). */
  chain: ChainStep[];
  answer: AnswerView;
  /** Every line the resolver and the policies traced, in order. */
  trace: string[];
}

export interface ClientView {
  /** As given, e.g. "198.51.100.7" or "2001:db8::/48". */
  input: string;
  family: 4 | 6;
  /** The ECS SOURCE PREFIX-LENGTH a resolver would send for it: the given prefix, /32 or /128 without one. */
  sourcePrefix: number;
  /** The network the server steers by: the source cut to /24 or /56 (RFC 7871 11.1). */
  network: string;
  prefix: number;
}

export interface LocationView {
  source: GeoSource;
  /** The database file or override file:line; '' when nothing placed the client. */
  origin: string;
  /** The network the locator's answer holds for, and its prefix length. */
  network: string;
  prefixLength: number;
  country: string | null;
  continent: string | null;
  subdivision: string | null;
  /** A site named by an override. */
  site: string | null;
  location: Location | null;
  /** A policy on the way asked where the client is (nearest and geo do; weighted, failover and sticky do not). */
  usedByPolicy: boolean;
}

export type ChainKind =
  /** A CNAME, followed (RFC 1034 4.3.2 step 3.a). */
  | 'cname'
  /** Static records of the asked type. */
  | 'static'
  /** A/AAAA picked by a policy; see `steering`. */
  | 'steered'
  /** The name exists without the asked type (RFC 2308 2.2). */
  | 'nodata'
  | 'nxdomain'
  /** At or below a delegation: a referral, not an answer. */
  | 'referral'
  /** A CNAME target outside the zone: the resolver follows it elsewhere. */
  | 'external'
  /** A CNAME back to a name already followed: the chain stops. */
  | 'loop';

export interface ChainStep {
  name: string;
  kind: ChainKind;
  /** The data was synthesized from a wildcard (RFC 4592). */
  wildcard: boolean;
  /** cname: where it points, and the CNAME's TTL. */
  target?: string;
  ttl?: number;
  steering?: SteeringView;
}

export interface SteeringView {
  /** The steered record (owner name as the zone writes it) and its zone. */
  record: string;
  zone: string;
  policy: string;
  family: 4 | 6;
  /** TTL of the answer; most addresses it may hold (`answers`); what happens when no site is available. */
  ttl: number;
  answers: number;
  whenAllDown: string;
  /** Every site of the record, in the order the record lists them. */
  sites: SiteView[];
  /** What decided, in the zone file's terms (a geo rule, a failover group, an override...). */
  decidedBy: string | null;
  /** `policy` normally; otherwise the all-down rule used, or no site has the family at all. */
  mode: DecisionMode;
  /** Sites whose addresses are in the answer, in answer order. */
  chosen: string[];
  addresses: string[];
  /** The policy's ECS scope for this decision (the reply's is clamped to /24 or /56). */
  scope: number;
  /** Things to know when reading this decision (rotation state, fail-open...). */
  notes: string[];
  /** The trace lines this decision wrote. */
  trace: string[];
}

/** An address's votes in a fleet (docs/fleet.md): src/explain/fleet-votes.ts fills them in. */
export interface FleetVote {
  /** The consensus rule (majority, any-up, all-up or a fraction). */
  rule: string;
  /** Instance name -> its verdict. */
  votes: Record<string, Verdict>;
  /** The rule's result. */
  verdict: Verdict;
}

export interface SiteView {
  name: string;
  /** The zone file's administrative state. */
  state: 'enabled' | 'drain';
  /** Not drained, in the zone file or the health table. */
  open: boolean;
  /** Open with an up address of the asked family: a policy may choose it. */
  available: boolean;
  /** The site's addresses of the asked family, with their weights and health. */
  addresses: { address: string; weight: number; up: boolean; fleet?: FleetVote }[];
  location: Location | null;
  country: string | null;
  /** Its addresses are in the answer. */
  chosen: boolean;
  /** nearest: km from the client's location (0.1 km); with `spread`, whether within it. */
  km?: number;
  withinSpread?: boolean;
  /** weighted, sticky: the weight in this record. */
  weight?: number;
  /** sticky: the rendezvous score; the highest wins. */
  score?: number;
  /** failover: the priority group, 1 first. */
  group?: number;
}

export interface RecordView {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface AnswerView {
  rcode: string;
  /** answer, NODATA, NXDOMAIN, a referral, or REFUSED (not our zone, or a zone transfer). */
  outcome: 'answer' | 'nodata' | 'nxdomain' | 'referral' | 'refused';
  aa: boolean;
  answer: RecordView[];
  authority: RecordView[];
  additional: RecordView[];
  /** A policy chose part of the answer. */
  steered: boolean;
  /** RFC 7871 7.2.1 SCOPE PREFIX-LENGTH the server would echo. */
  ecsScope: number;
}

export type ExplainErrorCode = 'bad-name' | 'bad-type' | 'bad-client';

/** The question or client cannot be asked: explain says which, in words for the command line. */
export class ExplainError extends Error {
  constructor(
    readonly code: ExplainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExplainError';
  }
}

/** A client as explain takes it: what a resolver would send as ECS, and the hint the server derives. */
export interface ExplainClient {
  input: string;
  sourcePrefix: number;
  hint: ClientHint;
}

/**
 * "198.51.100.7", "198.51.100.0/24", "2001:db8::/48" as the ECS subnet a resolver sends; without
 * a prefix, the whole address (/32, /128). The server steers by at most /24 or /56 of it
 * (handler.ts, RFC 7871 11.1), so the hint is cut to that, as the handler cuts it.
 */
export function parseExplainClient(text: string): ExplainClient {
  const net = parseClientAddress(text);
  if (!net)
    throw new ExplainError(
      'bad-client',
      `not an address or network (e.g. 198.51.100.7, 198.51.100.0/24 or 2001:db8::/48): "${text}"`,
    );
  if (net.prefix === 0)
    throw new ExplainError(
      'bad-client',
      `"${text}": a resolver that sends ECS /0 asks not to be steered by subnet (RFC 7871 7.1.2), and the server then steers by the resolver's own address: give that address instead`,
    );
  const prefix = Math.min(net.prefix, MAX_STEERING_PREFIX[net.family]);
  const address = truncate(Uint8Array.from(net.bytes), prefix);
  return {
    input: text.trim(),
    sourcePrefix: net.prefix,
    hint: { address, family: net.family, prefix, fromEcs: true },
  };
}

/** A query type by mnemonic ("AAAA") or RFC 3597 number ("TYPE65", "65"). */
export function parseQueryType(text: string): number {
  const t = text.trim();
  const n = /^(?:TYPE)?([0-9]{1,5})$/i.exec(t);
  const code = n ? Number(n[1]) : typeFromName(t);
  if (code === undefined || code < 1 || code > 65535)
    throw new ExplainError(
      'bad-type',
      `not a query type: "${text}" (e.g. A, AAAA, CNAME, MX, TXT, ANY, TYPE65)`,
    );
  if (code === Type.OPT)
    throw new ExplainError(
      'bad-type',
      'OPT is a pseudo-type (RFC 6891 6.1.1), not something to ask for',
    );
  return code;
}

/** A name in presentation form; a trailing dot is optional. */
export function parseQueryName(text: string): string {
  const name = text.trim().replace(/\.$/, '');
  const bad = (why: string) =>
    new ExplainError('bad-name', `not a domain name: "${text}" (${why})`);
  if (name === '' || /\s/.test(name)) throw bad('empty or with spaces');
  const labels = nameToLabels(name);
  if (labels.some((l) => l.length === 0)) throw bad('an empty label');
  if (labels.some((l) => l.length > MAX_LABEL_OCTETS))
    throw bad(`a label over ${MAX_LABEL_OCTETS} octets`);
  if (wireLength(name) > MAX_NAME_OCTETS)
    throw bad(`over ${MAX_NAME_OCTETS} octets (RFC 1035 2.3.4)`);
  return name;
}

const WEIGHTED_NOTE = (ratio: string) =>
  `the pick of a fresh rotation (explain loads its own copy of the zones); a running server keeps one rotation per process, advanced by every query, so its answers go round the sites ${ratio}`;
const ADDRESS_ROTATION_NOTE = (site: string, offered: number, answered: number) =>
  `${site} has ${offered} addresses up and the answer holds ${answered}: they take turns by address weight (a fresh rotation's turn here; a running server's is per process)`;
const MODE_NOTE: Record<Exclude<DecisionMode, 'policy'>, string> = {
  serve_all:
    'no site was available: when_all_down is serve_all, so the policy chose as if every address were up (fail open; drained sites stay out unless every site is drained)',
  fallback:
    "no site was available: when_all_down is fallback, so the answer is the record's fallback addresses",
  nodata: 'no site was available: when_all_down is nodata, so the answer is empty (NODATA)',
  'no-family': 'no site of this record has an address of this family: NODATA',
};

/**
 * Explain how `name` `type` would be answered for `client` (an ECS subnet as a resolver sends it),
 * with the given zones, locator and health. The answer is resolve()'s, computed as the query
 * handler computes it, with tracing on.
 *
 * Rotations advance: a weighted record's rotation (and an address rotation) takes one step in
 * `zones`, as a query would. Pass zones loaded for explaining (the CLI does) to show a fresh
 * rotation and leave a live server's rotation alone.
 *
 * Throws ExplainError when the name, type or client cannot be asked.
 */
export function explain(
  zones: ZoneSet,
  geo: GeoLocator,
  health: HealthView,
  name: string,
  type: string,
  client: string,
): Explanation {
  const qname = parseQueryName(name);
  const qtype = parseQueryType(type);
  const c = parseExplainClient(client);
  const hint = c.hint;
  const located: { where: GeoResult | null; asked: boolean } = { where: null, asked: false };
  const trace: string[] = [];
  const explained: ExplainedStep[] = [];
  // The handler's context (QueryHandler.context), with tracing on: the client is located lazily,
  // once, and only when a policy asks.
  const ctx: SteerContext = {
    client: hint,
    health,
    geo,
    locate: () => {
      located.asked = true;
      return (located.where ??= geo.locate(hint.address, hint.prefix));
    },
    trace,
    explained,
  };
  const zone = zones.find(foldCase(qname));
  let ans: Answer;
  if (qtype === Type.AXFR || qtype === Type.IXFR) {
    // As the handler: zone transfers are not offered (RFC 5936 allows refusing them).
    trace.push('zone transfers are not offered: REFUSED');
    ans = { rcode: Rcode.REFUSED, aa: false, answer: [], authority: [], additional: [] };
  } else ans = resolve(zones, qname, qtype, ctx);
  const where = located.where ?? geo.locate(hint.address, hint.prefix);

  const chain: ChainStep[] = [];
  if (zone && ans.rcode !== Rcode.REFUSED) {
    const isWild = (n: string) =>
      isSubdomain(foldCase(n), zone.key) && !zone.nodes.has(foldCase(n));
    let current = qname;
    const seen = new Set<string>([foldCase(qname)]);
    let looped = false;
    for (const set of ans.answer) {
      if (set.type !== Type.CNAME || qtype === Type.CNAME || qtype === Type.ANY) continue;
      const target = (set.rdata[0] as { name: string }).name;
      chain.push({
        name: set.name,
        kind: 'cname',
        wildcard: isWild(set.name),
        target,
        ttl: set.ttl,
      });
      current = target;
      if (seen.has(foldCase(target))) looped = true;
      seen.add(foldCase(target));
    }
    const key = foldCase(current);
    const step = explained.find((s) => foldCase(s.owner) === key);
    const own = ans.answer.find(
      (s) =>
        foldCase(s.name) === key &&
        (s.type !== Type.CNAME || qtype === Type.CNAME || qtype === Type.ANY),
    );
    let kind: ChainKind;
    if (step) kind = 'steered';
    else if (own) kind = 'static';
    else if (looped) kind = 'loop';
    else if (!isSubdomain(key, zone.key)) kind = 'external';
    else if (ans.rcode === Rcode.NXDOMAIN) kind = 'nxdomain';
    else if (ans.authority.some((s) => s.type === Type.NS)) kind = 'referral';
    else kind = 'nodata';
    const last: ChainStep = {
      name: own?.name ?? current,
      kind,
      wildcard: (kind === 'static' || kind === 'steered') && isWild(current),
    };
    if (step) last.steering = steeringView(step, health);
    chain.push(last);
  }

  // The outcome of the last name followed: a CNAME to a name without the type is NODATA too.
  const end = chain.at(-1);
  const outcome: AnswerView['outcome'] =
    ans.rcode === Rcode.REFUSED
      ? 'refused'
      : ans.rcode === Rcode.NXDOMAIN
        ? 'nxdomain'
        : end?.kind === 'referral'
          ? 'referral'
          : end?.kind === 'nodata' || (end?.steering && end.steering.addresses.length === 0)
            ? 'nodata'
            : 'answer';
  return {
    question: { name: qname, type: typeName(qtype) },
    client: {
      input: c.input,
      family: hint.family,
      sourcePrefix: c.sourcePrefix,
      network: networkText(hint.address, hint.prefix),
      prefix: hint.prefix,
    },
    location: {
      source: where.source,
      origin: where.origin,
      network: where.network,
      prefixLength: where.prefixLength,
      country: where.country,
      continent: where.continent,
      subdivision: where.subdivision,
      site: where.site,
      location: where.location ? { lat: where.location.lat, lon: where.location.lon } : null,
      usedByPolicy: located.asked,
    },
    zone: zone ? { origin: zone.origin, file: zone.file } : null,
    chain,
    answer: {
      rcode: rcodeName(ans.rcode),
      outcome,
      aa: ans.aa,
      answer: records(ans.answer),
      authority: records(ans.authority),
      additional: records(ans.additional),
      steered: ans.steered !== undefined,
      // As the handler: the scope never claims more than the /24 or /56 clients are steered at.
      ecsScope: ans.steered ? Math.min(ans.steered.scope, MAX_STEERING_PREFIX[hint.family]) : 0,
    },
    trace,
  };
}

function steeringView(step: ExplainedStep, health: HealthView): SteeringView {
  const { rec, family, decision, facts } = step;
  const sites: SiteView[] = rec.members.map((site) => {
    const f = facts.sites[site.name] ?? {};
    // The shared step recorded what it saw; for a site it did not look at (drained, or no site has
    // the family) the health table is asked directly, for display only.
    const open = f.open ?? siteAvailable(rec, site, health);
    const up = new Set(f.up ?? []);
    const addresses = addressesOf(site, family).map((a) => ({
      address: a.address,
      weight: a.weight,
      up: f.open ? up.has(a.address) : health.addressUp(rec.zone, site.name, a.address),
    }));
    const v: SiteView = {
      name: site.name,
      state: site.state,
      open,
      available: open && up.size > 0,
      addresses,
      location: site.location ? { lat: site.location.lat, lon: site.location.lon } : null,
      country: site.country,
      chosen: decision.sites.includes(site.name),
    };
    if (f.km !== undefined) v.km = Math.round(f.km * 10) / 10;
    if (f.withinSpread !== undefined) v.withinSpread = f.withinSpread;
    if (f.weight !== undefined) v.weight = f.weight;
    if (f.score !== undefined) v.score = f.score;
    if (f.group !== undefined) v.group = f.group;
    return v;
  });
  const answered = new Set(decision.rdata.map((r) => rdataText(r)));
  const notes: string[] = [];
  if (decision.mode !== 'policy') notes.push(MODE_NOTE[decision.mode]);
  if (rec.kind === 'weighted' && (decision.mode === 'policy' || decision.mode === 'serve_all')) {
    const w = sites.filter((s) => s.weight !== undefined);
    notes.push(
      WEIGHTED_NOTE(
        w.length > 1
          ? `${w.map((s) => s.weight).join(':')} (${w.map((s) => s.name).join(', ')})`
          : 'by weight',
      ),
    );
  }
  // sticky keeps a client on the same addresses; every other policy takes turns among them.
  if (rec.kind !== 'sticky')
    for (const s of sites) {
      if (!s.chosen) continue;
      const offered = s.addresses.filter((a) => a.up || decision.mode === 'serve_all');
      const inAnswer = offered.filter((a) => answered.has(a.address)).length;
      if (inAnswer < offered.length)
        notes.push(ADDRESS_ROTATION_NOTE(s.name, offered.length, inAnswer));
    }
  return {
    record: rec.name,
    zone: rec.zone,
    policy: rec.kind,
    family,
    ttl: decision.ttl,
    answers: rec.answers,
    whenAllDown: rec.whenAllDown,
    sites,
    decidedBy: facts.decidedBy,
    mode: decision.mode,
    chosen: [...decision.sites],
    addresses: decision.rdata.map((r) => rdataText(r)),
    scope: decision.scope,
    notes,
    trace: [...step.trace],
  };
}

function records(sets: readonly RRset[]): RecordView[] {
  return sets.flatMap((s) =>
    s.rdata.map((r) => ({ name: s.name, ttl: s.ttl, type: typeName(s.type), data: rdataText(r) })),
  );
}
