import { commonPrefixLength, networkText, parseCidr, type Network } from '../base/address.js';
import { ProblemCode as C } from '../base/errors.js';
import { parseContinent, parseCountry, parseSubdivision } from '../geoip/location-syntax.js';
import {
  checkKeys,
  describe,
  isSeq,
  listOf,
  mapEntries,
  scalarBool,
  type Node,
} from '../base/yaml-source.js';
import { unknownSite } from './members.js';
import { ScopeWidener } from './scope.js';
import type { Site } from './site.js';
import type { ClientHint, PolicyCompiler } from './types.js';

interface Subnet extends Network {
  /** Canonical CIDR text (RFC 5952 for IPv6), the key for conflicts. */
  readonly text: string;
}

interface Rule {
  /** Indexes into the policy's members, in the rule's order of preference. */
  sites: number[];
  /** Where the rule is written, for conflicts and explain. */
  label: string;
}

/** Rules match clients per /24 and /56 at most: that is the granularity clients are steered by. */
const FINEST = { 4: 24, 6: 56 } as const;

/** Is the client's network inside `net`? Its significant bits must cover the whole subnet. */
function contains(net: Subnet, c: ClientHint): boolean {
  return (
    net.family === c.family &&
    c.prefix >= net.prefix &&
    commonPrefixLength(net.bytes, c.address, net.prefix) === net.prefix
  );
}

const RULE_KEYS = ['continent', 'country', 'subdivision', 'subnet', 'default', 'sites'] as const;

/**
 * `steer: geo` — rules mapping continents, countries, ISO 3166-2 subdivisions and CIDR subnets to
 * ordered site lists, with a required default rule (as Route 53 geolocation and octoDNS rules
 * do). A code or subnet may appear in one rule only; overlapping subnets may, and the longer
 * prefix is the more specific.
 *
 * The rules that match a client are tried from the most specific: subnets (longest prefix
 * first), then subdivision, country, continent, and the default rule. The first of them with an
 * available site answers, with its first available site (a rule's list is an order of
 * preference: a standby follows its primary). When no matching rule has one, any available site
 * of the record answers, in the order the record names them, so a healthy site is never passed
 * over for a dead one.
 *
 * ECS scope: the longest prefix consulted (a matching subnet rule's, and the locator's network
 * when location rules were tried), then lengthened until the client's network holds no longer
 * subnet rule it is not inside, so the answer never covers clients that a rule sends elsewhere.
 * When the record has no subnet rule of the client's family, the locator's network is widened
 * (src/policy/scope.ts) to the largest network around it whose clients all match the same chain of
 * subdivision, country and continent rules, and so get the same answer whatever the sites' health.
 */
export const geo: PolicyCompiler = {
  kind: 'geo',
  keys: ['rules'],
  defaultAnswers: 8,
  compile(src, { entries, node, path, sites }) {
    const e = entries.find((x) => x.key === 'rules');
    if (!e) {
      src.report(
        node,
        path,
        C.missingKey,
        'steer: geo needs "rules" (a list of { country/continent/subdivision/subnet, sites }, with one { default: true, sites })',
      );
      return null;
    }
    if (!isSeq(e.value) || e.value.items.length === 0) {
      src.report(
        e.value,
        e.path,
        C.wrongType,
        `must be a non-empty list of rules, got ${describe(e.value)}`,
      );
      return null;
    }
    const members: Site[] = [];
    let defaultRule: Rule | null = null;
    /** A rule had a `default` key: if it is not usable, that rule's problem says why. */
    let sawDefault = false;
    const byContinent = new Map<string, Rule>();
    const byCountry = new Map<string, Rule>();
    const bySubdivision = new Map<string, Rule>();
    const subnets: { net: Subnet; rule: Rule }[] = [];
    /** Which rule claimed each code or subnet ("country:US" → path). */
    const claimed = new Map<string, string>();
    const claim = (
      key: string,
      what: string,
      node: Node,
      itemPath: string,
      rulePath: string,
    ): boolean => {
      const prev = claimed.get(key);
      if (prev === rulePath)
        src.report(node, itemPath, C.badValue, `${what} is listed twice in this rule`);
      else if (prev)
        src.report(
          node,
          itemPath,
          C.ruleConflict,
          `${what} is already matched by ${prev}: a code or subnet may appear in one rule only`,
        );
      else claimed.set(key, rulePath);
      return prev === undefined;
    };
    e.value.items.forEach((r, ri) => {
      const rp = `${e.path}[${ri}]`;
      const re = mapEntries(src, r as Node, rp);
      if (!re) return;
      checkKeys(src, re, RULE_KEYS, 'a geo rule');
      const rule: Rule = { sites: [], label: rp };
      const sitesE = re.find((x) => x.key === 'sites');
      if (!sitesE)
        src.report(
          r as Node,
          rp,
          C.missingKey,
          'a rule needs "sites" (site names, most preferred first)',
        );
      else if (isSeq(sitesE.value) && sitesE.value.items.length === 0)
        src.report(sitesE.value, sitesE.path, C.badValue, 'an empty list: name at least one site');
      else
        for (const item of listOf(src, sitesE.value, sitesE.path)) {
          const site = item.text === null ? undefined : sites.get(item.text);
          if (!site) {
            unknownSite(src, item.node, item.path, sites);
            continue;
          }
          if (!members.includes(site)) members.push(site);
          const idx = members.indexOf(site);
          if (rule.sites.includes(idx))
            src.report(
              item.node,
              item.path,
              C.badValue,
              `site ${site.name} is listed twice in this rule`,
            );
          else rule.sites.push(idx);
        }
      const matchers = re.filter(
        (x) =>
          x.key !== 'sites' &&
          x.key !== 'default' &&
          (RULE_KEYS as readonly string[]).includes(x.key),
      );
      const def = re.find((x) => x.key === 'default');
      if (def) {
        sawDefault = true;
        const b = scalarBool(src, def.value, def.path);
        if (b === false)
          src.report(
            def.value,
            def.path,
            C.badValue,
            'write "default: true" for the default rule, or leave the key out',
          );
        else if (b === null) return;
        else if (matchers.length > 0)
          src.report(
            def.keyNode,
            def.path,
            C.badValue,
            'the default rule matches every client: it takes no continent, country, subdivision or subnet',
          );
        else if (defaultRule)
          src.report(
            def.keyNode,
            def.path,
            C.ruleConflict,
            `there is already a default rule (${defaultRule.label})`,
          );
        else defaultRule = rule;
      } else if (
        matchers.length === 0 &&
        re.every((x) => (RULE_KEYS as readonly string[]).includes(x.key))
      )
        // (With a misspelt key, the unknown-key problem already says what is wrong.)
        src.report(
          r as Node,
          rp,
          C.missingKey,
          'a rule matches on continent, country, subdivision or subnet, or is { default: true }',
        );
      for (const m of matchers) {
        for (const item of listOf(src, m.value, m.path)) {
          const n = item.node as Node;
          if (m.key === 'continent') {
            const c = parseContinent(src, n, item.path);
            if (c && claim(`continent:${c}`, `continent ${c}`, n, item.path, rp))
              byContinent.set(c, rule);
          } else if (m.key === 'country') {
            const c = parseCountry(src, n, item.path);
            if (c && claim(`country:${c}`, `country ${c}`, n, item.path, rp))
              byCountry.set(c, rule);
          } else if (m.key === 'subdivision') {
            const c = parseSubdivision(src, n, item.path);
            if (c && claim(`subdivision:${c}`, `subdivision ${c}`, n, item.path, rp))
              bySubdivision.set(c, rule);
          } else {
            const p = parseCidr((item.text ?? '').trim());
            if (!p.ok) src.report(n, item.path, C.badValue, p.message);
            else if (p.network.prefix > FINEST[p.network.family])
              src.report(
                n,
                item.path,
                C.badValue,
                `${networkText(p.network.bytes, p.network.prefix)} is finer than clients are steered by (/24 for IPv4, /56 for IPv6)`,
              );
            else {
              const net: Subnet = {
                ...p.network,
                text: networkText(p.network.bytes, p.network.prefix),
              };
              if (claim(`subnet:${net.text}`, `subnet ${net.text}`, n, item.path, rp))
                subnets.push({ net, rule });
            }
          }
        }
      }
    });
    if (!sawDefault)
      src.report(
        e.value,
        e.path,
        C.missingKey,
        'a geo policy needs a default rule: { default: true, sites: [...] }',
      );
    if (!defaultRule) return null;
    const fallback: Rule = defaultRule;
    // Longest prefix first, so the first containing subnet is the most specific.
    subnets.sort((a, b) => b.net.prefix - a.net.prefix);
    const hasSubnets = {
      4: subnets.some((s) => s.net.family === 4),
      6: subnets.some((s) => s.net.family === 6),
    };
    // The rules a located network matches, most specific first: what its answer depends on.
    const widener = new ScopeWidener((w) =>
      [
        w.subdivision === null ? undefined : bySubdivision.get(w.subdivision),
        w.country === null ? undefined : byCountry.get(w.country),
        w.continent === null ? undefined : byContinent.get(w.continent),
      ]
        .map((r) => r?.label ?? '')
        .join('|'),
    );
    return {
      members,
      policy: {
        kind: 'geo',
        clientDependent: true,
        pick(ctx, available) {
          const avail = new Set(available);
          const c = ctx.client;
          const trace = ctx.trace;
          let scope = 0;
          /** The rule's first available site, or null (and the trace says why it was passed over). */
          const tryRule = (rule: Rule | undefined, why: string): number | null => {
            if (!rule) return null;
            const live = rule.sites.find((i) => avail.has(i));
            if (live === undefined) trace?.push(`${why}: ${rule.label} has no available site`);
            else trace?.push(`${why}: ${rule.label} answers with ${members[live]!.name}`);
            if (live !== undefined && ctx.facts) ctx.facts.decidedBy = `${why}: ${rule.label}`;
            return live ?? null;
          };
          let site: number | null = null;
          for (const s of subnets) {
            if (!contains(s.net, c)) continue;
            scope = Math.max(scope, s.net.prefix);
            site = tryRule(s.rule, `subnet ${s.net.text}`);
            if (site !== null) break;
          }
          if (site === null) {
            const where = ctx.locate();
            scope = Math.max(
              scope,
              hasSubnets[c.family] ? where.prefixLength : widener.scope(ctx.geo, c, where),
            );
            const sub = where.subdivision;
            const ctry = where.country;
            const cont = where.continent;
            site =
              (sub === null ? null : tryRule(bySubdivision.get(sub), `subdivision ${sub}`)) ??
              (ctry === null ? null : tryRule(byCountry.get(ctry), `country ${ctry}`)) ??
              (cont === null ? null : tryRule(byContinent.get(cont), `continent ${cont}`)) ??
              tryRule(fallback, 'default');
          }
          if (site === null) {
            site = available[0]!;
            trace?.push(
              `no matching rule has an available site: ${members[site]!.name}, the first available site`,
            );
            if (ctx.facts)
              ctx.facts.decidedBy =
                'no matching rule has an available site: the first available site';
          }
          // Lengthen the scope until the client's network holds no longer subnet rule that the
          // client is not inside; otherwise a resolver would give this answer to that rule's clients.
          for (const s of subnets) {
            if (s.net.family !== c.family || s.net.prefix <= scope || contains(s.net, c)) continue;
            const known = Math.min(s.net.prefix, c.prefix);
            const common = commonPrefixLength(s.net.bytes, c.address, known);
            if (common < scope) continue; // the network ends before the subnet: disjoint
            // The client differs from the subnet at bit `common`: one more bit excludes it. When
            // the client's own prefix is too short to tell (a short ECS source), ask for the
            // subnet's length (RFC 7871 7.2.1: a scope longer than the source asks for more bits).
            scope = common < known ? common + 1 : s.net.prefix;
          }
          return { sites: [site], scope };
        },
      },
    };
  },
};
