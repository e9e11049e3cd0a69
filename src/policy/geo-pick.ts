// The pick of `steer: geo` (geo.ts compiles it; docs/policies/geo.md): the most specific matching
// rule with an available site answers with it, and the ECS scope covers only clients it holds for.
import { commonPrefixLength } from '../base/address.js';
import type { GeoPolicy, Rule, Subnet } from './policy-data.js';
import { ScopeWidener } from './scope.js';
import type { Site } from './site.js';
import type { ClientHint, PickContext, Picker, Verdict } from './types.js';

export const geoPicker: Picker<GeoPolicy> = {
  pick: (p, members, ctx, available) => pickGeo(p, members, ctx, available),
};

/** Is the client's network inside `net`? Its significant bits must cover the whole subnet. */
function contains(net: Subnet, c: ClientHint): boolean {
  return (
    net.family === c.family &&
    c.prefix >= net.prefix &&
    commonPrefixLength(net.bytes, c.address, net.prefix) === net.prefix
  );
}

/**
 * Each record's scope widener, made on its first pick. Its cache is run-time state, so it is kept
 * here, keyed by the compiled policy, and never in the policy itself (policy-data.ts).
 */
const wideners = new WeakMap<GeoPolicy, ScopeWidener>();

function widenerOf(g: GeoPolicy): ScopeWidener {
  let w = wideners.get(g);
  if (w) return w;
  const { bySubdivision, byCountry, byContinent } = g;
  // The rules a located network matches, most specific first: what its answer depends on.
  w = new ScopeWidener((r) =>
    [
      r.subdivision === null ? undefined : bySubdivision.get(r.subdivision),
      r.country === null ? undefined : byCountry.get(r.country),
      r.continent === null ? undefined : byContinent.get(r.continent),
    ]
      .map((x) => x?.label ?? '')
      .join('|'),
  );
  wideners.set(g, w);
  return w;
}

/** The pick: the most specific matching rule with an available site answers with it. */
function pickGeo(
  g: GeoPolicy,
  members: readonly Site[],
  ctx: PickContext,
  available: readonly number[],
): Verdict {
  const { subnets, bySubdivision, byCountry, byContinent, fallback, hasSubnets } = g;
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
      hasSubnets[c.family] ? where.prefixLength : widenerOf(g).scope(ctx.geo, c, where),
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
function narrowScope(subnets: GeoPolicy['subnets'], c: ClientHint, scope: number): number {
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
