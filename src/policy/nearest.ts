import { ProblemCode as C } from '../base/errors.js';
import { describe, scalarInt, scalarText } from '../base/yaml-source.js';
import { distanceKm } from './geo-math.js';
import { siteFacts } from './facts.js';
import { MAX_ANSWERS } from './dynamic.js';
import { parseMembers } from './members.js';
import { ScopeWidener } from './scope.js';
import type { GeoResult, Location } from '../geoip/types.js';
import type { Site } from './site.js';
import type { PickContext, PolicyCompiler, Verdict } from './types.js';

type Spread = { km: number } | { percent: number } | null;

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
 * only on the ranking, so the scope is the locator's network.
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
    const compiled = compileNearest(m.sites, spread, explicitLimit, limit);
    return {
      members: m.sites,
      policy: {
        kind: 'nearest',
        clientDependent: true,
        pick: (ctx, available) => pickNearest(compiled, ctx, available),
      },
    };
  },
};

/** A compiled nearest record: its sites (each with a location), spread, limit, scope widener. */
interface Nearest {
  readonly members: readonly Site[];
  readonly spread: Spread;
  readonly explicitLimit: number | null;
  readonly limit: number;
  readonly widener: ScopeWidener;
}

function compileNearest(
  members: readonly Site[],
  spread: Spread,
  explicitLimit: number | null,
  limit: number,
): Nearest {
  const order = (here: Location) =>
    members
      .map((s, i) => ({ i, km: distanceKm(here, s.location!) }))
      .sort((a, b) => a.km - b.km || a.i - b.i);
  const listed = members.map((_, i) => i).join(',');
  // What the answer depends on for a located network: a site sent there by an override (if this
  // record has it), then the ranking; an unknown client ranks as listed.
  const widener = new ScopeWidener((w) => {
    const site = w.site !== null && members.some((s) => s.name === w.site) ? w.site : '';
    return `${site}|${
      w.location
        ? order(w.location)
            .map((r) => r.i)
            .join(',')
        : listed
    }`;
  });
  return Object.freeze({ members, spread, explicitLimit, limit, widener });
}

function scopeOf(n: Nearest, ctx: PickContext, where: GeoResult): number {
  return n.spread === null ? n.widener.scope(ctx.geo, ctx.client, where) : where.prefixLength;
}

/** An override's site, else the available sites ranked by distance from the client. */
function pickNearest(n: Nearest, ctx: PickContext, available: readonly number[]): Verdict {
  const { members, spread, explicitLimit, limit } = n;
  const where = ctx.locate();
  if (where.site !== null) {
    const i = available.find((a) => members[a]!.name === where.site);
    if (i !== undefined) {
      ctx.trace?.push(`override ${where.origin} sends ${where.network} to site ${where.site}`);
      if (ctx.facts) ctx.facts.decidedBy = `override ${where.origin} names site ${where.site}`;
      return { sites: [i], scope: scopeOf(n, ctx, where) };
    }
    ctx.trace?.push(
      `override names site ${where.site}, which is not available here: ranking by distance`,
    );
  }
  const here = where.location;
  if (!here) {
    ctx.trace?.push('client location unknown: sites in the order the record lists them');
    if (ctx.facts) ctx.facts.decidedBy = 'client location unknown: the first site the record lists';
    return { sites: available.slice(0, explicitLimit ?? 1), scope: scopeOf(n, ctx, where) };
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
  return { sites: chosen.map((r) => r.i), scope: scopeOf(n, ctx, where) };
}
