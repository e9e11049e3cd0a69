import { ProblemCode as C } from '../base/errors.js';
import { parseMembers } from './members.js';
import type { StickyPolicy } from './policy-data.js';
import type { PolicyCompiler } from './types.js';

/**
 * `steer: sticky` — session persistence by weighted rendezvous (highest random weight) hashing of
 * the client's network (/24 IPv4, /56 IPv6, or the shorter ECS source prefix) over the available
 * sites. A network keeps its site while that site is available; when a site leaves, only its
 * networks move (each to its own next-highest site, so they spread over the rest by weight), and
 * they come back when it returns. Sites are hashed by name, so adding a site or reordering the
 * list moves only the networks the new site wins. The address within the site is chosen the
 * same way, so a client keeps its address too when the site has more than `answers`.
 * ECS scope: the client's prefix, the network that was hashed. The pick: sticky-pick.ts.
 */
export const sticky: PolicyCompiler = {
  kind: 'sticky',
  keys: ['sites'],
  defaultAnswers: 8,
  compile(src, { entries, node, path, sites }) {
    const e = entries.find((x) => x.key === 'sites');
    if (!e) {
      src.report(
        node,
        path,
        C.missingKey,
        'steer: sticky needs "sites" (a list, or site: weight pairs)',
      );
      return null;
    }
    const m = parseMembers(src, e, sites, true);
    if (!m) return null;
    const weights = m.sites.map((s, i) => m.weights?.get(i) ?? s.weight);
    const policy: StickyPolicy = {
      kind: 'sticky',
      clientDependent: true,
      names: m.sites.map((s) => s.name),
      weights,
    };
    return { members: m.sites, policy };
  },
};
