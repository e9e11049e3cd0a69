// The fleet's override store (src/health/overrides.ts's OverrideStore): this instance's copy of
// the overrides etcd holds. It is a LocalOverrides, so the state file keeps working and is now the
// last known copy, read at start before etcd is reached (docs/fleet.md#the-model). A change made
// here (the admin API, through the health table) takes effect at once, as before, and is also
// handed to the fleet, which writes it to etcd; a change from etcd (any instance's) comes in
// through `fromFleet` and is not written back.
import { LocalOverrides, type Target } from '../health/overrides.js';
import type { OverrideState } from '../health/state-file.js';

export type LocalSet = (target: Target, state: OverrideState | null, reason: string) => void;

export class FleetOverrides extends LocalOverrides {
  private local: LocalSet | null = null;

  /** Hear every change made through this instance (the fleet writes them to etcd). */
  onLocalSet(fn: LocalSet | null): void {
    this.local = fn;
  }

  override set(target: Target, state: OverrideState | null, reason = ''): Promise<void> {
    const done = super.set(target, state, reason);
    this.local?.(target, state, reason);
    return done;
  }

  /** A change from etcd: into this copy and its state file, not back to etcd. */
  fromFleet(target: Target, state: OverrideState | null, reason: string): Promise<void> {
    return super.set(target, state, reason);
  }
}
