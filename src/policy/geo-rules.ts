// The compile step of `steer: geo` (src/policy/geo-pick.ts picks): its rules checked and indexed
// once (continent, country and subdivision maps, subnets longest first), every problem reported
// with its position, each code or subnet claimed by one rule only.
import { networkText, parseCidr } from '../base/address.js';
import { ProblemCode as C } from '../base/errors.js';
import { parseContinent, parseCountry, parseSubdivision } from '../geoip/location-syntax.js';
import {
  checkKeys,
  describe,
  type Entry,
  isSeq,
  listOf,
  mapEntries,
  scalarBool,
  type Node,
  type Source,
} from '../base/yaml-source.js';
import { MAX_STEERING_PREFIX } from '../wire/ecs.js';
import { unknownSite } from './members.js';
import type { Rule, Subnet } from './policy-data.js';
import type { Site } from './site.js';

export type { Rule, Subnet };

/** The rules of a geo record, indexed for the pick. Immutable once compiled. */
export interface GeoRules {
  readonly members: readonly Site[];
  readonly byContinent: ReadonlyMap<string, Rule>;
  readonly byCountry: ReadonlyMap<string, Rule>;
  readonly bySubdivision: ReadonlyMap<string, Rule>;
  /** Longest prefix first, so the first containing subnet is the most specific. */
  readonly subnets: readonly { readonly net: Subnet; readonly rule: Rule }[];
  readonly fallback: Rule;
}

const RULE_KEYS = ['continent', 'country', 'subdivision', 'subnet', 'default', 'sites'] as const;

/** What compiling the rules builds up, rule by rule. */
interface Building {
  readonly src: Source;
  readonly sites: ReadonlyMap<string, Site>;
  readonly members: Site[];
  defaultRule: Rule | null;
  /** A rule had a `default` key: if it is not usable, that rule's problem says why. */
  sawDefault: boolean;
  readonly byContinent: Map<string, Rule>;
  readonly byCountry: Map<string, Rule>;
  readonly bySubdivision: Map<string, Rule>;
  readonly subnets: { net: Subnet; rule: Rule }[];
  /** Which rule claimed each code or subnet ("country:US" → path). */
  readonly claimed: Map<string, string>;
}

/** Compile `rules:`; null after reporting at least one problem. */
export function compileGeoRules(
  src: Source,
  e: Entry,
  sites: ReadonlyMap<string, Site>,
): GeoRules | null {
  if (!isSeq(e.value) || e.value.items.length === 0) {
    src.report(
      e.value,
      e.path,
      C.wrongType,
      `must be a non-empty list of rules, got ${describe(e.value)}`,
    );
    return null;
  }
  const b: Building = {
    src,
    sites,
    members: [],
    defaultRule: null,
    sawDefault: false,
    byContinent: new Map(),
    byCountry: new Map(),
    bySubdivision: new Map(),
    subnets: [],
    claimed: new Map(),
  };
  e.value.items.forEach((r, ri) => compileRule(b, r as Node, `${e.path}[${ri}]`));
  if (!b.sawDefault)
    src.report(
      e.value,
      e.path,
      C.missingKey,
      'a geo policy needs a default rule: { default: true, sites: [...] }',
    );
  if (!b.defaultRule) return null;
  b.subnets.sort((x, y) => y.net.prefix - x.net.prefix);
  return {
    members: b.members,
    byContinent: b.byContinent,
    byCountry: b.byCountry,
    bySubdivision: b.bySubdivision,
    subnets: b.subnets,
    fallback: b.defaultRule,
  };
}

/** One rule: its sites, whether it is the default, and what it matches. */
function compileRule(b: Building, r: Node, rp: string): void {
  const src = b.src;
  const re = mapEntries(src, r, rp);
  if (!re) return;
  checkKeys(src, re, RULE_KEYS, 'a geo rule');
  const rule: Rule = { sites: [], label: rp };
  ruleSites(b, r, rp, re, rule);
  const matchers = re.filter(
    (x) =>
      x.key !== 'sites' && x.key !== 'default' && (RULE_KEYS as readonly string[]).includes(x.key),
  );
  const def = re.find((x) => x.key === 'default');
  if (def) {
    if (!defaultRule(b, def, matchers.length > 0, rule)) return;
  } else if (
    matchers.length === 0 &&
    re.every((x) => (RULE_KEYS as readonly string[]).includes(x.key))
  )
    // (With a misspelt key, the unknown-key problem already says what is wrong.)
    src.report(
      r,
      rp,
      C.missingKey,
      'a rule matches on continent, country, subdivision or subnet, or is { default: true }',
    );
  for (const m of matchers)
    for (const item of listOf(src, m.value, m.path))
      match(b, m.key, item.node as Node, item.text, item.path, rp, rule);
}

/** The rule's `sites:`, most preferred first, as member indexes. */
function ruleSites(b: Building, r: Node, rp: string, re: readonly Entry[], rule: Rule): void {
  const src = b.src;
  const sitesE = re.find((x) => x.key === 'sites');
  if (!sitesE) {
    src.report(r, rp, C.missingKey, 'a rule needs "sites" (site names, most preferred first)');
    return;
  }
  if (isSeq(sitesE.value) && sitesE.value.items.length === 0) {
    src.report(sitesE.value, sitesE.path, C.badValue, 'an empty list: name at least one site');
    return;
  }
  for (const item of listOf(src, sitesE.value, sitesE.path)) {
    const site = item.text === null ? undefined : b.sites.get(item.text);
    if (!site) {
      unknownSite(src, item.node, item.path, b.sites);
      continue;
    }
    if (!b.members.includes(site)) b.members.push(site);
    const idx = b.members.indexOf(site);
    if (rule.sites.includes(idx))
      src.report(
        item.node,
        item.path,
        C.badValue,
        `site ${site.name} is listed twice in this rule`,
      );
    else rule.sites.push(idx);
  }
}

/** `default: true`: false when the value is not a boolean (the rule adds nothing more). */
function defaultRule(b: Building, def: Entry, matches: boolean, rule: Rule): boolean {
  const src = b.src;
  b.sawDefault = true;
  const v = scalarBool(src, def.value, def.path);
  if (v === false)
    src.report(
      def.value,
      def.path,
      C.badValue,
      'write "default: true" for the default rule, or leave the key out',
    );
  else if (v === null) return false;
  else if (matches)
    src.report(
      def.keyNode,
      def.path,
      C.badValue,
      'the default rule matches every client: it takes no continent, country, subdivision or subnet',
    );
  else if (b.defaultRule)
    src.report(
      def.keyNode,
      def.path,
      C.ruleConflict,
      `there is already a default rule (${b.defaultRule.label})`,
    );
  else b.defaultRule = rule;
  return true;
}

/** One continent, country, subdivision or subnet the rule matches, claimed for it. */
function match(
  b: Building,
  key: string,
  n: Node,
  text: string | null,
  itemPath: string,
  rp: string,
  rule: Rule,
): void {
  const src = b.src;
  if (key === 'continent') {
    const c = parseContinent(src, n, itemPath);
    if (c && claim(b, `continent:${c}`, `continent ${c}`, n, itemPath, rp))
      b.byContinent.set(c, rule);
  } else if (key === 'country') {
    const c = parseCountry(src, n, itemPath);
    if (c && claim(b, `country:${c}`, `country ${c}`, n, itemPath, rp)) b.byCountry.set(c, rule);
  } else if (key === 'subdivision') {
    const c = parseSubdivision(src, n, itemPath);
    if (c && claim(b, `subdivision:${c}`, `subdivision ${c}`, n, itemPath, rp))
      b.bySubdivision.set(c, rule);
  } else {
    const p = parseCidr((text ?? '').trim());
    if (!p.ok) src.report(n, itemPath, C.badValue, p.message);
    // Rules match clients per /24 and /56 at most: that is the granularity clients are steered by.
    else if (p.network.prefix > MAX_STEERING_PREFIX[p.network.family])
      src.report(
        n,
        itemPath,
        C.badValue,
        `${networkText(p.network.bytes, p.network.prefix)} is finer than clients are steered by (/24 for IPv4, /56 for IPv6)`,
      );
    else {
      const net: Subnet = { ...p.network, text: networkText(p.network.bytes, p.network.prefix) };
      if (claim(b, `subnet:${net.text}`, `subnet ${net.text}`, n, itemPath, rp))
        b.subnets.push({ net, rule });
    }
  }
}

/** Claim a code or subnet for the rule at `rulePath`; false (and a problem) when taken. */
function claim(
  b: Building,
  key: string,
  what: string,
  node: Node,
  itemPath: string,
  rulePath: string,
): boolean {
  const prev = b.claimed.get(key);
  if (prev === rulePath)
    b.src.report(node, itemPath, C.badValue, `${what} is listed twice in this rule`);
  else if (prev)
    b.src.report(
      node,
      itemPath,
      C.ruleConflict,
      `${what} is already matched by ${prev}: a code or subnet may appear in one rule only`,
    );
  else b.claimed.set(key, rulePath);
  return prev === undefined;
}
