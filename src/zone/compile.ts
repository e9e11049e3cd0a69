import { createHash } from 'node:crypto';
import { Type, typeFromName, typeName } from '../wire/constants.js';
import { foldCase, isSubdomain, parentName } from '../wire/name.js';
import type { RData, RRset } from '../wire/rr.js';
import { ProblemCode as C } from '../base/errors.js';
import { checkName, resolveName } from '../wire/names.js';
import { rdataText } from './present.js';
import { parseRData } from './rdata.js';
import {
  checkKeys,
  describe,
  type Entry,
  isMap,
  isScalar,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarInt,
  scalarString,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import type { Zone, ZoneNode } from './zone.js';
import { compileDelegation, DELEGATE, type Delegation } from '../policy/delegate.js';
import { compileDynamic } from '../policy/compile-record.js';
import type { DynamicRecord } from '../policy/dynamic.js';
import { POLICIES } from '../policy/registry.js';
import type { Site } from '../policy/site.js';
import { nameserverAddresses } from './glue.js';
import { compileSites, type NameserverGlue } from './sites.js';

/** RFC 2181 8: TTLs are unsigned 31-bit values. */
export const MAX_TTL = 2147483647;
export const DEFAULT_TTL = 300;
/** SOA timers when soa: leaves them out. negative_ttl is capped at a week; RFC 2308 5 finds 1-3 hours work well. */
export const SOA_DEFAULTS = {
  refresh: 3600,
  retry: 600,
  expire: 1209600,
  negative_ttl: 60,
} as const;
export const MAX_NEGATIVE_TTL = 604800;

// The key lists are exported so docs/zone-format.md can be checked against them (test/docs.test.ts).
export const ZONE_KEYS = ['zone', 'ttl', 'soa', 'nameservers', 'sites', 'records'] as const;
export const SOA_KEYS = [
  'primary',
  'contact',
  'serial',
  'refresh',
  'retry',
  'expire',
  'negative_ttl',
  'ttl',
] as const;
export const STATIC_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'PTR', 'NS'] as const;
const NODE_KEYS = ['ttl', ...STATIC_TYPES] as const;

interface Ref {
  node: Node | null;
  path: string;
}

interface Draft {
  name: string;
  rrsets: Map<number, { set: RRset; node: Node | null; path: string; values: Ref[] }>;
  /** A value of this name had a problem: checks that need its records (glue) stay quiet. */
  tainted: boolean;
  /** A steered name: its A/AAAA answers come from a policy. */
  dynamic?: { record: DynamicRecord; node: Node | null; path: string; text: string };
  /**
   * A `steer: delegate` name: a cut whose NS come from its sites' nameservers. `record` is null
   * when the stanza had problems; the name is still a cut, so what lies below it is checked.
   */
  delegation?: { record: Delegation | null; text: string };
}

type Section = 'nameservers' | 'records' | 'sites';

/**
 * Compile one zone file into an immutable Zone. Problems are added to `src.problems`; the result
 * is null when there were any, so a broken file never yields a half-built zone. Checking goes on
 * after a problem wherever it can, so one run reports every problem in the file.
 */
export function compileZone(src: Source): Zone | null {
  if (src.root === null) {
    if (src.problems.length === 0)
      src.report(
        null,
        '',
        C.missingKey,
        'the file is empty: a zone needs at least "zone:" and "nameservers:"',
      );
    return null;
  }
  const entries = mapEntries(src, src.root, '');
  if (!entries) return null;
  checkKeys(src, entries, ZONE_KEYS, 'zone file');
  const get = (k: string) => entries.find((e) => e.key === k);

  const zoneEntry = get('zone');
  if (!zoneEntry) {
    src.report(
      src.root,
      '',
      C.missingKey,
      'missing required key "zone" (the zone\'s name, e.g. gslb.example.com)',
    );
    return null;
  }
  const zoneText = scalarString(src, zoneEntry.value, 'zone');
  if (zoneText === null) return null;
  const origin = zoneText.trim().replace(/\.$/, '');
  const bad = checkName(origin, false);
  if (bad && !bad.ok) {
    src.report(zoneEntry.value, 'zone', C.badName, bad.message);
    return null;
  }
  const originKey = foldCase(origin);

  const ttlEntry = get('ttl');
  const defaultTtl = ttlEntry
    ? (scalarInt(src, ttlEntry.value, 'ttl', 0, MAX_TTL, C.badTtl) ?? DEFAULT_TTL)
    : DEFAULT_TTL;

  const drafts = new Map<string, Draft>();
  const draftFor = (name: string): Draft => {
    const key = foldCase(name);
    let d = drafts.get(key);
    if (!d) drafts.set(key, (d = { name, rrsets: new Map(), tainted: false }));
    return d;
  };
  // Each name may be written once per section. The same name in nameservers: (its glue) and in
  // records: (its other data) is fine when spelled alike; any two spellings that differ only in
  // letter case are rejected, since DNS treats them as one name (RFC 4343) and the file is ambiguous.
  const claims = new Map<string, { name: string; path: string; section: Section }>();
  const claim = (name: string, node: Node | null, path: string, section: Section): boolean => {
    const key = foldCase(name);
    const prev = claims.get(key);
    if (!prev) {
      claims.set(key, { name, path, section });
      return true;
    }
    if (prev.name !== name) {
      src.report(
        node,
        path,
        C.caseDuplicate,
        `${name} is the same name as ${prev.name} (${prev.path}); DNS names are case-insensitive (RFC 4343)`,
      );
      return false;
    }
    if (prev.section === section) {
      src.report(node, path, C.duplicateName, `${name} is already defined at ${prev.path}`);
      return false;
    }
    return true;
  };
  const addSet: AddSet = (d, type, ttl, rdata, node, path, values) => {
    const prev = d.rrsets.get(type);
    if (prev) {
      src.report(
        node,
        path,
        C.badValue,
        `${typeName(type)} records for ${d.name} are already defined at ${prev.path}`,
      );
      return;
    }
    d.rrsets.set(type, { set: { name: d.name, type, ttl, rdata }, node, path, values });
  };

  // nameservers: apex NS with their glue.
  const apex = draftFor(origin);
  const nsEntry = get('nameservers');
  const nsNames: RData[] = [];
  const nsValues: Ref[] = [];
  let nsTtl = defaultTtl;
  if (!nsEntry)
    src.report(
      src.root,
      '',
      C.missingKey,
      'missing required key "nameservers" (the zone\'s NS records, with addresses for in-zone names)',
    );
  else {
    const all = mapEntries(src, nsEntry.value, 'nameservers');
    // `ttl:` beside the names, as under records:, is the TTL of the apex NS RRset and of the glue
    // written here: one value, since every RR of an RRset shares one TTL (RFC 2181 5.2).
    const ttlE = all?.find((e) => e.key === 'ttl');
    if (ttlE && isScalar(ttlE.value) && typeof ttlE.value.value === 'number')
      nsTtl = scalarInt(src, ttlE.value, ttlE.path, 0, MAX_TTL, C.badTtl) ?? defaultTtl;
    else if (ttlE)
      src.report(
        ttlE.value,
        ttlE.path,
        C.badTtl,
        `the TTL of the NS records and their glue must be an integer 0-${MAX_TTL}, got ${describe(ttlE.value)}; a nameserver named ttl is written in full: ttl.${origin}`,
      );
    const nsEntries = all?.filter((e) => e !== ttlE);
    if (nsEntries && nsEntries.length === 0)
      src.report(nsEntry.value, 'nameservers', C.missingKey, 'at least one nameserver is required');
    for (const e of nsEntries ?? []) {
      const r = resolveName(e.key, origin);
      if (!r.ok) {
        src.report(e.keyNode, e.path, C.badName, r.message);
        continue;
      }
      if (!claim(r.name, e.keyNode, e.path, 'nameservers')) continue;
      nsNames.push({ kind: 'name', name: r.name });
      nsValues.push({ node: e.keyNode, path: e.path });
      const inZone = isSubdomain(foldCase(r.name), originKey);
      const mark = src.problems.length;
      const addrs = isScalar(e.value) && e.value.value === null ? [] : listOf(src, e.value, e.path);
      if (addrs.length === 0 && src.problems.length > mark) continue; // not a list: reported, no glue check
      if (!inZone && addrs.length) {
        src.report(
          e.value,
          e.path,
          C.outOfZone,
          `${r.name} is outside zone ${origin}: its addresses are not served here; list it with no addresses`,
        );
        continue;
      }
      if (inZone && addrs.length === 0) {
        src.report(
          e.keyNode,
          e.path,
          C.missingGlue,
          `${r.name} is inside zone ${origin}, so it needs its addresses (glue), e.g. ${e.key}: [192.0.2.53]`,
        );
        continue;
      }
      const { v4, v6, bad } = nameserverAddresses(src, addrs);
      if (!inZone) continue;
      const d = draftFor(r.name);
      if (bad) d.tainted = true;
      if (v4.length) addSet(d, Type.A, nsTtl, v4, e.value, e.path, []);
      if (v6.length) addSet(d, Type.AAAA, nsTtl, v6, e.value, e.path, []);
    }
  }

  // soa
  const soaEntry = get('soa');
  const soaMap = soaEntry ? mapEntries(src, soaEntry.value, 'soa') : [];
  if (soaMap) checkKeys(src, soaMap, SOA_KEYS, 'soa');
  const soaGet = (k: string) => soaMap?.find((e) => e.key === k);
  const soaInt = (k: string, dflt: number, max = MAX_TTL) => {
    const e = soaGet(k);
    return e
      ? (scalarInt(src, e.value, e.path, 0, max, k.endsWith('ttl') ? C.badTtl : C.badValue) ?? dflt)
      : dflt;
  };
  let mname = nsNames[0]?.kind === 'name' ? nsNames[0].name : origin;
  const primary = soaGet('primary');
  if (primary) {
    const t = scalarString(src, primary.value, primary.path);
    const r = t === null ? null : resolveName(t, origin);
    if (r && !r.ok) src.report(primary.value, primary.path, C.badName, r.message);
    else if (r) mname = r.name;
  }
  let rname = `hostmaster.${origin}`;
  const contact = soaGet('contact');
  if (contact) {
    const t = scalarString(src, contact.value, contact.path);
    if (t !== null) {
      const r = contactToRname(t, origin);
      if (!r.ok) src.report(contact.value, contact.path, C.badName, r.message);
      else rname = r.name;
    }
  }
  const soaTtl = soaInt('ttl', defaultTtl);
  const refresh = soaInt('refresh', SOA_DEFAULTS.refresh);
  const retry = soaInt('retry', SOA_DEFAULTS.retry);
  const expire = soaInt('expire', SOA_DEFAULTS.expire);
  const minimum = soaInt('negative_ttl', SOA_DEFAULTS.negative_ttl, MAX_NEGATIVE_TTL);
  const serialEntry = soaGet('serial');
  // RFC 1982: serials are unsigned 32-bit numbers.
  const explicitSerial = serialEntry
    ? scalarInt(src, serialEntry.value, serialEntry.path, 0, 4294967295)
    : null;

  // sites: compiled first, since steered records refer to them by name.
  const sitesEntry = get('sites');
  const siteGlue: NameserverGlue[] = [];
  const zoneSites = sitesEntry
    ? compileSites(src, sitesEntry.value, 'sites', origin, siteGlue)
    : new Map<string, Site>();
  // A site's nameserver inside the zone: its addresses are the zone's records at that name, as
  // an apex nameserver's are (docs/delegation.md).
  for (const g of siteGlue) {
    if (!claim(g.name, g.nameNode, g.namePath, 'sites')) continue;
    const d = draftFor(g.name);
    if (g.tainted) d.tainted = true;
    for (const [type, rdata] of [
      [Type.A, g.v4],
      [Type.AAAA, g.v6],
    ] as const)
      if (rdata.length)
        addSet(d, type, defaultTtl, [...rdata], g.addressesNode, g.addressesPath, []);
  }
  // Hashed into the serial only when present, so zones without sites keep the serials they had.
  const sitesLine = sitesEntry?.value ? `SITES ${canonicalJson(sitesEntry.value.toJSON())}\n` : '';

  // records
  const recEntry = get('records');
  for (const e of recEntry ? (mapEntries(src, recEntry.value, 'records') ?? []) : []) {
    const r = resolveName(e.key, origin, { wildcard: true });
    if (!r.ok) {
      src.report(e.keyNode, e.path, C.badName, r.message);
      continue;
    }
    if (!isSubdomain(foldCase(r.name), originKey)) {
      src.report(e.keyNode, e.path, C.outOfZone, `${r.name} is outside zone ${origin}`);
      continue;
    }
    // A name rejected as a duplicate is still compiled, into a draft nobody keeps, so its own
    // problems are reported in the same run.
    const d = claim(r.name, e.keyNode, e.path, 'records')
      ? draftFor(r.name)
      : { name: r.name, rrsets: new Map(), tainted: true };
    const mark = src.problems.length;
    const steered = compileSteer(src, d, e.value, e.path, origin, originKey, zoneSites);
    compileNode(src, d, e.value, e.path, origin, originKey, defaultTtl, addSet, steered);
    if (src.problems.length > mark) d.tainted = true;
  }

  // Structure checks that need every name: CNAME exclusivity, cuts, occlusion, glue. They run
  // even after problems above, on what did compile; tainted names keep them from cascading.
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
  // Problems found while reading the YAML (duplicate keys) count too.
  if (src.problems.length > 0) return null;

  const nsSet: RRset = { name: origin, type: Type.NS, ttl: nsTtl, rdata: nsNames };
  apex.rrsets.set(Type.NS, { set: nsSet, node: null, path: 'nameservers', values: nsValues });

  // The serial is derived from the content as DNS sees it, so reformatting, comments, key order and
  // value order leave it alone, and any change to what is served moves it.
  const soaFields = [mname, rname, refresh, retry, expire, minimum, soaTtl].join(' ');
  const contentHash = sha256(soaFields + '\n' + sitesLine + zoneLines(drafts, true));
  const serial = explicitSerial ?? derivedSerial(contentHash);
  const soa: RRset = {
    name: origin,
    type: Type.SOA,
    ttl: soaTtl,
    rdata: [{ kind: 'soa', mname, rname, serial, refresh, retry, expire, minimum }],
  };
  apex.rrsets.set(Type.SOA, { set: soa, node: null, path: 'soa', values: [] });

  // Freeze into nodes, adding empty non-terminals between every owner and the apex.
  const nodes = new Map<string, ZoneNode>();
  for (const [key, d] of drafts) {
    const rrsets = new Map<number, RRset>();
    for (const [t, s] of d.rrsets) rrsets.set(t, s.set);
    nodes.set(key, {
      name: d.name,
      rrsets,
      cut: cuts.has(key),
      occluded: cutAbove(key) !== null,
      dynamic: d.dynamic?.record ?? null,
      delegation: d.delegation?.record ?? null,
    });
  }
  for (const [key, d] of drafts) {
    let name = d.name;
    for (
      let p = parentName(key);
      p !== null && p !== originKey && isSubdomain(p, originKey);
      p = parentName(p)
    ) {
      name = parentName(name)!;
      if (!nodes.has(p))
        nodes.set(p, {
          name,
          rrsets: new Map(),
          cut: false,
          occluded: cutAbove(p) !== null,
          dynamic: null,
          delegation: null,
        });
    }
  }
  return {
    origin,
    key: originKey,
    file: src.file,
    soa,
    ns: nsSet,
    negativeSoa: { ...soa, ttl: Math.min(soaTtl, minimum) },
    nodes,
    sites: zoneSites,
    hasCuts: cuts.size > 0,
    // Unlike the serial, the fingerprint also sees value order and spelling, which the server
    // reproduces in answers, so a reload picks those edits up too.
    fingerprint: `${serial} ${sha256(soaFields + '\n' + sitesLine + zoneLines(drafts, false))}`,
  };
}

/**
 * A record with `steer:` is dynamic: its A/AAAA answers come from a policy over the zone's sites.
 * Returns the keys that belonged to the steering stanza (so compileNode leaves them alone);
 * other record types (TXT, MX, ...) may stand beside it, A, AAAA and CNAME may not.
 */
function compileSteer(
  src: Source,
  d: Draft,
  value: Node | null,
  path: string,
  origin: string,
  originKey: string,
  zoneSites: ReadonlyMap<string, Site>,
): readonly string[] {
  if (!isMap(value) || !value.items.some((p) => scalarText(p.key as Node) === 'steer')) return [];
  const entries = mapEntries(src, value, path) ?? [];
  const isType = (k: string) => /^[A-Z][A-Z0-9]*$/.test(k);
  const steerE = entries.find((e) => e.key === 'steer');
  if (steerE && scalarText(steerE.value) === DELEGATE)
    return compileDelegate(src, d, entries, value, path, origin, originKey, zoneSites);
  for (const e of entries) {
    if (e.key === 'A' || e.key === 'AAAA')
      src.report(
        e.keyNode,
        e.path,
        C.badValue,
        `${d.name} is steered: its ${e.key} answers come from its sites, so it cannot also have static ${e.key} records`,
      );
    if (e.key === 'CNAME')
      src.report(
        e.keyNode,
        e.path,
        C.cnameAndOther,
        `a CNAME cannot stand beside the steered A/AAAA answers of ${d.name} (RFC 1034 3.6.2)`,
      );
  }
  const stanza = entries.filter((e) => !isType(e.key));
  const record = compileDynamic(src, stanza, value, path, origin, d.name, zoneSites, POLICIES);
  if (record) d.dynamic = { record, node: value, path, text: canonicalJson(value.toJSON()) };
  return [...stanza.map((e) => e.key), 'A', 'AAAA', 'CNAME'];
}

/**
 * `steer: delegate`: the name is a zone cut whose NS records are its sites' nameservers
 * (docs/delegation.md). Every key under the name is the stanza's: a record type there would be
 * occluded by the cut, and is rejected as such.
 */
function compileDelegate(
  src: Source,
  d: Draft,
  entries: Entry[],
  value: Node,
  path: string,
  origin: string,
  originKey: string,
  zoneSites: ReadonlyMap<string, Site>,
): readonly string[] {
  const isType = (k: string) => /^[A-Z][A-Z0-9]*$/.test(k);
  const key = foldCase(d.name);
  const steerE = entries.find((e) => e.key === 'steer')!;
  let placed = true;
  if (key === originKey) {
    src.report(
      steerE.value,
      steerE.path,
      C.badValue,
      `the apex cannot be delegated: steer: delegate makes a child zone below ${origin}, e.g. edge.${origin}`,
    );
    placed = false;
  } else if (key.startsWith('*.')) {
    src.report(
      steerE.value,
      steerE.path,
      C.badValue,
      'a wildcard cannot be delegated: it cannot own NS records (RFC 4592 4.2)',
    );
    placed = false;
  }
  for (const e of entries)
    if (isType(e.key))
      src.report(
        e.keyNode,
        e.path,
        C.occluded,
        `${d.name} is delegated (steer: delegate), so its ${e.key} records would never be served`,
      );
  const stanza = entries.filter((e) => !isType(e.key));
  const record = compileDelegation(src, stanza, value, path, origin, d.name, zoneSites);
  if (placed) d.delegation = { record, text: canonicalJson(value.toJSON()) };
  if (record && placed) d.rrsets.set(Type.NS, { set: record.ns, node: value, path, values: [] });
  return entries.map((e) => e.key);
}

type AddSet = (
  d: Draft,
  type: number,
  ttl: number,
  rdata: RData[],
  node: Node | null,
  path: string,
  values: Ref[],
) => void;

function compileNode(
  src: Source,
  d: Draft,
  value: Node | null,
  path: string,
  origin: string,
  originKey: string,
  defaultTtl: number,
  addSet: AddSet,
  steered: readonly string[],
): void {
  const all = mapEntries(src, value, path);
  if (!all) return;
  // The keys of a steer: stanza were compiled by compileSteer.
  const entries = all.filter((e) => !steered.includes(e.key));
  for (const e of entries) {
    if (NODE_KEYS.includes(e.key as (typeof NODE_KEYS)[number])) continue;
    if (e.key.toUpperCase() === 'SOA')
      src.report(
        e.keyNode,
        e.path,
        C.apexRecord,
        'the SOA record is generated from "soa:" at the top of the file',
      );
    else if ((STATIC_TYPES as readonly string[]).includes(e.key.toUpperCase())) {
      src.report(
        e.keyNode,
        e.path,
        C.unknownKey,
        `unknown key "${e.key}" in ${path}: record types are written in upper case ("${e.key.toUpperCase()}")`,
      );
    } else if (typeFromName(e.key) !== undefined || /^[A-Z][A-Z0-9]*$/.test(e.key)) {
      src.report(
        e.keyNode,
        e.path,
        C.unsupportedType,
        `record type ${e.key} is not supported (supported: ${STATIC_TYPES.join(', ')})`,
      );
    } else checkKeys(src, [e], NODE_KEYS, path);
  }
  const ttlE = entries.find((e) => e.key === 'ttl');
  const nodeTtl = ttlE
    ? (scalarInt(src, ttlE.value, ttlE.path, 0, MAX_TTL, C.badTtl) ?? defaultTtl)
    : defaultTtl;
  const isApex = foldCase(d.name) === originKey;
  for (const e of entries) {
    if (!(STATIC_TYPES as readonly string[]).includes(e.key)) continue;
    const type = typeFromName(e.key)!;
    if (type === Type.NS && isApex) {
      src.report(
        e.keyNode,
        e.path,
        C.apexRecord,
        'apex NS records come from "nameservers:", not from records',
      );
      continue;
    }
    // A type takes a value, a list, or { ttl, values } for a TTL of its own.
    let valuesNode = e.value;
    let valuesPath = e.path;
    let ttl = nodeTtl;
    if (isMap(e.value)) {
      const sub = mapEntries(src, e.value, e.path) ?? [];
      checkKeys(src, sub, ['ttl', 'values'], e.path);
      const t = sub.find((s) => s.key === 'ttl');
      if (t) ttl = scalarInt(src, t.value, t.path, 0, MAX_TTL, C.badTtl) ?? ttl;
      const v = sub.find((s) => s.key === 'values');
      if (!v) {
        src.report(
          e.value,
          e.path,
          C.missingKey,
          'missing "values" (the form with a TTL of its own is { ttl: 60, values: [...] })',
        );
        continue;
      }
      valuesNode = v.value;
      valuesPath = v.path;
    }
    const values = listOf(src, valuesNode, valuesPath);
    if (values.length === 0) {
      // listOf has reported anything that is not a list; an empty list is reported here.
      if (isSeq(valuesNode) && valuesNode.items.length === 0)
        src.report(
          valuesNode,
          valuesPath,
          C.badValue,
          'an empty list: give at least one value, or remove the key',
        );
      continue;
    }
    if (type === Type.CNAME && values.length > 1) {
      src.report(
        values[1]!.node,
        values[1]!.path,
        C.badValue,
        'a name has at most one CNAME (RFC 1034 3.6.2)',
      );
      continue;
    }
    const rdata: RData[] = [];
    const seen = new Map<string, string>();
    const refs: Ref[] = [];
    for (const v of values) {
      if (v.text === null) {
        src.report(v.node, v.path, C.wrongType, `must be a string, got ${describe(v.node)}`);
        continue;
      }
      const r = parseRData(type, v.text, origin);
      if (!r.ok) {
        src.report(
          v.node,
          v.path,
          type === Type.A || type === Type.AAAA
            ? C.badAddress
            : type === Type.CNAME || type === Type.NS || type === Type.PTR
              ? C.badName
              : C.badValue,
          r.message,
        );
        continue;
      }
      const k = rdataKey(r.rdata);
      const dup = seen.get(k);
      if (dup) {
        src.report(
          v.node,
          v.path,
          C.badValue,
          `duplicate of ${dup}: an RRset holds each record once (RFC 2181 5)`,
        );
        continue;
      }
      seen.set(k, v.path);
      rdata.push(r.rdata);
      refs.push({ node: v.node, path: v.path });
    }
    if (rdata.length) addSet(d, type, ttl, rdata, e.value, e.path, refs);
  }
}

/** Identity of a record within its RRset: names compare case-insensitively (RFC 4343), text exactly. */
function rdataKey(r: RData): string {
  const text = rdataText(r);
  return r.kind === 'name' || r.kind === 'mx' || r.kind === 'srv' ? foldCase(text) : text;
}

/** "hostmaster@example.com" or "hostmaster.example.com." → RNAME (RFC 1035 8: first label is the mailbox). */
export function contactToRname(
  text: string,
  origin: string,
): { ok: true; name: string } | { ok: false; message: string } {
  const at = text.indexOf('@');
  if (at < 0) return resolveName(text, origin);
  const local = text.slice(0, at).replace(/\\/g, '\\\\').replace(/\./g, '\\.');
  if (!/^[A-Za-z0-9._+\\-]+$/.test(local))
    return { ok: false, message: `not a usable mailbox: "${text}"` };
  const domain = text.slice(at + 1).replace(/\.$/, '');
  const bad = checkName(domain, false);
  if (bad && !bad.ok) return bad;
  return { ok: true, name: `${local}.${domain}` };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** First 32 bits of the content hash; 0 is skipped so a derived serial always looks set. */
export function derivedSerial(hash: string): number {
  return parseInt(hash.slice(0, 8), 16) || 1;
}

/** JSON with every mapping's keys sorted: key order in the YAML does not change what is served. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The zone's records, one master-file-like line each. Canonical (for the serial): owners case-folded
 * and sorted, RRsets by type, records sorted within each RRset. Exact (for the fingerprint): owners
 * as spelled and records in file order.
 */
function zoneLines(drafts: Map<string, Draft>, canonical: boolean): string {
  const lines: string[] = [];
  for (const [key, d] of [...drafts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (d.dynamic) lines.push(`${canonical ? key : d.name} STEER ${d.dynamic.text}`);
    if (d.delegation) lines.push(`${canonical ? key : d.name} DELEGATE ${d.delegation.text}`);
    for (const [t, s] of [...d.rrsets].sort(([a], [b]) => a - b)) {
      const rrs = s.set.rdata.map(
        (r) =>
          `${canonical ? key : d.name} ${s.set.ttl} ${typeName(t)} ${canonical ? rdataKey(r) : rdataText(r)}`,
      );
      lines.push(...(canonical ? rrs.sort() : rrs));
    }
  }
  return lines.join('\n');
}
