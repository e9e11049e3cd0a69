import { ProblemCode as C } from '../zone/errors.js';
import { parseMembers } from './record.js';
import { siteFacts } from './facts.js';
import { SmoothWeighted } from './swrr.js';
import type { PolicyCompiler } from './types.js';

/**
 * `steer: weighted` — smooth weighted round robin over the available sites by weight (the sites'
 * own, or per-record `sites: { a: 3, b: 1 }`), then over the chosen site's addresses by address
 * weight. The answer does not depend on the client, so the ECS scope is 0. One address per answer
 * by default: most clients use the first address they get, so a longer answer would only blur
 * the proportions. With `answers` above 1 the first site is the rotation's next pick and the
 * others follow in the order the rotation would reach them (see SmoothWeighted.following).
 */
export const weighted: PolicyCompiler = {
  kind: 'weighted',
  keys: ['sites'],
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
    const m = parseMembers(src, e, sites, true);
    if (!m) return null;
    const weights = m.sites.map((s, i) => m.weights?.get(i) ?? s.weight);
    // One rotation per family, so A and AAAA queries each keep the proportions on their own.
    const rr = { 4: new SmoothWeighted(weights), 6: new SmoothWeighted(weights) };
    return {
      members: m.sites,
      policy: {
        kind: 'weighted',
        clientDependent: false,
        pick(ctx, available) {
          const rotation = rr[ctx.family];
          const first = rotation.next(available);
          ctx.trace?.push(
            `weighted round robin over ${available.map((i) => `${m.sites[i]!.name} (weight ${weights[i]})`).join(', ')}: ${m.sites[first]!.name}`,
          );
          if (ctx.facts) {
            for (const i of available) siteFacts(ctx.facts, m.sites[i]!.name).weight = weights[i]!;
            ctx.facts.decidedBy =
              'smooth weighted round robin over the available sites: the next in the rotation';
          }
          const rest =
            ctx.answers > 1 ? rotation.following(available, first, available.length) : [];
          return { sites: [first, ...rest], scope: 0 };
        },
      },
    };
  },
};
