// GET /explain: the decision trace `geosteer explain` prints, with this server's live health
// table and GeoIP locator. explain() advances the weighted rotations of the zones it is given,
// so it never gets the live ones: each request explains over a copy loaded from the zones
// directory, fresh as the CLI's (its weighted picks are a fresh rotation's, as docs/explain.md
// says), after checking that the files still hold the generation being served.
import { sep } from 'node:path';
import { explain, ExplainError, type Explanation } from '../explain/explain.js';
import { renderExplanation } from '../explain/render.js';
import type { GeoLocator } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import { type LoadResult, loadZoneDir } from '../zone/load.js';
import { ZoneSet } from '../zone/zone-set.js';
import { AdminError, AdminErrorCode as E } from './errors.js';

export interface ExplainSource {
  readonly zonesDir: string;
  /** Load the zones directory as the server does (a site's child zones too); default loadZoneDir. */
  readonly load?: (dir: string) => Promise<LoadResult>;
  /** The zones being served now. */
  zones(): ZoneSet;
  readonly geo: GeoLocator;
  readonly health: HealthView;
}

export interface ExplainQuery {
  name: string;
  type: string;
  client: string;
}

export class LiveExplainer {
  /** One explanation at a time: each compiles the zones directory, which holds the event loop. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly src: ExplainSource) {}

  explain(q: ExplainQuery): Promise<Explanation> {
    const run = this.queue.catch(() => {}).then(() => this.run(q));
    this.queue = run;
    return run;
  }

  /** The CLI's text form, with paths under the working directory shown relative to it. */
  static text(x: Explanation, trace: boolean): string {
    return renderExplanation(x, { trace })
      .split(process.cwd() + sep)
      .join('');
  }

  private async run(q: ExplainQuery): Promise<Explanation> {
    const live = this.src.zones();
    const { zones, problems } = await (this.src.load ?? loadZoneDir)(this.src.zonesDir);
    const changed = problems.length
      ? `${problems.length} problem(s)`
      : differences(
          live,
          zones.map((z) => ({ key: z.key, origin: z.origin, fingerprint: z.fingerprint })),
        );
    if (changed)
      throw new AdminError(
        E.zonesChanged,
        `the zone files in ${this.src.zonesDir} are not generation ${live.generation}, which is being served (${changed}); reload, then explain`,
      );
    try {
      return explain(
        new ZoneSet(zones, live.generation),
        this.src.geo,
        this.src.health,
        q.name,
        q.type,
        q.client,
      );
    } catch (e) {
      if (e instanceof ExplainError) throw new AdminError(e.code, e.message);
      throw e;
    }
  }
}

/** How the loaded zones differ from the live ones, in words; '' when they are the same. */
function differences(
  live: ZoneSet,
  loaded: readonly { key: string; origin: string; fingerprint: string }[],
): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const z of loaded) {
    seen.add(z.key);
    const l = live.get(z.key);
    if (!l) out.push(`${z.origin} added`);
    else if (l.fingerprint !== z.fingerprint) out.push(`${z.origin} changed`);
  }
  for (const z of live.zones) if (!seen.has(z.key)) out.push(`${z.origin} removed`);
  return out.join(', ');
}
