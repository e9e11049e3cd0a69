import { ProblemCode as C } from '../base/errors.js';
import { describe, isSeq, listOf, scalarInt, type Node } from '../base/yaml-source.js';
import { MAX_ANSWERS } from './dynamic.js';
import { unknownSite } from './members.js';
import type { FailoverPolicy } from './policy-data.js';
import type { Site } from './site.js';
import type { PolicyCompiler } from './types.js';

/**
 * `steer: failover` — ordered priority groups. The first group with at least `min_available`
 * (default 1) available sites answers, with all of them in the order listed; standby groups come
 * online only when every group before them is below the threshold. A site counts as available
 * for the family asked about (the shared step's rule): for AAAA, a site with no up IPv6 address
 * does not count, as gdnsd's multifo counts each family on its own. If no group reaches the
 * threshold, the first group with any available site answers: a thin group beats none.
 * The answer does not depend on the client, so the ECS scope is 0. The pick: failover-pick.ts.
 */
export const failover: PolicyCompiler = {
  kind: 'failover',
  keys: ['groups', 'min_available'],
  defaultAnswers: 8,
  compile(src, { entries, node, path, sites }) {
    const e = entries.find((x) => x.key === 'groups');
    if (!e) {
      src.report(
        node,
        path,
        C.missingKey,
        'steer: failover needs "groups" (a list of lists of site names, most preferred first)',
      );
      return null;
    }
    if (!isSeq(e.value) || e.value.items.length === 0) {
      src.report(
        e.value,
        e.path,
        C.wrongType,
        `must be a non-empty list of groups, e.g. [[us-east], [eu-west, ap-south]], got ${describe(e.value)}`,
      );
      return null;
    }
    const members: Site[] = [];
    /** Where each member was first named, for "in two groups". */
    const where = new Map<Site, string>();
    const groups: number[][] = [];
    e.value.items.forEach((g, gi) => {
      const gp = `${e.path}[${gi}]`;
      const group: number[] = [];
      if (isSeq(g) && g.items.length === 0)
        src.report(g as Node, gp, C.badValue, 'an empty group: name at least one site');
      // A group of one site may be written without a list: groups: [primary, backup].
      for (const item of listOf(src, g as Node, gp)) {
        const site = item.text === null ? undefined : sites.get(item.text);
        if (!site) unknownSite(src, item.node, item.path, sites);
        else if (where.has(site))
          src.report(
            item.node,
            item.path,
            C.badValue,
            `site ${site.name} is already in ${where.get(site)}: a site belongs to one group`,
          );
        else {
          where.set(site, gp);
          group.push(members.length);
          members.push(site);
        }
      }
      groups.push(group);
    });
    const minE = entries.find((x) => x.key === 'min_available');
    const minAvailable = minE ? (scalarInt(src, minE.value, minE.path, 1, MAX_ANSWERS) ?? 1) : 1;
    const largest = Math.max(...groups.map((g) => g.length));
    if (minE && minAvailable > largest && members.length > 0)
      src.report(
        minE.value,
        minE.path,
        C.badValue,
        `min_available ${minAvailable} is more sites than any group has (the largest has ${largest}), so no group could ever reach it`,
      );
    if (members.length === 0) return null;
    const policy: FailoverPolicy = {
      kind: 'failover',
      clientDependent: false,
      groups,
      minAvailable,
      names: groups.map((g) => g.map((i) => members[i]!.name).join(', ')),
    };
    return { members, policy };
  },
};
