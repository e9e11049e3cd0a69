// The fleet joins the server as a ServerAttachment (src/server/attachment.ts), wired by
// src/serve.ts: it sets where probes leave from before the first probe round, and starts
// mirroring once the listeners are open, after the state file (the last known copy) is read.
import type { Logger } from '../base/log.js';
import type { ProberOptions } from '../health/prober.js';
import type { HealthTable } from '../health/table.js';
import type { ServerAttachment, ServerView } from '../server/attachment.js';
import type { FleetConfig } from './config.js';
import { connectEtcd } from './etcd.js';
import { Fleet } from './fleet.js';
import { FleetOverrides } from './overrides.js';
import { digestZones } from './zone-digest.js';

export class FleetAttachment implements ServerAttachment {
  private fleetNow: Fleet | null = null;
  private unwatch: (() => void) | null = null;

  /** The health table's override store (src/serve.ts makes the table with it). */
  readonly overrides = new FleetOverrides();

  constructor(
    readonly config: FleetConfig,
    private readonly log: Logger,
  ) {}

  /** The running fleet, once open. */
  get fleet(): Fleet | null {
    return this.fleetNow;
  }

  instrument<T extends ProberOptions>(_health: HealthTable, probes: T | undefined): T | undefined {
    if (this.config.probeSource === null) return probes;
    return { ...(probes as T), sourceAddress: this.config.probeSource };
  }

  async open(view: ServerView): Promise<void> {
    const fleet = new Fleet({
      config: this.config,
      client: await connectEtcd(this.config),
      health: view.health,
      overrides: this.overrides,
      prober: view.prober,
      zones: () => digestZones(view.handler.zoneSet.zones),
      log: this.log,
    });
    this.unwatch = view.reloader.onOutcome(() => fleet.zonesChanged());
    this.fleetNow = fleet;
    await fleet.start();
  }

  async close(): Promise<void> {
    this.unwatch?.();
    await this.fleetNow?.stop();
    this.fleetNow = null;
  }
}
