// The static records of one name under records: (A, AAAA, CNAME, MX, TXT, SRV, CAA, PTR, NS).
import {
  checkKeys,
  describe,
  isMap,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarInt,
  type Source,
} from '../base/yaml-source.js';
import { ProblemCode as C } from '../base/errors.js';
import { Type, typeFromName } from '../wire/constants.js';
import { foldCase } from '../wire/name.js';
import type { RData } from '../wire/rr.js';
import type { AddSet, Draft, Ref } from './draft.js';
import { parseRData } from './rdata.js';
import { rdataKey } from './serial.js';
import { MAX_TTL, NODE_KEYS, STATIC_TYPES } from './zone-keys.js';

export function compileNode(
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
