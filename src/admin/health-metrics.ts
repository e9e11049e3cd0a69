// Health state metrics (docs/admin.md#metrics): site and address gauges read from the health
// table's snapshot when Prometheus scrapes, overrides in force, and a counter of transitions.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { HealthTable } from '../health/table.js';

/** Registers the health gauges; returns the transitions counter the table's events feed. */
export function registerHealthMetrics(
  registry: Registry,
  health: () => HealthTable | undefined,
): Counter<'kind' | 'to'> {
  const registers = [registry];

  const siteAvailable = new Gauge({
    name: 'geosteer_site_available',
    help: '1 when the site may be given out (not drained, not forced down, enough addresses up), else 0.',
    labelNames: ['zone', 'site'],
    registers,
    collect() {
      const h = health();
      if (!h) return;
      siteAvailable.reset();
      for (const z of h.snapshot().zones)
        for (const site of z.sites)
          siteAvailable.set({ zone: z.zone, site: site.site }, site.available ? 1 : 0);
    },
  });

  const addressUp = new Gauge({
    name: 'geosteer_address_up',
    help: '1 when the address may be given out (its probe verdict after overrides), else 0; unknown counts as 0.',
    labelNames: ['zone', 'site', 'address'],
    registers,
    collect() {
      const h = health();
      if (!h) return;
      addressUp.reset();
      for (const z of h.snapshot().zones)
        for (const site of z.sites)
          for (const a of site.addresses)
            addressUp.set({ zone: z.zone, site: site.site, address: a.address }, a.up ? 1 : 0);
    },
  });

  const overrides = new Gauge({
    name: 'geosteer_override_timestamp_seconds',
    help: 'When each manual override in force was set (Unix time); address is "" for a site override.',
    labelNames: ['zone', 'site', 'address', 'state'],
    registers,
    collect() {
      const h = health();
      if (!h) return;
      overrides.reset();
      for (const o of h.listOverrides())
        overrides.set(
          { zone: o.zone, site: o.site, address: o.address ?? '', state: o.state },
          o.at / 1000,
        );
    },
  });

  return new Counter({
    name: 'geosteer_health_transitions_total',
    help: 'Health changes: kind address (to up/down/unknown), site (to available/unavailable), override (to up/down/drain/none).',
    labelNames: ['kind', 'to'],
    registers,
  });
}
