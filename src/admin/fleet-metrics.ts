// The fleet's metrics (docs/fleet.md#metrics), read from the fleet's status at scrape time:
// whether etcd is reachable, each vantage point's vote and the fleet verdict per address, and how
// many live instances serve a different zone set (drift).
import { Gauge, type Registry } from 'prom-client';
import type { FleetVoteLookup } from '../explain/fleet-votes.js';
import type { FleetStatus } from '../fleet/status.js';

/** What the admin API reads of the fleet. */
export interface FleetView {
  status(): FleetStatus;
  /** Each vantage point's verdict of an address and the rule's result, for /explain. */
  readonly voteOf: FleetVoteLookup;
}

const VERDICTS = ['up', 'down', 'unknown'] as const;

export function registerFleetMetrics(registry: Registry, fleet: FleetView): void {
  const registers = [registry];
  // One status per scrape, shared by the gauges below (prom-client collects them in order).
  let cached: { at: number; s: FleetStatus } | null = null;
  const status = () => {
    const now = Date.now();
    if (!cached || now - cached.at > 100) cached = { at: now, s: fleet.status() };
    return cached.s;
  };
  const connected = new Gauge({
    name: 'geosteer_fleet_connected',
    help: '1 while etcd is reachable and this instance holds a lease; 0 while it serves its last known copy.',
    registers,
    collect() {
      connected.set(status().connected ? 1 : 0);
    },
  });
  const instances = new Gauge({
    name: 'geosteer_fleet_instances',
    help: 'Live instances (with a lease) in the fleet, this one included.',
    registers,
    collect() {
      instances.set(status().instances.length);
    },
  });
  const drift = new Gauge({
    name: 'geosteer_fleet_zone_drift',
    help: 'Live instances serving a zone set whose hash differs from this instance’s.',
    registers,
    collect() {
      drift.set(status().drift.length);
    },
  });
  const votes = new Gauge({
    name: 'geosteer_fleet_votes',
    help: 'Vantage points voting each verdict for an address (this instance’s own probes are one).',
    labelNames: ['zone', 'site', 'address', 'verdict'],
    registers,
    collect() {
      votes.reset();
      for (const a of status().addresses) {
        const n = { up: 0, down: 0, unknown: 0 };
        for (const v of Object.values(a.votes)) n[v]++;
        for (const v of VERDICTS)
          votes.set({ zone: a.zone, site: a.site, address: a.address, verdict: v }, n[v]);
      }
    },
  });
  const verdict = new Gauge({
    name: 'geosteer_fleet_verdict_up',
    help: 'The fleet verdict per address under the consensus rule: 1 up, 0 down or unknown.',
    labelNames: ['zone', 'site', 'address'],
    registers,
    collect() {
      verdict.reset();
      for (const a of status().addresses)
        verdict.set({ zone: a.zone, site: a.site, address: a.address }, a.fleet === 'up' ? 1 : 0);
    },
  });
}
