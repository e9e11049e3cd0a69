// The pick of `steer: nearest` (nearest.ts compiles it; docs/policies/nearest.md): an override's
// site, else the available sites ranked by great-circle distance from the client.
import type { GeoResult, Location } from '../geoip/types.js';
import { siteFacts } from './facts.js';
import { distanceKm } from './geo-math.js';
import type { NearestPolicy } from './policy-data.js';
import { ScopeWidener } from './scope.js';
import type { Site } from './site.js';
import type { PickContext, Picker, Verdict } from './types.js';

export const nearestPicker: Picker<NearestPolicy> = {
  pick: (p, members, ctx, available) => pickNearest(p, members, ctx, available),
};

/**
 * Each record's scope widener, made on its first pick. Its cache is run-time state, so it is kept
 * here, keyed by the compiled policy, and never in the policy itself (policy-data.ts); the
 * server's answers and explain share it, as they share the locator's results it is keyed by.
 */
const wideners = new WeakMap<NearestPolicy, ScopeWidener>();

function widenerOf(p: NearestPolicy, members: readonly Site[]): ScopeWidener {
  let w = wideners.get(p);
  if (!w) wideners.set(p, (w = makeWidener(members)));
  return w;
}

/** A widener by what the answer depends on for a located network (scope.ts). */
function makeWidener(members: readonly Site[]): ScopeWidener {
  const order = (here: Location) =>
    members
      .map((s, i) => ({ i, km: distanceKm(here, s.location!) }))
      .sort((a, b) => a.km - b.km || a.i - b.i);
  const listed = members.map((_, i) => i).join(',');
  // What the answer depends on for a located network: a site sent there by an override (if this
  // record has it), then the ranking; an unknown client ranks as listed.
  return new ScopeWidener((w) => {
    const site = w.site !== null && members.some((s) => s.name === w.site) ? w.site : '';
    return `${site}|${
      w.location
        ? order(w.location)
            .map((r) => r.i)
            .join(',')
        : listed
    }`;
  });
}

function scopeOf(
  n: NearestPolicy,
  members: readonly Site[],
  ctx: PickContext,
  where: GeoResult,
): number {
  return n.spread === null
    ? widenerOf(n, members).scope(ctx.geo, ctx.client, where)
    : where.prefixLength;
}

/** An override's site, else the available sites ranked by distance from the client. */
function pickNearest(
  n: NearestPolicy,
  members: readonly Site[],
  ctx: PickContext,
  available: readonly number[],
): Verdict {
  const { spread, explicitLimit, limit } = n;
  const where = ctx.locate();
  if (where.site !== null) {
    const i = available.find((a) => members[a]!.name === where.site);
    if (i !== undefined) {
      ctx.trace?.push(`override ${where.origin} sends ${where.network} to site ${where.site}`);
      if (ctx.facts) ctx.facts.decidedBy = `override ${where.origin} names site ${where.site}`;
      return { sites: [i], scope: scopeOf(n, members, ctx, where) };
    }
    ctx.trace?.push(
      `override names site ${where.site}, which is not available here: ranking by distance`,
    );
  }
  const here = where.location;
  if (!here) {
    ctx.trace?.push('client location unknown: sites in the order the record lists them');
    if (ctx.facts) ctx.facts.decidedBy = 'client location unknown: the first site the record lists';
    return {
      sites: available.slice(0, explicitLimit ?? 1),
      scope: scopeOf(n, members, ctx, where),
    };
  }
  const ranked = available
    .map((i) => ({ i, km: distanceKm(here, members[i]!.location!) }))
    .sort((a, b) => a.km - b.km || a.i - b.i);
  const best = ranked[0]!.km;
  const within = (km: number) =>
    spread === null
      ? true
      : 'km' in spread
        ? km <= best + spread.km
        : km <= best * (1 + spread.percent / 100);
  const chosen = ranked.filter((r) => within(r.km)).slice(0, limit);
  if (ctx.trace) {
    for (const r of ranked)
      ctx.trace.push(
        `  ${members[r.i]!.name}: ${Math.round(r.km)} km${chosen.includes(r) ? ' (chosen)' : ''}`,
      );
  }
  if (ctx.facts) {
    for (const r of ranked)
      Object.assign(
        siteFacts(ctx.facts, members[r.i]!.name),
        spread ? { km: r.km, withinSpread: within(r.km) } : { km: r.km },
      );
    const spreadText =
      spread === null ? '' : 'km' in spread ? `${spread.km} km` : `${spread.percent}%`;
    ctx.facts.decidedBy = spread
      ? `distance: the sites within ${spreadText} of the nearest${explicitLimit ? `, at most ${limit}` : ''}`
      : `distance: the nearest ${limit === 1 ? 'site' : `${limit} sites`}`;
  }
  return { sites: chosen.map((r) => r.i), scope: scopeOf(n, members, ctx, where) };
}
