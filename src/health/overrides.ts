// Manual overrides (drain, force up, force down) behind a small store interface, so the health
// table does not care where they come from: this process's admin API and state file
// (LocalOverrides, below), or another source a fleet shares. A store tells its listeners of every
// change, in batches (a state file read at start is one batch), synchronously, before the promise
// of the write that made it settles: an override takes effect at once, and is durable when the
// promise settles.
import {
  readStateFile,
  writeStateFile,
  type OverrideRecord,
  type OverrideState,
} from './state-file.js';

export type { OverrideRecord, OverrideState };

/** A site, or one address of a site (address given). */
export interface Target {
  readonly zone: string;
  readonly site: string;
  readonly address?: string | null;
}

/** One override set, replaced or cleared. */
export interface OverrideChange {
  readonly zone: string;
  readonly site: string;
  readonly address: string | null;
  readonly from: OverrideState | null;
  readonly to: OverrideState | null;
  /** For the transition log: the reason given, or where the change came from. */
  readonly reason: string;
}

export interface OverrideStore {
  /** The override on this site or address, if any (the target as given; no case folding). */
  get(target: Target): OverrideRecord | undefined;
  list(): OverrideRecord[];
  /** Set (or with state null, clear) an override; settles when it is durable. */
  set(target: Target, state: OverrideState | null, reason?: string): Promise<void>;
  clear(target: Target): Promise<void>;
  /** Settles when every write so far is durable. */
  flush(): Promise<void>;
  /** Call `fn` on every batch of changes; returns the function that stops it. */
  onChange(fn: (changes: readonly OverrideChange[]) => void): () => void;
}

export const overrideKey = (t: Target): string =>
  t.address ? `${t.zone}/${t.site}/${t.address}` : `${t.zone}/${t.site}`;

/**
 * The overrides of this process, kept in memory and, once `useStateFile` is called, in the state
 * file (src/health/state-file.ts): every change rewrites it, one write at a time.
 */
export class LocalOverrides implements OverrideStore {
  private readonly byKey = new Map<string, OverrideRecord>();
  private readonly listeners = new Set<(changes: readonly OverrideChange[]) => void>();
  private stateFile: string | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly now: () => number = Date.now) {}

  get(target: Target): OverrideRecord | undefined {
    return this.byKey.get(overrideKey(target));
  }

  list(): OverrideRecord[] {
    return [...this.byKey.values()];
  }

  /**
   * Takes effect at once, before the returned promise settles; the promise settles when the state
   * file has the change (it rejects when writing failed: the override then holds until the
   * process exits, no longer). Setting the state it already has changes nothing but is saved.
   */
  set(target: Target, state: OverrideState | null, reason = ''): Promise<void> {
    const address = target.address ?? null;
    const k = overrideKey(target);
    const prev = this.byKey.get(k);
    if ((prev?.state ?? null) === state) return this.persist();
    if (state === null) this.byKey.delete(k);
    else
      this.byKey.set(k, {
        zone: target.zone,
        site: target.site,
        address,
        state,
        at: this.now(),
        reason,
      });
    const from = prev?.state ?? null;
    this.emit([{ zone: target.zone, site: target.site, address, from, to: state, reason }]);
    return this.persist();
  }

  clear(target: Target): Promise<void> {
    return this.set(target, null);
  }

  /**
   * Read the overrides saved in `path` and save every later change there. Called once at start,
   * before the first probe round. Throws when the file exists but cannot be read or is damaged.
   */
  async useStateFile(path: string): Promise<void> {
    const saved = await readStateFile(path);
    this.stateFile = path;
    const changes: OverrideChange[] = [];
    for (const o of saved) {
      const k = overrideKey(o);
      const prev = this.byKey.get(k);
      this.byKey.set(k, o);
      changes.push({
        zone: o.zone,
        site: o.site,
        address: o.address,
        from: prev?.state ?? null,
        to: o.state,
        reason: `from state file${o.reason ? `: ${o.reason}` : ''}`,
      });
    }
    if (changes.length) this.emit(changes);
  }

  flush(): Promise<void> {
    return this.writing;
  }

  onChange(fn: (changes: readonly OverrideChange[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(changes: readonly OverrideChange[]): void {
    for (const fn of this.listeners) fn(changes);
  }

  private persist(): Promise<void> {
    const path = this.stateFile;
    if (path === null) return Promise.resolve();
    // Writes run one at a time, each saving the overrides as they are when it starts.
    const run = this.writing.catch(() => {}).then(() => writeStateFile(path, this.list()));
    this.writing = run.catch(() => {});
    return run;
  }
}
