// The pick of `steer: weighted` (weighted.ts compiles it; docs/policies/weighted.md): smooth
// weighted round robin over the available sites, or over whole sites with `group: site`.
import { siteFacts } from './facts.js';
import type { WeightedPolicy } from './policy-data.js';
import { addressesOf, type Site } from './site.js';
import { SmoothWeighted } from './swrr.js';
import type { RecordState } from './state.js';
import type { PickContext, Picker, Verdict } from './types.js';

/** Per query: the rotation's next site, or with `group: site` its next whole site. */
export const weightedPicker: Picker<WeightedPolicy> = {
  pick: (p, members, ctx, available, state) =>
    p.group === 'site'
      ? pickSite(p, members, ctx, available, state)
      : pickWeighted(p, members, ctx, available, state),
};

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
  w: WeightedPolicy,
  members: readonly Site[],
  ctx: PickContext,
  available: readonly number[],
  state: RecordState,
): Verdict {
  const { weights } = w;
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
  c: WeightedPolicy,
  members: readonly Site[],
  ctx: PickContext,
  available: readonly number[],
  state: RecordState,
): Verdict {
  const { weights } = c;
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
