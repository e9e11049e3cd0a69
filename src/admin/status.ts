// GET /status: one JSON document of everything an operator (or, later, the web status page and
// other instances) needs: what is served, every site and address with its health and why, the
// overrides, and the process. Built from the live zone set and the health table's snapshot; it
// holds only JSON values (no Maps, no undefined), and its field names are stable.
import type { AddressStatus, HealthSnapshot, SiteStatus } from '../health/snapshot.js';
import type { HealthTable } from '../health/table.js';
import type { Verdict } from '../health/types.js';
import type { OverrideState } from '../health/state-file.js';
import type { ProberStats } from '../health/prober.js';
import type { Site, SiteAddress } from '../policy/site.js';
import type { ZoneSet } from '../zone/zone-set.js';
import type { Zone } from '../zone/zone.js';
import { version } from '../base/version.js';

export interface StatusDocument {
  service: 'geosteer';
  version: string;
  node: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  /** The zone generation being served (1 at start, +1 per reload that changed something). */
  generation: number;
  /** The health table's version: it changes whenever anything that can change an answer does. */
  healthVersion: number;
  /** Where overrides are kept across restarts; null: they end with the process. */
  stateFile: string | null;
  probes: ProberStats;
  zones: ZoneStatus[];
  /** Every override in force, including any naming a site or address no zone has (yet). */
  overrides: OverrideView[];
}

export interface ZoneStatus {
  name: string;
  file: string;
  serial: number;
  /** The generation in which this zone's current content was loaded. */
  generation: number;
  sites: SiteView[];
}

export interface SiteView {
  name: string;
  /** `state:` in the zone file. */
  state: 'enabled' | 'drain';
  /** The manual override in force for the site, if any. */
  override: OverrideState | null;
  /** Drained: by the zone file or an override; out of answers even when failing open. */
  drained: boolean;
  available: boolean;
  /** Why it is available or not: `2 of 2 addresses up (min_healthy 1)`, `override drain`... */
  reason: string;
  minHealthy: number;
  upAddresses: number;
  /** Seconds answers holding this site may be cached, when health may soon change; else null. */
  ttlCap: number | null;
  addresses: AddressView[];
}

export interface AddressView {
  address: string;
  family: 4 | 6;
  weight: number;
  /** Given out, after overrides. */
  up: boolean;
  /** The probe's verdict: unknown until its first result. */
  verdict: Verdict;
  override: OverrideState | null;
  /** The probe, as a URL-like label (http://192.0.2.10:80/health), or `none`. */
  probe: string;
  /** The probe changed on reload and has not reported under its new settings yet. */
  provisional: boolean;
  /** How long the last probe took, in ms; null before the first. */
  latencyMs: number | null;
  lastResult: AddressStatus['lastResult'];
  lastTransition: AddressStatus['lastTransition'];
  lastError: AddressStatus['lastError'];
}

export interface OverrideView {
  zone: string;
  site: string;
  address: string | null;
  state: OverrideState;
  at: string;
  reason: string;
}

/**
 * The generation in which each zone's content was loaded: a reload that changes one zone moves
 * only that zone's generation.
 */
export class ZoneGenerations {
  private readonly seen = new Map<string, { fingerprint: string; generation: number }>();

  /** Note the zones of `set`; call with every generation installed, in order. */
  note(set: ZoneSet): void {
    const keep = new Set<string>();
    for (const z of set.zones) {
      keep.add(z.key);
      const s = this.seen.get(z.key);
      if (!s || s.fingerprint !== z.fingerprint)
        this.seen.set(z.key, { fingerprint: z.fingerprint, generation: set.generation });
    }
    for (const k of [...this.seen.keys()]) if (!keep.has(k)) this.seen.delete(k);
  }

  of(z: Zone, fallback: number): number {
    return this.seen.get(z.key)?.generation ?? fallback;
  }
}

export interface StatusInput {
  zones: ZoneSet;
  generations: ZoneGenerations;
  health: HealthTable;
  probes: ProberStats;
  stateFile: string | null;
  startedAt: number;
  now: number;
}

export function buildStatus(input: StatusInput): StatusDocument {
  const { zones, health } = input;
  input.generations.note(zones);
  const snap: HealthSnapshot = health.snapshot();
  const byKey = new Map<string, SiteStatus>();
  for (const z of snap.zones) for (const s of z.sites) byKey.set(`${z.zone}\u0000${s.site}`, s);
  return {
    service: 'geosteer',
    version: version(),
    node: process.version,
    pid: process.pid,
    startedAt: new Date(input.startedAt).toISOString(),
    uptimeSeconds: Math.round((input.now - input.startedAt) / 100) / 10,
    generation: zones.generation,
    healthVersion: snap.version,
    stateFile: input.stateFile,
    probes: input.probes,
    zones: zones.zones.map((z) => ({
      name: z.origin,
      file: z.file,
      serial: soaSerial(z),
      generation: input.generations.of(z, zones.generation),
      sites: [...z.sites.values()].map((s) =>
        siteView(z, s, byKey.get(`${z.origin}\u0000${s.name}`) ?? null, health),
      ),
    })),
    overrides: snap.overrides.map((o) => ({
      zone: o.zone,
      site: o.site,
      address: o.address,
      state: o.state,
      at: o.at,
      reason: o.reason,
    })),
  };
}

function soaSerial(z: Zone): number {
  const rd = z.soa.rdata[0];
  return rd && rd.kind === 'soa' ? rd.serial : 0;
}

/**
 * A site as the zone file declares it with its health. `st` is null only for a site the health
 * table was never told about (no prober ran): the table's answers for it are used directly.
 */
function siteView(z: Zone, s: Site, st: SiteStatus | null, health: HealthTable): SiteView {
  const statusOf = new Map((st?.addresses ?? []).map((a) => [a.address, a]));
  const addresses = [...s.v4, ...s.v6].map((a) =>
    addressView(z, s, a, statusOf.get(a.address), health),
  );
  const available =
    st?.available ?? (s.state === 'enabled' && health.siteAvailable(z.origin, s.name));
  const override = st?.override ?? health.getOverride({ zone: z.origin, site: s.name });
  const up = addresses.filter((a) => a.up).length;
  return {
    name: s.name,
    state: s.state,
    override,
    drained: st?.drained ?? (s.state === 'drain' || health.siteDrained(z.origin, s.name)),
    available,
    reason:
      st?.reason ??
      (s.state === 'drain'
        ? 'drained in the zone file'
        : override
          ? `override ${override}`
          : `${up} of ${addresses.length} addresses up (min_healthy ${s.minHealthy})`),
    minHealthy: st?.minHealthy ?? s.minHealthy,
    upAddresses: st?.upAddresses ?? up,
    ttlCap: st?.ttlCap ?? null,
    addresses,
  };
}

function addressView(
  z: Zone,
  s: Site,
  a: SiteAddress,
  st: AddressStatus | undefined,
  health: HealthTable,
): AddressView {
  return {
    address: a.address,
    family: a.family,
    weight: a.weight,
    up: st?.up ?? health.addressUp(z.origin, s.name, a.address),
    verdict: st?.verdict ?? 'up',
    override:
      st?.override ?? health.getOverride({ zone: z.origin, site: s.name, address: a.address }),
    probe: st?.probe ?? 'none',
    provisional: st?.provisional ?? false,
    latencyMs: st?.lastResult?.latencyMs ?? null,
    lastResult: st?.lastResult ?? null,
    lastTransition: st?.lastTransition ?? null,
    lastError: st?.lastError ?? null,
  };
}
