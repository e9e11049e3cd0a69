import { commonPrefixLength } from '../base/address.js';
import { ProblemCode as C } from '../base/errors.js';
import { compileGeoRules, type GeoRules, type Rule, type Subnet } from './geo-rules.js';
import { ScopeWidener } from './scope.js';
import type { ClientHint, PickContext, PolicyCompiler, Verdict } from './types.js';

/** Is the client's network inside `net`? Its significant bits must cover the whole subnet. */
function contains(net: Subnet, c: ClientHint): boolean {
  return (
    net.family === c.family &&
    c.prefix >= net.prefix &&
    commonPrefixLength(net.bytes, c.address, net.prefix) === net.prefix
  );
}

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
    const rules = compileGeoRules(src, e, sites);
    if (!rules) return null;
    const compiled = compileGeo(rules);
    return {
      members: [...rules.members],
      policy: { kind: 'geo', clientDependent: true, pick: (ctx, a) => pickGeo(compiled, ctx, a) },
    };
  },
};

/** A compiled geo record: its rules, and what the ECS scope of an answer is worked out from. */
interface CompiledGeo extends GeoRules {
  /** The record has a subnet rule of the family: the locator's network is not widened. */
  readonly hasSubnets: { readonly 4: boolean; readonly 6: boolean };
  readonly widener: ScopeWidener;
}

function compileGeo(rules: GeoRules): CompiledGeo {
  const { bySubdivision, byCountry, byContinent, subnets } = rules;
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
  const hasSubnets = {
    4: subnets.some((s) => s.net.family === 4),
    6: subnets.some((s) => s.net.family === 6),
  };
  return Object.freeze({ ...rules, hasSubnets, widener });
}

/** The pick: the most specific matching rule with an available site answers with it. */
function pickGeo(g: CompiledGeo, ctx: PickContext, available: readonly number[]): Verdict {
  const { members, subnets, bySubdivision, byCountry, byContinent, fallback, hasSubnets, widener } =
    g;
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
      ctx.facts.decidedBy = 'no matching rule has an available site: the first available site';
  }
  return { sites: [site], scope: narrowScope(subnets, ctx.client, scope) };
}

/**
 * Lengthen the scope until the client's network holds no longer subnet rule that the client is
 * not inside; otherwise a resolver would give this answer to that rule's clients.
 */
function narrowScope(subnets: GeoRules['subnets'], c: ClientHint, scope: number): number {
  for (const s of subnets) {
    if (s.net.family !== c.family || s.net.prefix <= scope || contains(s.net, c)) continue;
    const known = Math.min(s.net.prefix, c.prefix);
    const common = commonPrefixLength(s.net.bytes, c.address, known);
    if (common < scope) continue; // the network ends before the subnet: disjoint
    // The client differs from the subnet at bit `common`: one more bit excludes it. When the
    // client's own prefix is too short to tell (a short ECS source), ask for the subnet's length
    // (RFC 7871 7.2.1: a scope longer than the source asks for more bits).
    scope = common < known ? common + 1 : s.net.prefix;
  }
  return scope;
}
