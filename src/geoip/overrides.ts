// Operator overrides: a YAML file mapping networks to a location, a country, or straight to a
// site, for private and corporate networks the public databases do not know. The longest matching
// network wins, and any override wins over the database. See docs/geoip.md for the format.
// This file reads the YAML; what it compiles to (OverrideSet) is in override-set.ts, which the
// answer threads use without loading a YAML reader.

import { readFile } from 'node:fs/promises';
import { networkText, parseCidr, type Network } from '../base/address.js';
import { continentOf, countryPoint } from './countries.js';
import {
  GEOIP_EXAMPLES,
  parseContinent,
  parseCountry,
  parseLocation,
  parseSubdivision,
} from './location-syntax.js';
import { ProblemCode as C, ProblemsError, sortProblems, type Problem } from '../base/errors.js';
import {
  checkKeys,
  describe,
  isScalar,
  isSeq,
  mapEntries,
  scalarText,
  Source,
  type Entry,
  type Node,
} from '../base/yaml-source.js';
import { type Override, OverrideSet } from './override-set.js';

export { narrowPrefix, type Override, type OverrideMatch, OverrideSet } from './override-set.js';

const KEYS = [
  'network',
  'location',
  'country',
  'continent',
  'subdivision',
  'site',
  'note',
] as const;
function parseSite(src: Source, node: Node | null, path: string): string | null {
  const t = scalarText(node);
  if (t !== null && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(t)) return t;
  src.report(
    node,
    path,
    C.badValue,
    `must be a site name (letters, digits, '-', '_', '.'), got ${describe(node)}`,
  );
  return null;
}

function parseEntry(
  src: Source,
  item: Node | null,
  path: string,
  seen: Map<string, Node>,
): Override | null {
  const entries = mapEntries(src, item, path);
  if (!entries) return null;
  checkKeys(src, entries, KEYS, 'an override');
  const get = (k: string): Entry | undefined => entries.find((e) => e.key === k);
  const net = get('network');
  let network: Network | null = null;
  if (!net)
    src.report(item, path, C.missingKey, 'an override needs a network, e.g. network: 10.0.0.0/8');
  else {
    const t = scalarText(net.value);
    const r = t === null ? null : parseCidr(t);
    if (r === null)
      src.report(
        net.value,
        net.path,
        C.badAddress,
        `must be a network such as 10.0.0.0/8, got ${describe(net.value)}`,
      );
    else if (!r.ok) src.report(net.value, net.path, C.badAddress, r.message);
    else {
      const text = networkText(r.network.bytes, r.network.prefix);
      const first = seen.get(text);
      if (first) {
        const at = src.at(first);
        src.report(
          net.value,
          net.path,
          C.badValue,
          `duplicate network ${text}: the first is at line ${at.line}, column ${at.col}`,
        );
      } else {
        seen.set(text, net.value!);
        network = r.network;
      }
    }
  }
  const loc = get('location');
  const ctry = get('country');
  const cont = get('continent');
  const sub = get('subdivision');
  const site = get('site');
  const note = get('note');
  const location = loc ? parseLocation(src, loc.value, loc.path, GEOIP_EXAMPLES) : null;
  let country = ctry ? parseCountry(src, ctry.value, ctry.path, GEOIP_EXAMPLES) : null;
  const continent = cont ? parseContinent(src, cont.value, cont.path) : null;
  let subdivision = sub ? parseSubdivision(src, sub.value, sub.path, GEOIP_EXAMPLES) : null;
  // The subdivision names its country ("US-CA" is in US): it must agree with country: if given.
  if (sub && subdivision !== null) {
    if (ctry && country !== null && !subdivision.startsWith(`${country}-`)) {
      src.report(
        sub.value,
        sub.path,
        C.badValue,
        `subdivision ${subdivision} is not in country ${country}`,
      );
      subdivision = null;
    } else if (!ctry) country = subdivision.slice(0, 2);
  }
  const siteName = site ? parseSite(src, site.value, site.path) : null;
  if (note && scalarText(note.value) === null)
    src.report(note.value, note.path, C.wrongType, `must be text, got ${describe(note.value)}`);
  if (!loc && !ctry && !cont && !sub && !site)
    src.report(
      item,
      path,
      C.missingKey,
      'an override needs a location, country, continent, subdivision or site',
    );
  if (!network) return null;
  const point = location ?? countryPoint(country);
  return {
    network,
    text: networkText(network.bytes, network.prefix),
    origin: `${src.file}:${src.at(net!.keyNode).line}`,
    location: point,
    locationFromCountry: location === null && point !== null,
    country,
    continent: continent ?? continentOf(country),
    subdivision,
    site: siteName,
  };
}

/** Parse an overrides file; every problem goes to `src.problems`, with its position. */
export function parseOverrides(src: Source): Override[] {
  if (src.root === null) return [];
  const top = mapEntries(src, src.root, '');
  if (!top) return [];
  checkKeys(src, top, ['overrides'], 'an overrides file');
  const list = top.find((e) => e.key === 'overrides');
  if (!list || list.value === null || (isScalar(list.value) && list.value.value === null))
    return [];
  if (!isSeq(list.value)) {
    src.report(
      list.value,
      list.path,
      C.wrongType,
      `must be a list of overrides, got ${describe(list.value)}`,
    );
    return [];
  }
  const seen = new Map<string, Node>();
  const out: Override[] = [];
  list.value.items.forEach((item, i) => {
    const o = parseEntry(src, item as Node | null, `${list.path}[${i}]`, seen);
    if (o) out.push(o);
  });
  return out;
}

/** Compile overrides text; problems come back sorted, as a compiler lists them. */
export function compileOverrides(
  file: string,
  text: string,
): { set: OverrideSet; problems: Problem[] } {
  const src = new Source(file, text);
  const entries = parseOverrides(src);
  return { set: new OverrideSet(file, entries), problems: sortProblems(src.problems) };
}

/** Read and compile an overrides file; any problem (or a read error) throws ProblemsError. */
export async function loadOverrides(file: string): Promise<OverrideSet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ProblemsError([
      { file, line: 1, col: 1, path: '', code: C.io, message: (e as Error).message },
    ]);
  }
  const { set, problems } = compileOverrides(file, text);
  if (problems.length) throw new ProblemsError(problems);
  return set;
}
