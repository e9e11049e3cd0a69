// The steered names of records: (`steer:` stanzas): a policy's record, or a steer: delegate cut.
import { ProblemCode as C } from '../base/errors.js';
import {
  type Entry,
  isMap,
  mapEntries,
  type Node,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { compileDynamic } from '../policy/compile-record.js';
import { compileDelegation, DELEGATE } from '../policy/delegate.js';
import { POLICIES } from '../policy/registry.js';
import type { Site } from '../policy/site.js';
import { Type } from '../wire/constants.js';
import { foldCase } from '../wire/name.js';
import type { Draft } from './draft.js';
import { canonicalJson } from './serial.js';

/**
 * A record with `steer:` is dynamic: its A/AAAA answers come from a policy over the zone's sites.
 * Returns the keys that belonged to the steering stanza (so compileNode leaves them alone);
 * other record types (TXT, MX, ...) may stand beside it, A, AAAA and CNAME may not.
 */
export function compileSteer(
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
