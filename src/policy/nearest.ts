import { ProblemCode as C } from '../base/errors.js';
import { describe, scalarInt, scalarText } from '../base/yaml-source.js';
import { MAX_ANSWERS } from './dynamic.js';
import { parseMembers } from './members.js';
import type { NearestPolicy, Spread } from './policy-data.js';
import type { PolicyCompiler } from './types.js';

/**
 * `steer: nearest` — GeoIP proximity: the great-circle distance from the client's location to
 * each available site ranks them, nearest first (ties go to the site listed first).
 * - `spread: 500km` / `spread: 20%` admits every site within that distance of the nearest, or
 *   that much farther than it, so close sites share the load;
 * - `limit: N` caps how many sites answer: 1 by default, all of those within `spread` when it
 *   is set; without `spread`, `limit: N` gives the N nearest.
 * An override that names a site sends its network there while that site is available. A client
 * with no known location gets the sites in the order the record lists them (the first is the
 * "home" site), `limit` of them (default 1); `spread` needs a distance, so it does not apply.
 * The ECS scope is the prefix of the locator's network, widened (src/policy/scope.ts) to the
 * largest network around it whose clients all get the same full ranking of the record's sites, so
 * the same answer whatever the sites' health. With `spread` the answer depends on distances, not
 * only on the ranking, so the scope is the locator's network. The pick: nearest-pick.ts.
 */
export const nearest: PolicyCompiler = {
  kind: 'nearest',
  keys: ['sites', 'spread', 'limit'],
  defaultAnswers: 8,
  compile(src, { entries, node, path, sites }) {
    const e = entries.find((x) => x.key === 'sites');
    if (!e) {
      src.report(node, path, C.missingKey, 'steer: nearest needs "sites" (a list of site names)');
      return null;
    }
    const m = parseMembers(src, e, sites, false);
    if (!m) return null;
    m.sites.forEach((s, i) => {
      if (!s.location)
        src.report(
          m.refs[i]!.node,
          m.refs[i]!.path,
          C.badPolicy,
          `site ${s.name} has no location: steer: nearest ranks sites by distance, so each of its sites needs location: { lat, lon }`,
        );
    });
    let spread: Spread = null;
    const spreadE = entries.find((x) => x.key === 'spread');
    if (spreadE) {
      const t = scalarText(spreadE.value)?.replace(/\s+/g, '') ?? '';
      const km = /^(\d+(?:\.\d+)?)(km)?$/.exec(t);
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
      if (km) spread = { km: Number(km[1]) };
      else if (pct) spread = { percent: Number(pct[1]) };
      else
        src.report(
          spreadE.value,
          spreadE.path,
          C.badValue,
          `must be a distance ("500km") or a percentage ("20%"), got ${describe(spreadE.value)}`,
        );
    }
    const limitE = entries.find((x) => x.key === 'limit');
    const explicitLimit = limitE ? scalarInt(src, limitE.value, limitE.path, 1, MAX_ANSWERS) : null;
    const limit = explicitLimit ?? (spread ? MAX_ANSWERS : 1);
    const policy: NearestPolicy = {
      kind: 'nearest',
      clientDependent: true,
      spread,
      explicitLimit,
      limit,
    };
    return { members: m.sites, policy };
  },
};
