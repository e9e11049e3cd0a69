// What the fleet shows: /status's `fleet` section, `geosteer fleet status` and the metrics all read
// this one shape. Per address: each vantage point's verdict and the rule's result; per instance:
// its zone digest, and whether it differs from this instance's (zone drift).
import type { HealthSnapshot, Transition } from '../health/table.js';
import type { Verdict, VerdictSource } from '../health/types.js';
import type { FleetConfig } from './config.js';
import { byName, type InstanceRecord, type StoredOverride } from './keys.js';
import { type ZoneDigest, zoneDrift } from './zone-digest.js';

/** What the fleet needs of the health table (src/health/table.ts's HealthTable is one). */
export interface FleetHealth {
  snapshot(): HealthSnapshot;
  onTransition(fn: (t: Transition) => void): () => void;
  /** This instance's own probe verdict of an address; null when not probed. */
  ownVerdict(zone: string, site: string, address: string): Verdict | null;
  /** Let `source` decide each address's verdict from this instance's own (null: own decides). */
  useVerdictSource(source: VerdictSource | null): void;
  /** The source's answers may have changed: recompute sites and bump the version. */
  verdictsChanged(): void;
}

export interface AddressVotes {
  zone: string;
  site: string;
  address: string;
  /** Instance name -> verdict, this instance's own included. */
  votes: Record<string, Verdict>;
  /** The rule's result (this instance's own verdict while etcd is unreachable). */
  fleet: Verdict;
  /** Not every vote agrees. */
  disagreement: boolean;
  /** With probes_per_target: the instances that probe it (the others vote unknown). */
  probers?: readonly string[];
}

export interface InstanceStatus extends InstanceRecord {
  self: boolean;
  /** Zones this instance serves too, with other contents (zone keys); empty: no drift. */
  drift: string[];
}

export interface FleetStatus {
  name: string;
  connected: boolean;
  rule: string;
  leaseTtl: number;
  endpoints: readonly string[];
  prefix: string;
  zonesHash: string;
  zonesVersion: string;
  resyncs: number;
  /** probes_per_target, or null: every instance probes every address. */
  probesPerTarget: number | null;
  instances: InstanceStatus[];
  /** Names of live instances serving a zone this instance serves, with other contents. */
  drift: string[];
  addresses: AddressVotes[];
  overrides: (StoredOverride & { key: string })[];
}

/** The parts of a Fleet this reads (kept structural so status.ts does not import fleet.ts). */
interface FleetParts {
  readonly name: string;
  readonly connected: boolean;
  readonly resyncs: number;
  readonly instances: ReadonlyMap<string, InstanceRecord>;
  readonly votes: ReadonlyMap<string, ReadonlyMap<string, Verdict>>;
  readonly overrides: { readonly stored: ReadonlyMap<string, StoredOverride> };
  readonly assignment: { probers(address: string): readonly string[] } | null;
  verdict(zone: string, site: string, address: string, own: Verdict): Verdict;
}

export function fleetStatus(
  f: FleetParts,
  cfg: FleetConfig,
  rule: string,
  digest: ZoneDigest,
  health: FleetHealth,
): FleetStatus {
  const instances = [...f.instances.values()]
    .map((i) => ({ ...i, self: i.name === f.name, drift: zoneDrift(digest.zones, i.zones) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const addresses: AddressVotes[] = [];
  for (const z of health.snapshot().zones)
    for (const s of z.sites)
      for (const a of s.addresses) {
        if (a.probe === 'none') continue;
        const list: [string, Verdict][] = [[f.name, a.verdict]];
        if (f.connected)
          for (const [name, v] of f.votes.get(`${s.zone}/${s.site}/${a.address}`) ?? [])
            if (f.instances.has(name)) list.push([name, v]);
        const votes = byName(list);
        // `unknown` abstains: only up against down is a disagreement.
        const distinct = new Set(Object.values(votes).filter((v) => v !== 'unknown'));
        addresses.push({
          zone: s.zone,
          site: s.site,
          address: a.address,
          votes,
          fleet: f.verdict(s.zone, s.site, a.address, a.verdict),
          disagreement: distinct.size > 1,
          ...(f.assignment
            ? { probers: f.assignment.probers(`${s.zone}/${s.site}/${a.address}`) }
            : {}),
        });
      }
  return {
    name: f.name,
    connected: f.connected,
    rule,
    leaseTtl: cfg.leaseTtl,
    endpoints: cfg.endpoints,
    prefix: cfg.prefix,
    zonesHash: digest.hash,
    zonesVersion: digest.version,
    resyncs: f.resyncs,
    probesPerTarget: cfg.probesPerTarget,
    instances,
    drift: instances.filter((i) => i.drift.length > 0).map((i) => i.name),
    addresses,
    overrides: [...f.overrides.stored].map(([key, o]) => ({ key, ...o })),
  };
}
