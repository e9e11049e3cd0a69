// One instance's part in the fleet (docs/fleet.md): it mirrors overrides between its health table
// and etcd, publishes its own probe verdicts and zone digest under its lease, and gives the table
// the fleet verdict of each address (its VerdictSource) from the votes of the live instances.
//
// etcd holds the truth; the table holds this instance's last known copy of it (and its state
// file, that copy on disk). An override set through this instance's admin API is written to etcd
// and comes back through the watch like anyone else's; while etcd is unreachable it holds here
// and is written when etcd returns. While unreachable, the other instances' votes are set aside
// and this instance's own verdicts decide, as they would for an instance alone.
//
// Somewhat over 300 lines: the session's sink, the verdict source and probe sharing all read the
// live instances and votes held here; overrides are in override-sync.ts, the status in status.ts.
import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from '../base/log.js';
import type { FleetOverrides } from './overrides.js';
import type { Verdict } from '../health/types.js';
import type { FleetConfig } from './config.js';
import { decide, ruleName } from './consensus.js';
import {
  type InstanceRecord,
  byName,
  KeyLayout,
  parseInstance,
  parseOverride,
  parseVerdict,
} from './keys.js';
import { EtcdSession, type KvChange } from './session.js';
import { ProbeAssignment } from './sharing.js';
import { OverrideSync } from './override-sync.js';
import type { ZoneDigest } from './zone-digest.js';
import { type FleetHealth, type FleetStatus, fleetStatus } from './status.js';

export type { FleetHealth, FleetStatus } from './status.js';

export interface FleetOptions {
  readonly config: FleetConfig;
  readonly client: Etcd3;
  readonly health: FleetHealth;
  /** The health table's override store: this instance's copy of etcd's overrides. */
  readonly overrides: FleetOverrides;
  /** The digest of the zones being served now. */
  readonly zones: () => ZoneDigest;
  /** With probes_per_target: told which addresses this instance probes. */
  readonly prober?: {
    share?(keep: ((zone: string, site: string, address: string) => boolean) | null): void;
  };
  readonly log: Logger;
  readonly now?: () => number;
}

/** The longest start-up waits for the first read of etcd before serving its last known copy. */
export const FIRST_SYNC_MS = 3000;

const addrKey = (zone: string, site: string, address: string) => `${zone}/${site}/${address}`;

export class Fleet {
  readonly keys: KeyLayout;
  readonly instances = new Map<string, InstanceRecord>();
  /** Other instances' votes: address key -> instance -> verdict. */
  readonly votes = new Map<string, Map<string, Verdict>>();
  /** Overrides, between this instance's store and etcd. */
  readonly overrides: OverrideSync;
  private readonly session: EtcdSession;
  private readonly now: () => number;
  private readonly startedAt: string;
  private synced = false;
  private syncWaiter: (() => void) | null = null;
  private outage = false;
  private unobserve: (() => void) | null = null;
  /** Times this instance read the whole prefix again (start, new lease). */
  resyncs = 0;
  /** Who probes what (probes_per_target); null: every instance probes everything. */
  assignment: ProbeAssignment | null = null;

  constructor(private readonly o: FleetOptions) {
    this.keys = new KeyLayout(o.config.prefix);
    this.now = o.now ?? Date.now;
    this.startedAt = new Date(this.now()).toISOString();
    this.session = new EtcdSession(o.client, o.config.prefix, o.config.leaseTtl, this, o.log);
    this.overrides = new OverrideSync(
      o.client,
      this.keys,
      o.overrides,
      o.config.name,
      this.now,
      o.log,
    );
  }

  get name(): string {
    return this.o.config.name;
  }

  get connected(): boolean {
    return this.session.connected;
  }

  /**
   * Start mirroring, and wait (at most FIRST_SYNC_MS) for the first read of etcd, so an instance
   * that can reach etcd serves the fleet's overrides from its first answer on.
   */
  async start(): Promise<void> {
    this.unobserve = this.o.health.onTransition((t) => {
      if (t.kind === 'address' && t.address !== null)
        this.publishVerdict(t.zone, t.site, t.address, t.to as Verdict);
    });
    this.o.overrides.onLocalSet((target, state, reason) =>
      this.overrides.local(target, state, reason, this.session.connected),
    );
    this.o.health.useVerdictSource(this);
    this.session.start();
    let timer: NodeJS.Timeout | null = null;
    if (!this.synced)
      await new Promise<void>((resolve) => {
        this.syncWaiter = resolve;
        timer = setTimeout(resolve, FIRST_SYNC_MS);
      });
    if (timer) clearTimeout(timer);
    this.syncWaiter = null;
    if (!this.synced)
      this.o.log.warn(
        { endpoints: this.o.config.endpoints, reason: this.session.lastError },
        'fleet: etcd not reached at start; serving the last known overrides (state file) and this instance’s own verdicts',
      );
  }

  /** Stop: revoke the lease, so this instance's votes leave the fleet at once. */
  async stop(): Promise<void> {
    this.unobserve?.();
    this.o.overrides.onLocalSet(null);
    this.o.health.useVerdictSource(null);
    await this.session.stop();
    this.o.client.close();
  }

  /** The zones changed (a reload): publish the new digest. */
  zonesChanged(): void {
    const lease = this.session.lease;
    if (lease) void this.putInstance(lease).catch(() => {});
  }

  // -------------------------------------------------------------------------------------------
  // VerdictSource: what the health table asks for each address.

  verdict(zone: string, site: string, address: string, own: Verdict): Verdict {
    if (!this.session.connected) return own;
    const key = addrKey(zone, site, address);
    const a = this.assignment;
    // With probe sharing only the address's probers vote.
    const mine = !a || a.probes(this.name, key);
    let up = mine && own === 'up' ? 1 : 0;
    let down = mine && own === 'down' ? 1 : 0;
    for (const [name, v] of this.votes.get(key) ?? []) {
      if (!this.instances.has(name) || (a && !a.probes(name, key))) continue;
      if (v === 'up') up++;
      else if (v === 'down') down++;
    }
    // No vote at all (the probers have not reported yet): this instance's own, as alone.
    if (up + down === 0) return own;
    return decide(this.o.config.rule, { up, down, unknown: 0 });
  }

  /** This instance's vote and the live peers' for one address, and the rule's result. */
  readonly voteOf = (
    zone: string,
    site: string,
    address: string,
  ): { rule: string; votes: Record<string, Verdict>; verdict: Verdict } | null => {
    const own = this.o.health.ownVerdict(zone, site, address);
    if (own === null) return null;
    const votes: [string, Verdict][] = [[this.name, own]];
    if (this.session.connected)
      for (const [name, v] of this.votes.get(addrKey(zone, site, address)) ?? [])
        if (this.instances.has(name)) votes.push([name, v]);
    return {
      rule: ruleName(this.o.config.rule),
      votes: byName(votes),
      verdict: this.verdict(zone, site, address, own),
    };
  };

  /** Everything /status, the CLI and the metrics show. */
  status(): FleetStatus {
    return fleetStatus(
      this,
      this.o.config,
      ruleName(this.o.config.rule),
      this.o.zones(),
      this.o.health,
    );
  }

  // -------------------------------------------------------------------------------------------
  // SessionSink.

  async publish(lease: Lease): Promise<void> {
    await this.overrides.flush();
    await this.putInstance(lease);
    await this.publishAll(lease);
  }

  /** Every own verdict (`unknown` for addresses another instance probes: no vote). */
  private async publishAll(lease: Lease): Promise<void> {
    const puts: Promise<unknown>[] = [];
    for (const z of this.o.health.snapshot().zones)
      for (const s of z.sites)
        for (const a of s.addresses)
          if (a.probe !== 'none')
            puts.push(
              lease
                .put(this.keys.verdict(this.name, s.zone, s.site, a.address))
                .value(this.published(s.zone, s.site, a.address, a.verdict))
                .exec(),
            );
    await Promise.all(puts);
  }

  private published(zone: string, site: string, address: string, v: Verdict): Verdict {
    const a = this.assignment;
    return !a || a.probes(this.name, addrKey(zone, site, address)) ? v : 'unknown';
  }

  /**
   * probes_per_target: recompute who probes what when the live instances change. While etcd is
   * unreachable every instance probes everything (its own verdicts decide then).
   */
  private rebalance(): void {
    const k = this.o.config.probesPerTarget;
    if (k === null) return;
    const live = [...this.instances.keys()].sort();
    const next =
      this.session.connected && live.includes(this.name) ? new ProbeAssignment(live, k) : null;
    if (next ? next.sameAs(this.assignment) : this.assignment === null) return;
    this.assignment = next;
    this.o.prober?.share?.(
      next ? (zone, site, address) => next.probes(this.name, addrKey(zone, site, address)) : null,
    );
    const lease = this.session.lease;
    if (next && lease) void this.publishAll(lease).catch(() => {});
  }

  snapshot(kvs: readonly KvChange[]): void {
    this.resyncs++;
    this.instances.clear();
    this.votes.clear();
    this.overrides.stored.clear();
    for (const kv of kvs) this.take(kv, false);
    this.overrides.reconcile();
    this.o.health.verdictsChanged();
    this.synced = true;
    this.syncWaiter?.();
  }

  changes(batch: readonly KvChange[]): void {
    let verdicts = false;
    for (const kv of batch) {
      const t = this.keys.parse(kv.key);
      if (!t) continue;
      this.take(kv, true);
      if (t.kind !== 'override') verdicts = true;
    }
    this.rebalance();
    if (verdicts) this.o.health.verdictsChanged();
  }

  connection(up: boolean): void {
    if (!up && !this.outage) {
      this.outage = true;
      this.o.log.warn(
        { endpoints: this.o.config.endpoints, reason: this.session.lastError },
        'fleet: etcd unreachable; serving the last known overrides and this instance’s own verdicts',
      );
    } else if (up && this.outage) {
      this.outage = false;
      this.o.log.info('fleet: etcd reachable again');
      void this.overrides.flush();
    }
    this.rebalance();
    this.o.health.verdictsChanged();
  }

  // -------------------------------------------------------------------------------------------

  /** Hold one key's new value; `apply`: an override change goes into the store at once. */
  private take(kv: KvChange, apply: boolean): void {
    const t = this.keys.parse(kv.key);
    if (!t) return;
    if (t.kind === 'instance') {
      const rec = kv.value === null ? null : parseInstance(kv.value);
      if (rec) this.instances.set(t.name, rec);
      else {
        this.instances.delete(t.name);
        for (const m of this.votes.values()) m.delete(t.name);
      }
    } else if (t.kind === 'verdict') {
      if (t.name === this.name) return;
      const k = addrKey(t.zone, t.site, t.address);
      const v = kv.value === null ? null : parseVerdict(kv.value);
      let m = this.votes.get(k);
      if (v === null) m?.delete(t.name);
      else {
        if (!m) this.votes.set(k, (m = new Map()));
        m.set(t.name, v);
      }
    } else {
      const rec = kv.value === null ? null : parseOverride(kv.value);
      this.overrides.take(kv.key, rec, apply ? t : null);
    }
  }

  private putInstance(lease: Lease): Promise<unknown> {
    const d = this.o.zones();
    const rec: InstanceRecord = {
      name: this.name,
      zonesHash: d.hash,
      zonesVersion: d.version,
      zones: d.zones,
      startedAt: this.startedAt,
      leaseTtl: this.o.config.leaseTtl,
      rule: ruleName(this.o.config.rule),
    };
    return lease.put(this.keys.instance(this.name)).value(JSON.stringify(rec)).exec();
  }

  private publishVerdict(zone: string, site: string, address: string, v: Verdict): void {
    const lease = this.session.lease;
    if (!lease) return; // published whole on the next session
    void lease
      .put(this.keys.verdict(this.name, zone, site, address))
      .value(this.published(zone, site, address, v))
      .exec()
      .catch(() => {});
  }
}
