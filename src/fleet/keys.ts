// Where fleet state lives in etcd, under the configured prefix (docs/fleet.md#keys), and how each
// value is written. Everything is JSON or a bare verdict, readable with `etcdctl get --prefix`.
//
//   <prefix>instances/<name>                       under the instance's lease: InstanceRecord
//   <prefix>verdicts/<name>/<zone>/<site>/<addr>   under the instance's lease: up | down | unknown
//   <prefix>overrides/<zone>/<site>[/<addr>]       no lease (kept until cleared): StoredOverride
//   <prefix>last-change                            the last override change, in the same txn
import type { OverrideState } from '../health/state-file.js';
import type { Verdict } from '../health/types.js';

export interface InstanceRecord {
  readonly name: string;
  /** SHA-256 of the loaded zone set (docs/fleet.md#zone-drift). */
  readonly zonesHash: string;
  /** The zones' SOA serials, `origin=serial` joined by spaces, as an operator compares them. */
  readonly zonesVersion: string;
  /** Per zone: key -> hash (zone-digest.ts). */
  readonly zones: Readonly<Record<string, string>>;
  readonly startedAt: string;
  readonly leaseTtl: number;
  readonly rule: string;
}

/** An override as etcd holds it: who set it, when and why travel with it. */
export interface StoredOverride {
  readonly state: OverrideState;
  /** ISO time it was set. */
  readonly at: string;
  readonly reason: string;
  /** The instance whose admin API (or the CLI, `cli@host`) set it. */
  readonly by: string;
}

export type FleetKey =
  | { kind: 'instance'; name: string }
  | { kind: 'verdict'; name: string; zone: string; site: string; address: string }
  | { kind: 'override'; zone: string; site: string; address: string | null };

export class KeyLayout {
  constructor(readonly prefix: string) {}

  instance(name: string): string {
    return `${this.prefix}instances/${name}`;
  }
  verdict(name: string, zone: string, site: string, address: string): string {
    return `${this.prefix}verdicts/${name}/${zone}/${site}/${address}`;
  }
  verdictsOf(name: string): string {
    return `${this.prefix}verdicts/${name}/`;
  }
  override(zone: string, site: string, address: string | null): string {
    return `${this.prefix}overrides/${zone}/${site}${address === null ? '' : `/${address}`}`;
  }
  get overrides(): string {
    return `${this.prefix}overrides/`;
  }
  get lastChange(): string {
    return `${this.prefix}last-change`;
  }

  /** What a key under the prefix names; null for keys geosteer does not read. */
  parse(key: string): FleetKey | null {
    if (!key.startsWith(this.prefix)) return null;
    const parts = key.slice(this.prefix.length).split('/');
    if (parts[0] === 'instances' && parts.length === 2 && parts[1])
      return { kind: 'instance', name: parts[1] };
    if (parts[0] === 'verdicts' && parts.length === 5 && parts.every(Boolean))
      return {
        kind: 'verdict',
        name: parts[1]!,
        zone: parts[2]!,
        site: parts[3]!,
        address: parts[4]!,
      };
    if (
      parts[0] === 'overrides' &&
      (parts.length === 3 || parts.length === 4) &&
      parts.every(Boolean)
    )
      return { kind: 'override', zone: parts[1]!, site: parts[2]!, address: parts[3] ?? null };
    return null;
  }
}

/** Votes keyed by instance name, in name order (so /status, explain and the CLI read alike). */
export function byName<T>(votes: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...votes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function parseVerdict(text: string): Verdict | null {
  return text === 'up' || text === 'down' || text === 'unknown' ? text : null;
}

export function parseInstance(text: string): InstanceRecord | null {
  try {
    const v = JSON.parse(text) as Partial<InstanceRecord> | null;
    if (!v || typeof v.name !== 'string' || typeof v.zonesHash !== 'string') return null;
    return {
      name: v.name,
      zonesHash: v.zonesHash,
      zonesVersion: typeof v.zonesVersion === 'string' ? v.zonesVersion : '',
      zones: v.zones && typeof v.zones === 'object' ? v.zones : {},
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : '',
      leaseTtl: typeof v.leaseTtl === 'number' ? v.leaseTtl : 0,
      rule: typeof v.rule === 'string' ? v.rule : '',
    };
  } catch {
    return null;
  }
}

/** A stored override, or null when someone wrote something else there (it is then ignored). */
export function parseOverride(text: string): StoredOverride | null {
  try {
    const v = JSON.parse(text) as Partial<StoredOverride> | null;
    if (!v || (v.state !== 'up' && v.state !== 'down' && v.state !== 'drain')) return null;
    return {
      state: v.state,
      at: typeof v.at === 'string' ? v.at : '',
      reason: typeof v.reason === 'string' ? v.reason : '',
      by: typeof v.by === 'string' ? v.by : '',
    };
  } catch {
    return null;
  }
}
