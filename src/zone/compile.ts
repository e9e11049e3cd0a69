import { createHash } from 'node:crypto';
import { Type, typeFromName, typeName } from '../wire/constants.js';
import { foldCase, isSubdomain, parentName } from '../wire/name.js';
import type { RData, RRset } from '../wire/rr.js';
import { ProblemCode as C } from './errors.js';
import { checkName, resolveName } from './names.js';
import { ipv4Bytes, ipv6Bytes, ipv6Text, parseRData } from './rdata.js';
import { checkKeys, isMap, isScalar, listOf, mapEntries, type Node, scalarInt, scalarString, type Source } from './yaml-source.js';
import type { Zone, ZoneNode } from './zone.js';
import { rdataText } from './present.js';

/** RFC 2181 8: TTLs are unsigned 31-bit values. */
export const MAX_TTL = 2147483647;
export const DEFAULT_TTL = 300;

const ZONE_KEYS = ['zone', 'ttl', 'soa', 'nameservers', 'records'] as const;
const SOA_KEYS = ['primary', 'contact', 'serial', 'refresh', 'retry', 'expire', 'negative_ttl', 'ttl'] as const;
const STATIC_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'PTR', 'NS'] as const;
const NODE_KEYS = ['ttl', ...STATIC_TYPES] as const;

interface Draft {
  name: string;
  node: Node | null;
  path: string;
  rrsets: Map<number, { set: RRset; node: Node | null; path: string; values: { node: Node | null; path: string }[] }>;
}

/**
 * Compile one zone file into an immutable Zone. Problems are added to `src.problems`; the result
 * is null when there were any, so a broken file never yields a half-built zone.
 */
export function compileZone(src: Source): Zone | null {
  const before = src.problems.length;
  const entries = src.root === null ? null : mapEntries(src, src.root, '');
  if (!entries) return null;
  checkKeys(src, entries, ZONE_KEYS, 'zone file');
  const get = (k: string) => entries.find((e) => e.key === k);

  const zoneEntry = get('zone');
  if (!zoneEntry) {
    src.report(src.root, '', C.missingKey, 'missing required key "zone" (the zone\'s name, e.g. gslb.example.com)');
    return null;
  }
  const zoneText = scalarString(src, zoneEntry.value, 'zone');
  if (zoneText === null) return null;
  const origin = zoneText.replace(/\.$/, '');
  const bad = checkName(origin, false);
  if (bad && !bad.ok) {
    src.report(zoneEntry.value, 'zone', C.badName, bad.message);
    return null;
  }
  const originKey = foldCase(origin);

  const ttlEntry = get('ttl');
  const defaultTtl = ttlEntry ? (scalarInt(src, ttlEntry.value, 'ttl', 0, MAX_TTL, C.badTtl) ?? DEFAULT_TTL) : DEFAULT_TTL;

  const drafts = new Map<string, Draft>();
  const draftFor = (name: string, node: Node | null, path: string): Draft | null => {
    const key = foldCase(name);
    const existing = drafts.get(key);
    if (existing) {
      if (existing.name !== name && existing.path.startsWith('records.') && path.startsWith('records.')) {
        src.report(node, path, C.caseDuplicate, `"${name}" is the same name as "${existing.name}" (${existing.path}); DNS names are case-insensitive (RFC 4343)`);
        return null;
      }
      if (existing.path.startsWith('records.') && path.startsWith('records.') && existing.node !== node) {
        src.report(node, path, C.caseDuplicate, `"${name}" is already defined at ${existing.path}`);
        return null;
      }
      return existing;
    }
    const d: Draft = { name, node, path, rrsets: new Map() };
    drafts.set(key, d);
    return d;
  };
  const addSet = (d: Draft, type: number, ttl: number, rdata: RData[], node: Node | null, path: string, values: { node: Node | null; path: string }[]): void => {
    if (d.rrsets.has(type)) {
      src.report(node, path, C.badValue, `${typeName(type)} records for "${d.name}" are already defined at ${d.rrsets.get(type)!.path}`);
      return;
    }
    d.rrsets.set(type, { set: { name: d.name, type, ttl, rdata }, node, path, values });
  };

  // nameservers: apex NS with their glue.
  const apex = draftFor(origin, src.root, '');
  const nsEntry = get('nameservers');
  const nsNames: RData[] = [];
  const nsValues: { node: Node | null; path: string }[] = [];
  if (!nsEntry) src.report(src.root, '', C.missingKey, 'missing required key "nameservers" (the zone\'s NS records, with addresses for in-zone names)');
  else {
    const nsEntries = mapEntries(src, nsEntry.value, 'nameservers');
    if (nsEntries && nsEntries.length === 0) src.report(nsEntry.value, 'nameservers', C.missingKey, 'at least one nameserver is required');
    for (const e of nsEntries ?? []) {
      const r = resolveName(e.key, origin);
      if (!r.ok) {
        src.report(e.keyNode, e.path, C.badName, r.message);
        continue;
      }
      nsNames.push({ kind: 'name', name: r.name });
      nsValues.push({ node: e.keyNode, path: e.path });
      const inZone = isSubdomain(foldCase(r.name), originKey);
      const addrs = isScalar(e.value) && e.value.value === null ? [] : listOf(src, e.value, e.path);
      if (!inZone && addrs.length) {
        src.report(e.value, e.path, C.outOfZone, `${r.name} is outside zone ${origin}: its addresses are not served here; list it with no addresses`);
        continue;
      }
      if (inZone && addrs.length === 0) {
        src.report(e.keyNode, e.path, C.missingGlue, `${r.name} is inside zone ${origin}, so it needs its addresses (glue), e.g. ${e.key}: [192.0.2.53]`);
        continue;
      }
      const v4: RData[] = [];
      const v6: RData[] = [];
      for (const a of addrs) {
        const text = String(a.value);
        const b4 = ipv4Bytes(text);
        const b6 = b4 ? null : ipv6Bytes(text);
        if (b4) v4.push({ kind: 'a', address: text, bytes: b4 });
        else if (b6) v6.push({ kind: 'aaaa', address: ipv6Text(b6), bytes: b6 });
        else src.report(a.node, a.path, C.badAddress, `not an IPv4 or IPv6 address: "${text}"`);
      }
      if (inZone) {
        const d = draftFor(r.name, e.keyNode, e.path);
        if (d && v4.length) addSet(d, Type.A, defaultTtl, v4, e.value, e.path, []);
        if (d && v6.length) addSet(d, Type.AAAA, defaultTtl, v6, e.value, e.path, []);
      }
    }
  }

  // soa
  const soaEntry = get('soa');
  const soaMap = soaEntry ? mapEntries(src, soaEntry.value, 'soa') : [];
  if (soaMap) checkKeys(src, soaMap, SOA_KEYS, 'soa');
  const soaGet = (k: string) => soaMap?.find((e) => e.key === k);
  const soaInt = (k: string, dflt: number, max = MAX_TTL) => {
    const e = soaGet(k);
    return e ? (scalarInt(src, e.value, e.path, 0, max, k.endsWith('ttl') ? C.badTtl : C.badValue) ?? dflt) : dflt;
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
  const refresh = soaInt('refresh', 3600);
  const retry = soaInt('retry', 600);
  const expire = soaInt('expire', 1209600);
  const minimum = soaInt('negative_ttl', 60, 86400 * 7);
  const serialEntry = soaGet('serial');
  const explicitSerial = serialEntry ? scalarInt(src, serialEntry.value, serialEntry.path, 0, 4294967295) : null;

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
    const d = draftFor(r.name, e.keyNode, e.path);
    if (!d) continue;
    compileNode(src, d, e.value, e.path, origin, originKey, defaultTtl, addSet);
  }
  if (src.problems.length > before || !apex) return null;

  // Structure checks that need every name: apex rules, cuts, occlusion, CNAME exclusivity, glue.
  for (const d of drafts.values()) {
    const key = foldCase(d.name);
    const isApex = key === originKey;
    const types = [...d.rrsets.keys()];
    if (d.rrsets.has(Type.CNAME) && (types.length > 1 || isApex)) {
      const c = d.rrsets.get(Type.CNAME)!;
      src.report(c.node, c.path, C.cnameAndOther, isApex ? 'a CNAME cannot be at the zone apex, which has SOA and NS (RFC 1034 3.6.2)' : `a CNAME cannot stand beside other data (${types.filter((t) => t !== Type.CNAME).map(typeName).join(', ')}) at ${d.name} (RFC 1034 3.6.2)`);
    }
    if (isApex && d.rrsets.has(Type.NS) && d.path.startsWith('records')) {
      const n = d.rrsets.get(Type.NS)!;
      src.report(n.node, n.path, C.apexRecord, 'apex NS records come from "nameservers:", not from records');
    }
    if (key.startsWith('*.') && d.rrsets.has(Type.NS)) {
      const n = d.rrsets.get(Type.NS)!;
      src.report(n.node, n.path, C.badValue, 'a wildcard cannot own NS records (RFC 4592 4.2)');
    }
  }
  const cuts = new Set<string>();
  for (const [key, d] of drafts) if (key !== originKey && d.rrsets.has(Type.NS)) cuts.add(key);
  const cutAbove = (key: string): string | null => {
    for (let p = parentName(key); p !== null && p !== originKey && isSubdomain(p, originKey); p = parentName(p)) if (cuts.has(p)) return p;
    return null;
  };
  const nsTargets = (cutKey: string): Set<string> => new Set(drafts.get(cutKey)!.rrsets.get(Type.NS)!.set.rdata.map((r) => foldCase((r as { name: string }).name)));
  for (const [key, d] of drafts) {
    const above = cutAbove(key);
    if (cuts.has(key)) {
      const other = [...d.rrsets.keys()].filter((t) => t !== Type.NS && !((t === Type.A || t === Type.AAAA) && nsTargets(key).has(key)));
      if (other.length) {
        const o = d.rrsets.get(other[0]!)!;
        src.report(o.node, o.path, C.occluded, `${d.name} is delegated (it has NS records), so its ${other.map(typeName).join(', ')} records would never be served`);
      }
    }
    if (above !== null) {
      const glue = nsTargets(above).has(key);
      for (const [t, s] of d.rrsets) {
        if (glue && (t === Type.A || t === Type.AAAA)) continue;
        src.report(s.node, s.path, C.occluded, `${d.name} is below the delegation at ${drafts.get(above)!.name}, so its ${typeName(t)} records would never be served${t === Type.A || t === Type.AAAA ? ' (only addresses of that delegation\'s nameservers are kept, as glue)' : ''}`);
      }
    }
  }
  // Glue: every in-zone nameserver target needs an address (RFC 1034 4.2.1, RFC 9471).
  const checkGlue = (targets: readonly RData[], values: { node: Node | null; path: string }[]) => {
    targets.forEach((t, i) => {
      const tk = foldCase((t as { name: string }).name);
      if (!isSubdomain(tk, originKey)) return;
      const td = drafts.get(tk);
      if (!td || (!td.rrsets.has(Type.A) && !td.rrsets.has(Type.AAAA))) {
        const v = values[i] ?? values[0];
        src.report(v?.node, v?.path ?? '', C.missingGlue, `nameserver ${(t as { name: string }).name} is inside zone ${origin} but has no A or AAAA records (glue)`);
      }
    });
  };
  for (const cut of cuts) {
    const ns = drafts.get(cut)!.rrsets.get(Type.NS)!;
    checkGlue(ns.set.rdata, ns.values);
  }
  if (src.problems.length > before) return null;

  const nsSet: RRset = { name: origin, type: Type.NS, ttl: defaultTtl, rdata: nsNames };
  apex.rrsets.set(Type.NS, { set: nsSet, node: null, path: 'nameservers', values: nsValues });

  // Content fingerprint → serial (when not given): changes whenever the content does.
  const soaFields = [mname, rname, refresh, retry, expire, minimum, soaTtl].join(' ');
  const fingerprint = createHash('sha256').update(soaFields + '\n' + canonicalText(drafts)).digest('hex');
  const serial = explicitSerial ?? (parseInt(fingerprint.slice(0, 8), 16) || 1);
  const soa: RRset = { name: origin, type: Type.SOA, ttl: soaTtl, rdata: [{ kind: 'soa', mname, rname, serial, refresh, retry, expire, minimum }] };
  apex.rrsets.set(Type.SOA, { set: soa, node: null, path: 'soa', values: [] });

  // Freeze into nodes, adding empty non-terminals between every owner and the apex.
  const nodes = new Map<string, ZoneNode>();
  for (const [key, d] of drafts) {
    const rrsets = new Map<number, RRset>();
    for (const [t, s] of d.rrsets) rrsets.set(t, s.set);
    nodes.set(key, { name: d.name, rrsets, cut: cuts.has(key), occluded: cutAbove(key) !== null });
  }
  for (const [key, d] of drafts) {
    let name = d.name;
    for (let p = parentName(key); p !== null && p !== originKey && isSubdomain(p, originKey); p = parentName(p)) {
      name = parentName(name)!;
      if (!nodes.has(p)) nodes.set(p, { name, rrsets: new Map(), cut: false, occluded: cutAbove(p) !== null });
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
    hasCuts: cuts.size > 0,
    fingerprint: `${serial} ${fingerprint}`,
  };
}

type AddSet = (d: Draft, type: number, ttl: number, rdata: RData[], node: Node | null, path: string, values: { node: Node | null; path: string }[]) => void;

function compileNode(src: Source, d: Draft, value: Node | null, path: string, origin: string, originKey: string, defaultTtl: number, addSet: AddSet): void {
  const entries = mapEntries(src, value, path);
  if (!entries) return;
  for (const e of entries) {
    if (e.key === 'SOA') src.report(e.keyNode, e.path, C.apexRecord, 'the SOA record is generated from "soa:" at the top of the file');
  }
  checkKeys(src, entries.filter((e) => e.key !== 'SOA'), NODE_KEYS, `records.${d.name}`);
  const ttlE = entries.find((e) => e.key === 'ttl');
  const nodeTtl = ttlE ? (scalarInt(src, ttlE.value, ttlE.path, 0, MAX_TTL, C.badTtl) ?? defaultTtl) : defaultTtl;
  for (const e of entries) {
    const type = typeFromName(e.key);
    if (e.key === 'ttl' || type === undefined || !(STATIC_TYPES as readonly string[]).includes(e.key)) continue;
    // A type takes a value, a list, or { ttl, values } for a TTL of its own.
    let valuesNode = e.value;
    let ttl = nodeTtl;
    if (isMap(e.value)) {
      const sub = mapEntries(src, e.value, e.path) ?? [];
      checkKeys(src, sub, ['ttl', 'values'], e.path);
      const t = sub.find((s) => s.key === 'ttl');
      if (t) ttl = scalarInt(src, t.value, t.path, 0, MAX_TTL, C.badTtl) ?? ttl;
      const v = sub.find((s) => s.key === 'values');
      if (!v) {
        src.report(e.value, e.path, C.missingKey, 'missing "values"');
        continue;
      }
      valuesNode = v.value;
    }
    const values = listOf(src, valuesNode, e.path);
    if (type === Type.CNAME && values.length !== 1) {
      src.report(valuesNode, e.path, C.badValue, 'a name has at most one CNAME (RFC 1034 3.6.2)');
      continue;
    }
    const rdata: RData[] = [];
    const seen = new Map<string, string>();
    const valueRefs: { node: Node | null; path: string }[] = [];
    for (const v of values) {
      const r = parseRData(type, v.value, origin);
      if (!r.ok) {
        src.report(v.node, v.path, type === Type.A || type === Type.AAAA ? C.badAddress : C.badValue, r.message);
        continue;
      }
      const text = rdataText(r.rdata);
      const dup = seen.get(foldCase(text));
      if (dup) {
        src.report(v.node, v.path, C.badValue, `duplicate of ${dup}: an RRset holds each record once (RFC 2181 5)`);
        continue;
      }
      seen.set(foldCase(text), v.path);
      if (type === Type.NS && foldCase(d.name) === originKey) continue; // reported later as apex-record
      if ((type === Type.CNAME || type === Type.NS) && r.rdata.kind === 'name' && !isSubdomain(foldCase(r.rdata.name), '')) continue;
      rdata.push(r.rdata);
      valueRefs.push({ node: v.node, path: v.path });
    }
    if (type === Type.NS && foldCase(d.name) === originKey) {
      src.report(e.keyNode, e.path, C.apexRecord, 'apex NS records come from "nameservers:", not from records');
      continue;
    }
    if (rdata.length) addSet(d, type, ttl, rdata, e.value, e.path, valueRefs);
  }
}

/** "hostmaster@example.com" or "hostmaster.example.com." → RNAME (RFC 1035 8: first label is the mailbox). */
export function contactToRname(text: string, origin: string): { ok: true; name: string } | { ok: false; message: string } {
  const at = text.indexOf('@');
  if (at < 0) return resolveName(text, origin);
  const local = text.slice(0, at).replace(/\\/g, '\\\\').replace(/\./g, '\\.');
  if (!/^[A-Za-z0-9._+\\-]+$/.test(local)) return { ok: false, message: `not a usable mailbox: "${text}"` };
  const domain = text.slice(at + 1).replace(/\.$/, '');
  const bad = checkName(domain, false);
  if (bad && !bad.ok) return bad;
  return { ok: true, name: `${local}.${domain}` };
}

function canonicalText(drafts: Map<string, Draft>): string {
  const lines: string[] = [];
  for (const [key, d] of [...drafts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [t, s] of [...d.rrsets].sort(([a], [b]) => a - b)) {
      for (const r of s.set.rdata) lines.push(`${key} ${s.set.ttl} ${typeName(t)} ${rdataText(r)}`);
    }
  }
  return lines.join('\n');
}
