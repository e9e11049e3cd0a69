// compileZone: one zone file into an immutable Zone, in named steps: the zone's name and default
// TTL, the apex (compile-apex.ts: nameservers, SOA fields), the sites (sites.ts) and their
// nameservers' addresses, the records (compile-steer.ts for steered names, compile-node.ts for
// static data), the structure checks (compile-structure.ts), then the SOA with its serial
// (serial.ts) and the frozen nodes. Every step reports its problems with positions and checking
// goes on after a problem, so one run reports every problem in the file.
import { ProblemCode as C } from '../base/errors.js';
import { type DnssecDefaults, parseDnssecConfig } from '../dnssec/config.js';
import {
  checkKeys,
  type Entry,
  mapEntries,
  type Node,
  scalarInt,
  scalarString,
  type Source,
} from '../base/yaml-source.js';
import type { Site } from '../policy/site.js';
import { Type } from '../wire/constants.js';
import { foldCase, isSubdomain, parentName } from '../wire/name.js';
import { checkName, resolveName } from '../wire/names.js';
import type { RRset } from '../wire/rr.js';
import { compileNameservers, compileSoa } from './compile-apex.js';
import { compileNode } from './compile-node.js';
import { compileSteer } from './compile-steer.js';
import { checkStructure, type Cuts } from './compile-structure.js';
import { ZoneDrafts } from './draft.js';
import { canonicalJson, derivedSerial, hashLines, zoneLines } from './serial.js';
import { compileSites, type NameserverGlue } from './sites.js';
import type { Zone, ZoneNode } from './zone.js';
import { DEFAULT_TTL, MAX_TTL, ZONE_KEYS } from './zone-keys.js';

export {
  DEFAULT_TTL,
  MAX_NEGATIVE_TTL,
  MAX_TTL,
  SOA_DEFAULTS,
  SOA_KEYS,
  STATIC_TYPES,
  ZONE_KEYS,
} from './zone-keys.js';
export { contactToRname } from './compile-apex.js';
export { derivedSerial } from './serial.js';

/**
 * Compile one zone file into an immutable Zone. Problems are added to `src.problems`; the result
 * is null when there were any, so a broken file never yields a half-built zone. Checking goes on
 * after a problem wherever it can, so one run reports every problem in the file. `recordPieces`,
 * when given, is `records:` read in pieces (compile-pieces.ts), each a mapping of some of its
 * names, taken one at a time so that a piece's YAML can go before the next is read.
 */
export function compileZone(
  src: Source,
  dnssecDefaults: DnssecDefaults | null = null,
  recordPieces: Iterable<Node | null> | null = null,
): Zone | null {
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
  // dnssec: is parsed by its own layer (src/dnssec/config.ts); load.ts then reads the keys.
  const dnssecEntry = get('dnssec');
  const dnssecConfig = dnssecEntry
    ? parseDnssecConfig(src, dnssecEntry.value, dnssecEntry.path, dnssecDefaults)
    : null;

  const ttlEntry = get('ttl');
  const defaultTtl = ttlEntry
    ? (scalarInt(src, ttlEntry.value, 'ttl', 0, MAX_TTL, C.badTtl) ?? DEFAULT_TTL)
    : DEFAULT_TTL;

  const z = new ZoneDrafts(src, origin, originKey, defaultTtl);
  const apex = z.draftFor(origin);
  const ns = compileNameservers(z, get('nameservers'));
  const soaFields = compileSoa(z, get('soa'), ns.names);
  // sites: compiled first, since steered records refer to them by name.
  const sitesEntry = get('sites');
  const siteGlue: NameserverGlue[] = [];
  const zoneSites = sitesEntry
    ? compileSites(src, sitesEntry.value, 'sites', origin, siteGlue)
    : new Map<string, Site>();
  addSiteNameservers(z, siteGlue);
  const recEntry = get('records');
  compileRecords(z, recordPieces ?? (recEntry ? [recEntry.value] : []), zoneSites);
  z.endClaims();
  const cuts = checkStructure(z, ns.names, siteGlue);
  // Problems found while reading the YAML (duplicate keys) count too.
  if (src.problems.length > 0) return null;

  const nsSet: RRset = { name: origin, type: Type.NS, ttl: ns.ttl, rdata: ns.names };
  apex.rrsets.set(Type.NS, { set: nsSet, node: null, path: 'nameservers', values: ns.values });

  // The serial is derived from the content as DNS sees it, so reformatting, comments, key order and
  // value order leave it alone, and any change to what is served moves it.
  // Sites are hashed into it only when present, so zones without sites keep the serials they had.
  const sitesLine = sitesEntry?.value ? `SITES ${canonicalJson(sitesEntry.value.toJSON())}\n` : '';
  const { mname, rname, refresh, retry, expire, minimum } = soaFields;
  const soaTtl = soaFields.ttl;
  const soaText = [mname, rname, refresh, retry, expire, minimum, soaTtl].join(' ');
  const contentHash = hashLines(soaText + '\n' + sitesLine, zoneLines(z.drafts, true));
  const serial = soaFields.explicitSerial ?? derivedSerial(contentHash);
  // Unlike the serial, the fingerprint also sees value order and spelling, which the server
  // reproduces in answers, so a reload picks those edits up too.
  const fingerprint = `${serial} ${hashLines(soaText + '\n' + sitesLine, zoneLines(z.drafts, false))}`;
  const soa: RRset = {
    name: origin,
    type: Type.SOA,
    ttl: soaTtl,
    rdata: [{ kind: 'soa', mname, rname, serial, refresh, retry, expire, minimum }],
  };
  apex.rrsets.set(Type.SOA, { set: soa, node: null, path: 'soa', values: [] });
  return {
    origin,
    key: originKey,
    file: src.file,
    soa,
    ns: nsSet,
    negativeSoa: { ...soa, ttl: Math.min(soaTtl, minimum) },
    nodes: freezeNodes(z, cuts),
    sites: zoneSites,
    hasCuts: cuts.cuts.size > 0,
    dnssec: dnssecConfig ? { config: dnssecConfig, keys: [] } : null,
    fingerprint,
  };
}

/**
 * A site's nameserver inside the zone: its addresses are the zone's records at that name, as an
 * apex nameserver's are (docs/delegation.md).
 */
function addSiteNameservers(z: ZoneDrafts, siteGlue: readonly NameserverGlue[]): void {
  for (const g of siteGlue) {
    if (!z.claim(g.name, g.nameNode, g.namePath, 'sites')) continue;
    const d = z.draftFor(g.name);
    if (g.tainted) d.tainted = true;
    for (const [type, rdata] of [
      [Type.A, g.v4],
      [Type.AAAA, g.v6],
    ] as const)
      if (rdata.length)
        z.addSet(d, type, z.defaultTtl, [...rdata], g.addressesNode, g.addressesPath, []);
  }
}

/** `records:` (one mapping, or its pieces): each name's steering stanza, then its static records. */
function compileRecords(
  z: ZoneDrafts,
  pieces: Iterable<Node | null>,
  zoneSites: ReadonlyMap<string, Site>,
): void {
  for (const piece of pieces) compileNames(z, mapEntries(z.src, piece, 'records') ?? [], zoneSites);
}

function compileNames(z: ZoneDrafts, names: Entry[], zoneSites: ReadonlyMap<string, Site>): void {
  const { src, origin, originKey, defaultTtl } = z;
  for (const e of names) {
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
    const d = z.claim(r.name, e.keyNode, e.path, 'records')
      ? z.draftFor(r.name)
      : { name: r.name, rrsets: new Map(), tainted: true };
    const mark = src.problems.length;
    const steered = compileSteer(src, d, e.value, e.path, origin, originKey, zoneSites);
    compileNode(src, d, e.value, e.path, origin, originKey, defaultTtl, z.addSet, steered);
    if (src.problems.length > mark) d.tainted = true;
  }
}

/**
 * Freeze the drafts into nodes, adding empty non-terminals between every owner and the apex. The
 * drafts are spent: each one's map of RRsets becomes its node's (a new map each was 20 MB more at
 * the compile's peak for a 100,000-record zone).
 */
function freezeNodes(z: ZoneDrafts, { cuts, cutAbove }: Cuts): Map<string, ZoneNode> {
  const { drafts, originKey } = z;
  const nodes = new Map<string, ZoneNode>();
  for (const [key, d] of drafts) {
    const rrsets = d.rrsets as Map<number, unknown> as Map<number, RRset>;
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
  return nodes;
}
