// Structure checks that need every name of the zone: CNAME exclusivity, zone cuts, occlusion
// below them, and glue (RFC 1034 3.6.2, 4.2.1; RFC 4592 4.2; RFC 9471). They run even after
// problems elsewhere, on what did compile; tainted names keep them from cascading.
import { ProblemCode as C } from '../base/errors.js';
import { Type, typeName } from '../wire/constants.js';
import { foldCase, isSubdomain, parentName } from '../wire/name.js';
import type { RData } from '../wire/rr.js';
import type { ZoneDrafts } from './draft.js';
import type { NameserverGlue } from './sites.js';

/** The zone's cuts, and the highest cut above a name (null: none). */
export interface Cuts {
  readonly cuts: ReadonlySet<string>;
  cutAbove(key: string): string | null;
}

export function checkStructure(
  z: ZoneDrafts,
  nsNames: readonly RData[],
  siteGlue: readonly NameserverGlue[],
): Cuts {
  const { src, origin, originKey, drafts } = z;
  for (const [key, d] of drafts) {
    const isApex = key === originKey;
    const types = [...d.rrsets.keys()];
    if (d.rrsets.has(Type.CNAME) && (types.length > 1 || isApex)) {
      const c = d.rrsets.get(Type.CNAME)!;
      src.report(
        c.node,
        c.path,
        C.cnameAndOther,
        isApex
          ? 'a CNAME cannot be at the zone apex, which has SOA and NS (RFC 1034 3.6.2)'
          : `a CNAME cannot stand beside other data (${types
              .filter((t) => t !== Type.CNAME)
              .map(typeName)
              .join(', ')}) at ${d.name} (RFC 1034 3.6.2)`,
      );
    }
    if (key.startsWith('*.') && d.rrsets.has(Type.NS)) {
      const n = d.rrsets.get(Type.NS)!;
      src.report(n.node, n.path, C.badValue, 'a wildcard cannot own NS records (RFC 4592 4.2)');
    }
  }
  const cuts = new Set<string>();
  for (const [key, d] of drafts)
    if (key !== originKey && !key.startsWith('*.') && (d.rrsets.has(Type.NS) || d.delegation))
      cuts.add(key);
  const cutAbove = (key: string): string | null => {
    let found: string | null = null;
    for (
      let p = parentName(key);
      p !== null && p !== originKey && isSubdomain(p, originKey);
      p = parentName(p)
    )
      if (cuts.has(p)) found = p;
    return found;
  };
  // RFC 1034 4.2.1: below a cut the parent holds only glue, the addresses of nameservers this zone
  // names (a delegation's, or the apex's own when they sit inside a child zone).
  const nsTargets = new Set<string>(nsNames.map((r) => foldCase((r as { name: string }).name)));
  for (const cut of cuts)
    for (const r of drafts.get(cut)!.rrsets.get(Type.NS)?.set.rdata ?? [])
      nsTargets.add(foldCase((r as { name: string }).name));
  // A steer: delegate stanza with problems names no nameservers: its sites' may be below it, and
  // are not reported as occluded on top of the stanza's own problems.
  if ([...drafts.values()].some((d) => d.delegation && !d.delegation.record))
    for (const g of siteGlue) nsTargets.add(foldCase(g.name));
  const isGlue = (key: string, t: number) =>
    (t === Type.A || t === Type.AAAA) && nsTargets.has(key);
  for (const [key, d] of drafts) {
    if (d.dynamic && (cuts.has(key) || cutAbove(key) !== null)) {
      src.report(
        d.dynamic.node,
        d.dynamic.path,
        C.occluded,
        `${d.name} is at or below a delegation, so its steered answers would never be served`,
      );
    }
    if (cuts.has(key)) {
      const other = [...d.rrsets.keys()].filter(
        (t) => t !== Type.NS && t !== Type.CNAME && !isGlue(key, t),
      );
      if (other.length) {
        const o = d.rrsets.get(other[0]!)!;
        src.report(
          o.node,
          o.path,
          C.occluded,
          `${d.name} is delegated (it has NS records), so its ${other.map(typeName).join(', ')} records would never be served`,
        );
      }
    }
    const above = cutAbove(key);
    if (above !== null) {
      for (const [t, s] of d.rrsets) {
        if (isGlue(key, t)) continue;
        const why =
          t === Type.A || t === Type.AAAA
            ? ' (addresses below a delegation are kept only as glue for a nameserver this zone names)'
            : '';
        src.report(
          s.node,
          s.path,
          C.occluded,
          `${d.name} is below the delegation at ${drafts.get(above)!.name}, so its ${typeName(t)} records would never be served${why}`,
        );
      }
    }
  }
  // Glue: every in-zone nameserver of a delegation needs an address (RFC 1034 4.2.1, RFC 9471).
  // A steer: delegate cut's come from its sites' nameserver: stanzas, which compileSites checked.
  for (const cut of cuts) {
    if (drafts.get(cut)!.delegation) continue;
    const ns = drafts.get(cut)!.rrsets.get(Type.NS)!;
    ns.set.rdata.forEach((t, i) => {
      const name = (t as { name: string }).name;
      const tk = foldCase(name);
      if (!isSubdomain(tk, originKey)) return;
      const td = drafts.get(tk);
      if (td?.tainted) return;
      if (!td || (!td.rrsets.has(Type.A) && !td.rrsets.has(Type.AAAA) && !td.dynamic)) {
        const v = ns.values[i] ?? { node: ns.node, path: ns.path };
        src.report(
          v.node,
          v.path,
          C.missingGlue,
          `nameserver ${name} is inside zone ${origin}, so it needs A or AAAA records (glue) under records:`,
        );
      }
    });
  }
  return { cuts, cutAbove };
}
