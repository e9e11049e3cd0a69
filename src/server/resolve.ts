import { Rcode, Type } from '../wire/constants.js';
import { foldCase, isSubdomain, parentName } from '../wire/name.js';
import type { Answer, RRset } from '../wire/rr.js';
import { withName } from '../wire/rr.js';
import type { Zone, ZoneNode } from '../zone/zone.js';
import type { Delegation } from '../policy/referral.js';
import type { DynamicRecord } from '../policy/dynamic.js';
import type { ZoneSet } from '../zone/zone-set.js';
import { appendKey, type Steering } from './steering.js';

/** RFC 1034 4.3.2 step 3.a follows CNAMEs; a bound stops long chains (and loops) cheaply. */
const MAX_CNAME_CHAIN = 12;

/**
 * Answer a question from the zones as data (RRsets), following RFC 1034 4.3.2:
 * find the zone, descend to the name, return a referral at a delegation, the RRset, a CNAME
 * chain, a wildcard synthesis (RFC 4592), NODATA, or NXDOMAIN with the SOA (RFC 2308).
 * `qname` keeps the client's letter case; owners equal to it are written as pointers to the
 * question, so the client's case is echoed. Each steered name met on the way is decided by
 * `steer` (server/steering.ts), which also records it; the answer stays data until encoded.
 */
export function resolve(zones: ZoneSet, qname: string, qtype: number, steer: Steering): Answer {
  const key = foldCase(qname);
  const zone = zones.find(key);
  if (!zone) return { rcode: Rcode.REFUSED, aa: false, answer: [], authority: [], additional: [] };
  const ans: Answer = { rcode: Rcode.NOERROR, aa: true, answer: [], authority: [], additional: [] };
  let name = qname;
  let nameKey = key;
  const seen = new Set<string>();
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    seen.add(nameKey);
    const step = answerName(zone, name, nameKey, qtype, ans, hop === 0, steer);
    if (step === null) return ans;
    // A CNAME was added: RFC 1034 4.3.2 step 3.a restarts with its target, inside this zone.
    name = step;
    nameKey = foldCase(step);
    if (!isSubdomain(nameKey, zone.key) || seen.has(nameKey)) return ans;
  }
  return ans;
}

/** Answer for one name; returns the CNAME target to follow, or null when done. */
function answerName(
  zone: Zone,
  name: string,
  key: string,
  qtype: number,
  ans: Answer,
  first: boolean,
  steer: Steering,
): string | null {
  // A delegation at or above the name: refer (RFC 1034 4.3.2 step 3.b), except that the parent
  // side answers DS at the cut itself (RFC 4035 3.1.4.1) - here with NODATA, as nothing is signed.
  if (zone.hasCuts) {
    const cut = findCut(zone, key);
    if (cut && !(qtype === Type.DS && foldCase(cut.name) === key)) {
      // Reached through a CNAME, the answer stays authoritative for the CNAME it holds.
      if (cut.delegation) delegated(zone, cut, cut.delegation, ans, first, steer);
      else referral(zone, cut, ans, first);
      return null;
    }
  }
  let node = zone.nodes.get(key);
  let owner = name;
  if (!node) {
    node = wildcardFor(zone, key);
    if (!node) {
      ans.rcode = Rcode.NXDOMAIN;
      ans.authority.push(zone.negativeSoa);
      return null;
    }
    if (first) ans.wildcard = foldCase(node.name);
  } else owner = key === foldCase(node.name) ? name : node.name;

  const cname = node.rrsets.get(Type.CNAME);
  if (cname && qtype !== Type.CNAME) {
    ans.answer.push(withName(cname, owner));
    if (qtype === Type.ANY) return null; // RFC 8482: one RRset is enough for ANY
    return (cname.rdata[0] as { name: string }).name;
  }
  let set: RRset | undefined;
  const dyn = node.dynamic;
  // A steered name's A (type 1) is also the lowest type there, so ANY gets the steered A.
  const steeredType = qtype === Type.ANY && dyn ? Type.A : qtype;
  if (dyn && (steeredType === Type.A || steeredType === Type.AAAA))
    set = steered(dyn, owner, steeredType, ans, steer);
  else if (qtype === Type.ANY) set = lowestType(node);
  else set = node.rrsets.get(qtype);
  if (set) {
    ans.answer.push(withName(set, owner));
    addTargets(zone, set, ans);
    return null;
  }
  // NODATA (RFC 2308 2.2): the name exists, the type does not; empty non-terminals too.
  ans.authority.push(zone.negativeSoa);
  return null;
}

/** The A or AAAA RRset a policy picks for a steered name, or undefined for NODATA. */
function steered(
  rec: DynamicRecord,
  owner: string,
  type: number,
  ans: Answer,
  steer: Steering,
): RRset | undefined {
  const d = steer.decide({ rec, family: type === Type.A ? 4 : 6 }, owner);
  ans.steered = {
    scope: Math.max(ans.steered?.scope ?? 0, d.scope),
    key: appendKey(ans.steered?.key, d),
  };
  return d.rdata.length ? { name: owner, type, ttl: d.ttl, rdata: d.rdata } : undefined;
}

/**
 * RFC 8482 4.2: answer ANY with one RRset rather than everything, so ANY cannot be used for
 * amplification. The lowest type number is chosen (as Knot does), which is stable across reloads.
 */
function lowestType(node: ZoneNode): RRset | undefined {
  let best: RRset | undefined;
  for (const [t, s] of node.rrsets) if (!best || t < best.type) best = s;
  return best;
}

function findCut(zone: Zone, key: string): ZoneNode | null {
  // Walk from the name up to (not including) the apex and keep the highest cut found.
  let found: ZoneNode | null = null;
  for (let n: string | null = key; n !== null && n !== zone.key; n = parentName(n)) {
    const node = zone.nodes.get(n);
    if (node?.cut) found = node;
  }
  return found;
}

/** RFC 4592 3.3.1: synthesize from *.<closest encloser> if the closest encloser has one. */
function wildcardFor(zone: Zone, key: string): ZoneNode | undefined {
  for (let n = parentName(key); n !== null; n = parentName(n)) {
    if (zone.nodes.has(n)) return zone.nodes.get(`*.${n}`);
  }
  return undefined;
}

/**
 * A referral for a `steer: delegate` name (docs/delegation.md): NS of the sites available now,
 * with their glue. It changes with health, so it is a steered answer: recorded as a step with
 * its decision, so the handler's memo replays it and keys the reply by it.
 * With no site available and `when_all_down: nodata`, the parent answers NODATA itself (an NS
 * RRset cannot be empty): NOERROR, AA, its SOA.
 */
function delegated(
  zone: Zone,
  cut: ZoneNode,
  del: Delegation,
  ans: Answer,
  first: boolean,
  steer: Steering,
): void {
  const d = steer.decide({ rec: del, family: 4 }, cut.name);
  ans.steered = {
    scope: Math.max(ans.steered?.scope ?? 0, d.scope),
    key: appendKey(ans.steered?.key, d),
  };
  if (d.rdata.length === 0) {
    ans.authority.push(zone.negativeSoa);
    return;
  }
  referral(zone, cut, ans, first, { name: cut.name, type: Type.NS, ttl: d.ttl, rdata: d.rdata });
}

function referral(
  zone: Zone,
  cut: ZoneNode,
  ans: Answer,
  clearAa: boolean,
  ns: RRset = cut.rrsets.get(Type.NS)!,
): void {
  if (clearAa) ans.aa = false;
  ans.authority.push(ns);
  // RFC 9471 3.1: glue for nameservers inside the delegated zone must fit, or the reply is
  // truncated; glue for sibling nameservers elsewhere in this zone is optional (3.2).
  const cutKey = foldCase(cut.name);
  for (const rd of ns.rdata) {
    const target = foldCase((rd as { name: string }).name);
    const before = ans.additional.length;
    addAddresses(zone, target, ans);
    if (isSubdomain(target, cutKey)) {
      (ans.requiredAdditional ??= []).push(...ans.additional.slice(before));
    }
  }
}

/** Additional section processing (RFC 1035 3.3.9, 3.3.11; RFC 2782): in-zone addresses only. */
function addTargets(zone: Zone, set: RRset, ans: Answer): void {
  for (const rd of set.rdata) {
    let target: string | null = null;
    if (set.type === Type.NS && rd.kind === 'name') target = rd.name;
    else if (rd.kind === 'mx') target = rd.exchange;
    else if (rd.kind === 'srv') target = rd.target;
    if (target !== null) addAddresses(zone, foldCase(target), ans);
  }
}

function addAddresses(zone: Zone, target: string, ans: Answer): void {
  if (!isSubdomain(target, zone.key)) return;
  const node = zone.nodes.get(target);
  if (!node) return;
  for (const t of [Type.A, Type.AAAA]) {
    const s = node.rrsets.get(t);
    if (s && !ans.additional.includes(s)) ans.additional.push(s);
  }
}
