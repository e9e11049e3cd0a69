// GET /explain: the decision trace `geosteer explain` prints, with this server's live zones,
// health table and GeoIP locator. Compiled zones are immutable and the rotations live apart
// from them (src/policy/state.ts): each request explains the zones being served with rotations
// of its own, so it never takes a turn of the server's, and shows a fresh rotation's pick as the
// CLI does (docs/explain.md). Nothing is loaded per request: what is explained is what is served,
// whatever the files on disk hold now.
import { sep } from 'node:path';
import { explain, ExplainError, type Explanation } from '../explain/explain.js';
import { renderExplanation } from '../explain/render.js';
import type { GeoLocator } from '../geoip/types.js';
import type { HealthView } from '../health/table.js';
import type { ZoneSet } from '../zone/zone-set.js';
import { AdminError } from './errors.js';

export interface ExplainSource {
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
  constructor(private readonly src: ExplainSource) {}

  /** Synchronous underneath (no I/O); a promise, as the admin API's routes are. */
  explain(q: ExplainQuery): Promise<Explanation> {
    try {
      return Promise.resolve(
        explain(this.src.zones(), this.src.geo, this.src.health, q.name, q.type, q.client),
      );
    } catch (e) {
      if (e instanceof ExplainError) return Promise.reject(new AdminError(e.code, e.message));
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** The CLI's text form, with paths under the working directory shown relative to it. */
  static text(x: Explanation, trace: boolean): string {
    return renderExplanation(x, { trace })
      .split(process.cwd() + sep)
      .join('');
  }
}
