// The /status snapshot: everything the health table knows, as JSON-able data with ISO times.
// Built on request from the table's layers (src/health/availability.ts), never on the answer path.
import {
  addressUp,
  countUp,
  siteDrained,
  siteReason,
  type Layers,
  type SiteEntry,
} from './availability.js';
import type { OverrideRecord, OverrideState } from './state-file.js';
import type { SiteState, Verdict } from './types.js';

export interface AddressStatus {
  address: string;
  /** The probe's label, or `none`. */
  probe: string;
  verdict: Verdict;
  /** Given out, after overrides. */
  up: boolean;
  override: OverrideState | null;
  /** The probe changed on reload and has not reported under its new settings yet. */
  provisional: boolean;
  successes: number;
  failures: number;
  rise: number | null;
  fall: number | null;
  intervalMs: number | null;
  timeoutMs: number | null;
  lastResult: { ok: boolean; reason: string; latencyMs: number; at: string } | null;
  lastError: { reason: string; at: string } | null;
  lastTransition: { from: Verdict; to: Verdict; reason: string; at: string } | null;
}

export interface SiteStatus {
  zone: string;
  site: string;
  available: boolean;
  /** As in transitions: unknown until it is available or every address has reported. */
  status: SiteState;
  /** Why it is available or not: `2 of 2 addresses up (min_healthy 1)`, `override drain`... */
  reason: string;
  drained: boolean;
  override: OverrideState | null;
  minHealthy: number;
  upAddresses: number;
  /** The TTL cap in seconds for answers holding this site, or null when none applies. */
  ttlCap: number | null;
  addresses: AddressStatus[];
}

/** JSON-able state of everything the table tracks, for /status. */
export interface HealthSnapshot {
  version: number;
  at: string;
  zones: { zone: string; sites: SiteStatus[] }[];
  /** Every override, including those naming sites or addresses no loaded zone has (yet). */
  overrides: (Omit<OverrideRecord, 'at'> & { at: string })[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function addressStatus(l: Layers, s: SiteEntry, k: string): AddressStatus {
  const e = l.probe(k)!;
  const p = e.probe.type === 'none' ? null : e.probe;
  return {
    address: e.address,
    probe: e.label,
    verdict: e.verdict,
    up: addressUp(l, s.key, k),
    override: l.override(k) ?? null,
    provisional: e.provisional,
    successes: e.successes,
    failures: e.failures,
    rise: p?.rise ?? null,
    fall: p?.fall ?? null,
    intervalMs: p?.intervalMs ?? null,
    timeoutMs: p?.timeoutMs ?? null,
    lastResult: e.lastResult && { ...e.lastResult, at: iso(e.lastResult.at) },
    lastError: e.lastError && { ...e.lastError, at: iso(e.lastError.at) },
    lastTransition: e.lastTransition && { ...e.lastTransition, at: iso(e.lastTransition.at) },
  };
}

/** The snapshot of these sites (in order, grouped by zone) and every override, at `now`. */
export function buildSnapshot(
  l: Layers,
  sites: Iterable<SiteEntry>,
  overrides: readonly OverrideRecord[],
  version: number,
  now: number,
): HealthSnapshot {
  const zones = new Map<string, SiteStatus[]>();
  for (const s of sites) {
    const addresses = s.addresses.map((k) => addressStatus(l, s, k));
    const list = zones.get(s.zone) ?? [];
    zones.set(s.zone, list);
    list.push({
      zone: s.zone,
      site: s.site,
      available: s.available,
      status: s.status,
      reason: siteReason(l, s),
      drained: siteDrained(l, s),
      override: l.override(s.key) ?? null,
      minHealthy: s.minHealthy,
      upAddresses: countUp(l, s),
      ttlCap: s.cap === Infinity ? null : s.cap,
      addresses,
    });
  }
  return {
    version,
    at: iso(now),
    zones: [...zones].map(([zone, sites]) => ({ zone, sites })),
    overrides: overrides.map((o) => ({ ...o, at: iso(o.at) })),
  };
}
