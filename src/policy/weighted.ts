import { ProblemCode as C } from '../base/errors.js';
import { describe, scalarText } from '../base/yaml-source.js';
import { MAX_ANSWERS } from './dynamic.js';
import { parseMembers } from './members.js';
import type { WeightedPolicy } from './policy-data.js';
import type { PolicyCompiler } from './types.js';

/** `group:` values: `none` (the default) answers addresses, `site` one whole site. */
export const WEIGHTED_GROUPS = ['none', 'site'] as const;

/**
 * `steer: weighted` — smooth weighted round robin over the available sites by weight (the sites'
 * own, or per-record `sites: { a: 3, b: 1 }`), then over the chosen site's addresses by address
 * weight. The answer does not depend on the client, so the ECS scope is 0. One address per answer
 * by default: most clients use the first address they get, so a longer answer would only blur
 * the proportions. With `answers` above 1 the first site is the rotation's next pick and the
 * others follow in the order the rotation would reach them (see SmoothWeighted.following).
 *
 * `group: site` is gdnsd's grouped weighted mode (gdnsd-plugin-weighted, "grouped single"): the
 * rotation picks one site and the answer holds all of that site's up addresses of the asked
 * family, never a mix of sites. As in gdnsd, a site's share follows how much of it is up: its
 * weight is scaled by the share of its address weight that is up (gdnsd weighs a group by the
 * sum of its up addresses' weights), and failing open counts every address as up.
 */
export const weighted: PolicyCompiler = {
  kind: 'weighted',
  keys: ['sites', 'group'],
  defaultAnswers: 1,
  compile(src, { entries, node, path, sites }) {
    const e = entries.find((x) => x.key === 'sites');
    if (!e) {
      src.report(
        node,
        path,
        C.missingKey,
        'steer: weighted needs "sites" (a list, or site: weight pairs)',
      );
      return null;
    }
    const g = entries.find((x) => x.key === 'group');
    const group = g ? scalarText(g.value) : 'none';
    if (g && !(WEIGHTED_GROUPS as readonly (string | null)[]).includes(group))
      src.report(
        g.value,
        g.path,
        C.badValue,
        `must be site (answer with every up address of one site) or none (the default), got ${describe(g.value)}`,
      );
    const m = parseMembers(src, e, sites, true);
    if (!m) return null;
    const weights = m.sites.map((s, i) => m.weights?.get(i) ?? s.weight);
    const policy: WeightedPolicy = {
      kind: 'weighted',
      clientDependent: false,
      group: group === 'site' ? 'site' : 'none',
      weights,
    };
    return group === 'site'
      ? { members: m.sites, policy, defaultAnswers: MAX_ANSWERS }
      : { members: m.sites, policy };
  },
};
