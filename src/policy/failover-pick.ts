// The pick of `steer: failover` (failover.ts compiles it; docs/policies/failover.md): the first
// priority group with enough available sites answers.
import { siteFacts } from './facts.js';
import type { FailoverPolicy } from './policy-data.js';
import type { Site } from './site.js';
import type { PickContext, Picker, Verdict } from './types.js';

export const failoverPicker: Picker<FailoverPolicy> = {
  pick: (p, members, ctx, available) => pickFailover(p, members, ctx, available),
};

/** The first group with min_available available sites, else the first with any. */
function pickFailover(
  f: FailoverPolicy,
  members: readonly Site[],
  ctx: PickContext,
  available: readonly number[],
): Verdict {
  const { groups, minAvailable, names } = f;
  const avail = new Set(available);
  const live = groups.map((g) => g.filter((i) => avail.has(i)));
  let gi = live.findIndex((g) => g.length >= minAvailable);
  if (gi < 0) gi = live.findIndex((g) => g.length > 0);
  if (ctx.trace) {
    ctx.trace.push(`min_available ${minAvailable}`);
    live.forEach((g, k) =>
      ctx.trace!.push(
        `  group ${k + 1} [${names[k]}]: ${g.length} available${k === gi ? ' (answers)' : ''}`,
      ),
    );
  }
  if (ctx.facts) {
    groups.forEach((g, k) =>
      g.forEach((i) => (siteFacts(ctx.facts!, members[i]!.name).group = k + 1)),
    );
    const thin =
      live[gi]!.length < minAvailable
        ? `; no group has ${minAvailable} available, so the first with any`
        : '';
    ctx.facts.decidedBy = `group ${gi + 1} of ${groups.length} (min_available ${minAvailable}${thin})`;
  }
  return { sites: live[gi]!, scope: 0 };
}
