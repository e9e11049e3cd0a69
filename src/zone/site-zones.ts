// The zones an instance started for one site (`--site`, docs/delegation.md) serves beside the
// zone files: the child zone of every `steer: delegate` name listing that site, synthesized from
// the parent zone so every site's instance serves the same data. Building zones is the zone
// layer's job; the delegate policy contributes the apex record (siteRecord). The main thread
// derives them once per generation; they reach the answer threads as shares like any zone.
import { type Problem, ProblemCode as C } from '../base/errors.js';
import { type Delegation, siteRecord } from '../policy/referral.js';
import type { Site } from '../policy/site.js';
import { Type } from '../wire/constants.js';
import { foldCase, isSubdomain, parentName } from '../wire/name.js';
import type { RData, RRset } from '../wire/rr.js';
import { steeredNodes } from './image.js';
import type { Zone, ZoneNode } from './zone.js';

/**
 * The zones an instance running in site `site` serves beside the zone files: for each
 * `steer: delegate` name listing that site, the child zone it is authoritative for (childZone).
 * A problem when no zone declares the site (`where` names the zones directory), or when a zone
 * file already defines one of those child zones.
 */
export function siteZones(
  zones: readonly Zone[],
  site: string,
  where: string,
): { zones: Zone[]; problems: Problem[] } {
  const problem = (file: string, code: Problem['code'], message: string): Problem => ({
    file,
    line: 1,
    col: 1,
    path: '',
    code,
    message,
  });
  if (!zones.some((z) => z.sites.has(site))) {
    const declared = [...new Set(zones.flatMap((z) => [...z.sites.keys()]))];
    return {
      zones: [],
      problems: [
        problem(
          where,
          C.unknownSite,
          `site "${site}" (--site, or site: in the configuration) is not declared under sites: in any zone (declared: ${declared.join(', ') || 'none'})`,
        ),
      ],
    };
  }
  const byKey = new Map(zones.map((z) => [z.key, z]));
  const children: Zone[] = [];
  const problems: Problem[] = [];
  for (const parent of zones) {
    if (!parent.hasCuts) continue;
    // Only the delegations matter: read the steered nodes, never the parent's image (its static
    // nodes, decoded one by one, would make this cost as much as the parent is big).
    for (const node of steeredNodes(parent.nodes).values()) {
      const del = node.delegation;
      const own = del?.members.find((m) => m.name === site);
      if (!del || !own) continue;
      const child = childZone(parent, del, own);
      const file = byKey.get(child.key);
      if (file)
        problems.push(
          problem(
            file.file,
            C.duplicateZone,
            `zone ${file.origin} is also delegated by ${parent.file} (records: ${del.name}, steer: delegate), whose child zone this instance serves as site ${site}: keep one of them`,
          ),
        );
      else children.push(child);
    }
  }
  return { zones: children, problems };
}

/**
 * The child zone of a delegation as the nameserver of site `own` serves it, built from the parent
 * so every site's instance serves the same data: SOA (MNAME: this site's nameserver; RNAME,
 * serial and timers: the parent's), NS (every member's nameserver, the same from every site),
 * at the apex A and AAAA of this site's addresses (picked per query: up ones, else when_all_down),
 * the addresses of the nameservers whose names are inside the child zone, and nothing else:
 * other names are NXDOMAIN. The health of the site is read under the parent zone's name, where
 * the probes register it.
 */
export function childZone(parent: Zone, del: Delegation, own: Site): Zone {
  const origin = del.name;
  const key = foldCase(origin);
  const p = parent.soa.rdata[0] as Extract<RData, { kind: 'soa' }>;
  const soa: RRset = {
    name: origin,
    type: Type.SOA,
    ttl: parent.soa.ttl,
    rdata: [{ ...p, mname: own.nameserver!.name }],
  };
  const ns: RRset = { ...del.ns };
  const apexRecord = siteRecord(del, own);
  const nodes = new Map<string, ZoneNode>();
  const plain = (name: string, rrsets: Map<number, RRset>): ZoneNode => ({
    name,
    rrsets,
    cut: false,
    occluded: false,
    dynamic: null,
    delegation: null,
  });
  nodes.set(key, {
    ...plain(
      origin,
      new Map<number, RRset>([
        [Type.SOA, soa],
        [Type.NS, ns],
      ]),
    ),
    dynamic: apexRecord,
  });
  // Nameservers named inside the child zone: the parent holds their addresses as glue, the child
  // serves them with authority (RFC 1034 4.2.1).
  for (const rd of del.nameservers) {
    const target = foldCase((rd as { name: string }).name);
    const glue = parent.nodes.get(target);
    if (target === key || !isSubdomain(target, key) || !glue) continue;
    const rrsets = new Map<number, RRset>();
    for (const t of [Type.A, Type.AAAA]) {
      const s = glue.rrsets.get(t);
      if (s) rrsets.set(t, s);
    }
    nodes.set(target, plain(glue.name, rrsets));
    let name = glue.name;
    for (let n = parentName(target); n !== null && n !== key; n = parentName(n)) {
      name = parentName(name)!;
      if (!nodes.has(n)) nodes.set(n, plain(name, new Map()));
    }
  }
  return {
    origin,
    key,
    file: parent.file,
    soa,
    ns,
    negativeSoa: { ...soa, ttl: parent.negativeSoa.ttl },
    nodes,
    // The site stays registered under the parent zone only, so the probes run once.
    sites: new Map(),
    hasCuts: false,
    fingerprint: `${parent.fingerprint} site ${own.name}`,
  };
}
