// Overrides between this instance's store (src/fleet/overrides.ts) and etcd: a change made here is
// written to etcd in one transaction (src/fleet/store.ts), or held while etcd is unreachable and
// written when it returns, before anything is read again; a change in etcd (anyone's) is put into
// the store without being written back. etcd is the truth: at each full read, local overrides it
// does not hold are cleared and those it holds applied (docs/fleet.md#the-model).
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../base/log.js';
import type { Target } from '../health/overrides.js';
import type { OverrideState } from '../health/state-file.js';
import type { KeyLayout, StoredOverride } from './keys.js';
import type { FleetOverrides } from './overrides.js';
import { writeOverride } from './store.js';

interface Pending {
  readonly zone: string;
  readonly site: string;
  readonly address: string | null;
  readonly state: OverrideState | null;
  readonly at: number;
  readonly reason: string;
}

export class OverrideSync {
  /** Overrides as etcd holds them, by etcd key. */
  readonly stored = new Map<string, StoredOverride>();
  /** Local changes etcd has not taken yet, by etcd key. */
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly client: Etcd3,
    private readonly keys: KeyLayout,
    private readonly store: FleetOverrides,
    /** This instance's name: `by` in what it writes. */
    private readonly name: string,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** A change made through this instance: write it now if `connected`, else when etcd returns. */
  local(target: Target, state: OverrideState | null, reason: string, connected: boolean): void {
    const address = target.address ?? null;
    const p: Pending = {
      zone: target.zone,
      site: target.site,
      address,
      state,
      at: this.now(),
      reason,
    };
    this.pending.set(this.keys.override(p.zone, p.site, address), p);
    if (connected) void this.flush();
  }

  /** Write every held change, in order; stops at the first failure (etcd is gone again). */
  async flush(): Promise<void> {
    for (const [key, p] of [...this.pending]) {
      try {
        await writeOverride(this.client, this.keys, p, {
          state: p.state,
          at: new Date(p.at),
          reason: p.reason,
          by: this.name,
        });
        if (this.pending.get(key) === p) this.pending.delete(key);
      } catch (err) {
        this.log.debug({ err, key }, 'fleet: override not written yet; kept for when etcd returns');
        return;
      }
    }
  }

  /** etcd's value of one override key (null: none, or not an override geosteer can read). */
  take(key: string, value: StoredOverride | null, target: Target | null): void {
    const before = this.stored.get(key)?.state ?? null;
    if (value) this.stored.set(key, value);
    else this.stored.delete(key);
    if (target && before !== (value?.state ?? null)) this.apply(target, value);
  }

  /** After a full read (`stored` refilled): make the store hold exactly etcd's overrides. */
  reconcile(): void {
    const want = new Map(this.stored);
    for (const r of this.store.list()) {
      const k = this.keys.override(r.zone, r.site, r.address);
      if (this.pending.has(k)) continue;
      const s = want.get(k);
      if (!s) this.apply(r, null);
      else if (s.state === r.state) want.delete(k);
    }
    for (const [k, s] of want) {
      const t = this.keys.parse(k);
      if (t?.kind === 'override') this.apply(t, s);
    }
  }

  /** Put etcd's override into the store, without writing it back. */
  private apply(target: Target, s: StoredOverride | null): void {
    const why = s ? `${s.reason || 'no reason given'} (by ${s.by} at ${s.at})` : 'cleared in etcd';
    const t = { zone: target.zone, site: target.site, address: target.address ?? null };
    this.store
      .fromFleet(t, s?.state ?? null, why)
      .catch((err: unknown) =>
        this.log.error({ err }, 'fleet: override applied but not saved to the state file'),
      );
  }
}
