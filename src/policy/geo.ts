import { ProblemCode as C } from '../base/errors.js';
import { compileGeoRules } from './geo-rules.js';
import type { GeoPolicy } from './policy-data.js';
import type { PolicyCompiler } from './types.js';

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
 * The pick: geo-pick.ts.
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
    const { members, bySubdivision, byCountry, byContinent, subnets, fallback } = rules;
    const policy: GeoPolicy = {
      kind: 'geo',
      clientDependent: true,
      bySubdivision,
      byCountry,
      byContinent,
      subnets,
      fallback,
      hasSubnets: {
        4: subnets.some((s) => s.net.family === 4),
        6: subnets.some((s) => s.net.family === 6),
      },
    };
    return { members: [...members], policy };
  },
};
