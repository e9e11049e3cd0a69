// A record's `sites:` at compile time: names resolved to the zone's sites (gdnsd's map_res),
// with per-record weights when given. Shared by the policy compilers and steer: delegate.
import { ProblemCode as C } from '../base/errors.js';
import {
  describe,
  type Entry,
  isMap,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import type { Site } from './site.js';

/** Resolved `sites:` of a record: a list of names, or names with per-record weights. */
export interface Members {
  sites: Site[];
  /** Per-record weights by member index, when the record gives them (`sites: { a: 3, b: 1 }`). */
  weights: Map<number, number> | null;
  /** Where each member is named, for problems about one of them. */
  refs: { node: Node; path: string }[];
}

/** Report `name` as not declared under `sites:`; the list of declared sites is the hint. */
export function unknownSite(
  src: Source,
  node: Node | null,
  path: string,
  sites: ReadonlyMap<string, Site>,
): void {
  const t = scalarText(node);
  const what = t === null ? describe(node) : `"${t}"`;
  src.report(
    node,
    path,
    C.unknownSite,
    `unknown site ${what} (declared: ${[...sites.keys()].join(', ') || 'none, add them under sites:'})`,
  );
}

export function parseMembers(
  src: Source,
  e: Entry,
  zoneSites: ReadonlyMap<string, Site>,
  allowWeights: boolean,
): Members | null {
  const sites: Site[] = [];
  const refs: Members['refs'] = [];
  let weights: Map<number, number> | null = null;
  const add = (name: string | null, node: Node, path: string): Site | null => {
    const site = name === null ? undefined : zoneSites.get(name);
    if (!site) {
      unknownSite(src, node, path, zoneSites);
      return null;
    }
    if (sites.includes(site)) {
      src.report(node, path, C.badValue, `site ${site.name} is listed twice`);
      return null;
    }
    sites.push(site);
    refs.push({ node, path });
    return site;
  };
  if ((isMap(e.value) || isSeq(e.value)) && e.value.items.length === 0) {
    src.report(e.value, e.path, C.badValue, 'an empty list: name at least one site');
    return null;
  }
  if (isMap(e.value)) {
    if (!allowWeights) {
      src.report(e.value, e.path, C.wrongType, 'must be a list of site names');
      return null;
    }
    weights = new Map();
    for (const pair of mapEntries(src, e.value, e.path) ?? []) {
      const site = add(pair.key, pair.keyNode, pair.path);
      const w = scalarInt(src, pair.value, pair.path, 1, 1000);
      if (site && w !== null) weights.set(sites.length - 1, w);
    }
  } else {
    for (const item of listOf(src, e.value, e.path)) add(item.text, item.node, item.path);
  }
  return sites.length ? { sites, weights, refs } : null;
}
