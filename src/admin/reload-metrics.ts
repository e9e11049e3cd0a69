// Reload metrics (docs/admin.md#metrics): reloads by outcome, counted as the reloader reports
// them, and the zone generation being served, read at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReloadOutcome } from '../server/reloader.js';

/** How a reload ended, as `geosteer_reloads_total{outcome}` says it. */
export type ReloadResult = 'changed' | 'unchanged' | 'rejected';

export function reloadResult(o: ReloadOutcome): ReloadResult {
  if (!o.ok) return 'rejected';
  return o.added.length || o.removed.length || o.changed.length ? 'changed' : 'unchanged';
}

/** `geosteer_reloads_total`, every outcome present from the start at 0. */
export function registerReloadMetrics(registry: Registry): Counter<'outcome'> {
  const reloads = new Counter({
    name: 'geosteer_reloads_total',
    help: 'Zone reloads by outcome: changed (a new generation), unchanged, rejected (problems; the last good zones keep serving).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['changed', 'unchanged', 'rejected'] as const) reloads.inc({ outcome }, 0);
  return reloads;
}

/** `geosteer_config_generation`: the generation the handler serves, none before attach. */
export function registerGenerationMetric(
  registry: Registry,
  generation: () => number | undefined,
): void {
  const gauge = new Gauge({
    name: 'geosteer_config_generation',
    help: 'The zone generation being served: 1 at start, one more for each reload that changed something.',
    registers: [registry],
    collect() {
      const g = generation();
      if (g !== undefined) gauge.set(g);
    },
  });
}
