// Operator overrides: a YAML file mapping networks to a location, a country, or straight to a
// site, for private and corporate networks the public databases do not know. The longest matching
// network wins, and any override wins over the database. See docs/geoip.md for the format.

import { readFile } from 'node:fs/promises';
import type { Location } from './types.js';
import { bitAt, networkText, parseCidr, type Network } from '../base/address.js';
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

export interface Override {
  readonly network: Network;
  /** The network in canonical CIDR text. */
  readonly text: string;
  /** file:line of the entry, for explain output. */
  readonly origin: string;
  readonly location: Location | null;
  /** True when `location` is the country's point because the entry gave a country and no location. */
  readonly locationFromCountry: boolean;
  readonly country: string | null;
  readonly continent: string | null;
  readonly subdivision: string | null;
  readonly site: string | null;
}

export interface OverrideMatch {
  /** The longest override holding the address, or null. */
  readonly override: Override | null;
  /** Prefix length of that override (0 when there is none). */
  readonly depth: number;
  /**
   * The deepest prefix length d at which an override lies in the address's /d but not in its
   * /(d+1), or -1. An answer for the address that must not cover that override is narrowed to
   * d+1 (see `narrowPrefix`).
   */
  readonly branch: number;
}

/**
 * The longest prefix that holds the address, is at least `base` long, and holds no override the
 * address is not in. A database network or a wide override that contains a more specific override
 * must not be reported (as the ECS scope, RFC 7871 7.2.1) with a prefix that covers it.
 */
export function narrowPrefix(base: number, branch: number): number {
  return branch >= base ? branch + 1 : base;
}

interface TrieNode {
  zero: TrieNode | null;
  one: TrieNode | null;
  value: Override | null;
}

const newNode = (): TrieNode => ({ zero: null, one: null, value: null });

/** Compiled overrides: one binary trie per address family. Immutable once built. */
export class OverrideSet {
  static readonly EMPTY = new OverrideSet(null, []);

  private readonly roots: Record<4 | 6, TrieNode> = { 4: newNode(), 6: newNode() };

  constructor(
    /** The file they came from; null when there is none. */
    readonly file: string | null,
    readonly entries: readonly Override[],
  ) {
    for (const o of entries) {
      let node = this.roots[o.network.family];
      for (let i = 0; i < o.network.prefix; i++) {
        const key = bitAt(o.network.bytes, i) ? 'one' : 'zero';
        node = node[key] ??= newNode();
      }
      node.value = o;
    }
  }

  /** Walk the address's bits once: the longest match and the deepest side branch. */
  match(address: Uint8Array): OverrideMatch {
    const bits = address.length * 8;
    let node = this.roots[bits === 32 ? 4 : 6];
    let override: Override | null = null;
    let depth = 0;
    let branch = -1;
    for (let d = 0; ; d++) {
      if (node.value) {
        override = node.value;
        depth = d;
      }
      if (d === bits) break;
      const one = bitAt(address, d) === 1;
      if (one ? node.zero : node.one) branch = d;
      const next = one ? node.one : node.zero;
      if (!next) break;
      node = next;
    }
    return { override, depth, branch };
  }
}

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
