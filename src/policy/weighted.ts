import { ProblemCode as C } from '../base/errors.js';
import { describe, scalarText } from '../base/yaml-source.js';
import { MAX_ANSWERS } from './dynamic.js';
import { parseMembers } from './members.js';
import { siteFacts } from './facts.js';
import { addressesOf, type Site } from './site.js';
import { SmoothWeighted } from './swrr.js';
import type { RecordState } from './state.js';
import type { PickContext, PolicyCompiler, Verdict } from './types.js';

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
    const compiled: Weighted = Object.freeze({ members: m.sites, weights });
    if (group === 'site')
      return {
        members: m.sites,
        policy: {
          kind: 'weighted',
          clientDependent: false,
          pick: (ctx, a, st) => pickSite(compiled, ctx, a, st),
        },
        defaultAnswers: MAX_ANSWERS,
      };
    return {
      members: m.sites,
      policy: {
        kind: 'weighted',
        clientDependent: false,
        pick: (ctx, a, st) => pickWeighted(compiled, ctx, a, st),
      },
    };
  },
};

/** A compiled weighted record: its sites and their weights in this record. */
interface Weighted {
  readonly members: readonly Site[];
  readonly weights: readonly number[];
}

/**
 * The rotations of one weighted record, in its state (state.ts): one per family, so A and AAAA
 * queries each keep the proportions on their own. `now` is scratch for `group: site`'s weights
 * of this query: pick is synchronous, so one array per family serves every query.
 */
interface Rotation {
  readonly rr: SmoothWeighted;
  readonly now: Float64Array;
}
type Rotations = { readonly 4: Rotation; readonly 6: Rotation };

function rotationOf(state: RecordState, family: 4 | 6, weights: readonly number[]): Rotation {
  let r = state.policy as Rotations | undefined;
  if (!r) {
    const make = () => ({ rr: new SmoothWeighted(weights), now: new Float64Array(weights.length) });
    state.policy = r = { 4: make(), 6: make() };
  }
  return r[family];
}

/** The next site of the rotation first, then the others in the order the rotation reaches them. */
function pickWeighted(
  w: Weighted,
  ctx: PickContext,
  available: readonly number[],
  state: RecordState,
): Verdict {
  const { members, weights } = w;
  const rotation = rotationOf(state, ctx.family, weights).rr;
  const first = rotation.next(available);
  ctx.trace?.push(
    `weighted round robin over ${available.map((i) => `${members[i]!.name} (weight ${weights[i]})`).join(', ')}: ${members[first]!.name}`,
  );
  if (ctx.facts) {
    for (const i of available) siteFacts(ctx.facts, members[i]!.name).weight = weights[i]!;
    ctx.facts.decidedBy =
      'smooth weighted round robin over the available sites: the next in the rotation';
  }
  const rest = ctx.answers > 1 ? rotation.following(available, first, available.length) : [];
  return { sites: [first, ...rest], scope: 0 };
}

/** `group: site`: one site per answer, with every up address it has of the asked family. */
function pickSite(
  c: Weighted,
  ctx: PickContext,
  available: readonly number[],
  state: RecordState,
): Verdict {
  const { members, weights } = c;
  const { rr, now: w } = rotationOf(state, ctx.family, weights);
  for (const i of available) w[i] = weights[i]! * upShare(ctx, members[i]!);
  const first = rr.next(available, w);
  ctx.trace?.push(
    `weighted round robin over whole sites, ${available.map((i) => `${members[i]!.name} (weight ${weights[i]}${w[i] !== weights[i] ? `, ${round(w[i]!)} for its up addresses` : ''})`).join(', ')}: ${members[first]!.name} with its up addresses`,
  );
  if (ctx.facts) {
    for (const i of available) siteFacts(ctx.facts, members[i]!.name).weight = round(w[i]!);
    ctx.facts.decidedBy =
      'smooth weighted round robin over the available sites, each weighted by its share of address weight up (group: site): the next site in the rotation, with all its up addresses';
  }
  return { sites: [first], scope: 0 };
}

/** The share of a site's address weight of the asked family that is up: 1 when failing open. */
function upShare(ctx: PickContext, site: Site): number {
  if (ctx.failOpen) return 1;
  let up = 0;
  let total = 0;
  for (const a of addressesOf(site, ctx.family)) {
    total += a.weight;
    if (ctx.health.addressUp(ctx.zone, site.name, a.address)) up += a.weight;
  }
  return total === 0 ? 0 : up / total;
}

const round = (x: number) => Math.round(x * 100) / 100;
