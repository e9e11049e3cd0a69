// From layers to verdicts: whether an address is given out and a site is available, and why.
// Layers, strongest first, for an address: its override (up | down | drain), a mark (down), its
// site's override `up`, then its probe verdict. A site is available when it is not drained (zone
// file, a drain mark, override `drain`), not forced down, and forced up or holding at least
// `min_healthy` up addresses (both families counted). Addresses nobody told the table about are
// up. Pure functions over the layers; the health table (src/health/table.ts) calls them and
// writes what they say into the verdict table (src/health/verdicts.ts).
import type { AddressProbe } from './probe-state.js';
import type { OverrideState } from './state-file.js';
import { capSeconds, nextFlipMs } from './ttl.js';
import type { AdminState, SiteState } from './types.js';
import { ADDRESS_DRAINED, ADDRESS_UP, SITE_AVAILABLE, SITE_DRAINED } from './verdicts.js';

/**
 * Marks beneath the overrides, never persisted: a site drained, an address held down. Tests
 * supply them (test/helpers/health.ts, the old setAdminStates and setAddress); the server has
 * none. `onChange` names what changed: a site, or an address of a site.
 */
export interface Marks {
  siteDrained(siteKey: string): boolean;
  addressDown(addressKey: string): boolean;
  /** Every site and address marked, for names no loaded zone has. */
  list(): readonly { zone: string; site: string; address: string | null }[];
  onChange(fn: (zone: string, site: string, address: string | null) => void): () => void;
}

/** What the verdicts are worked out from, looked up by key (zone/site, zone/site/address). */
export interface Layers {
  override(key: string): OverrideState | undefined;
  readonly marks: Marks | null;
  probe(addressKey: string): AddressProbe | undefined;
}

/** A site of the loaded zones, as the table keeps it. */
export interface SiteEntry {
  readonly zone: string;
  readonly site: string;
  readonly key: string;
  /** `state:` in the zone file. */
  state: AdminState;
  minHealthy: number;
  /** Address keys, in zone file order (IPv4 first, as compiled). */
  addresses: string[];
  available: boolean;
  /** As reported in transitions: unknown until it is available or every address has reported. */
  status: SiteState;
  /** The TTL cap in seconds; Infinity: none. */
  cap: number;
}

/** Is the address given out, after overrides and marks? */
export function addressUp(l: Layers, siteKey: string, addressKey: string): boolean {
  const o = l.override(addressKey);
  if (o === 'up') return true;
  if (o === 'down' || o === 'drain' || l.marks?.addressDown(addressKey)) return false;
  if (l.override(siteKey) === 'up') return true;
  const e = l.probe(addressKey);
  return !e || e.verdict === 'up';
}

export function addressBits(l: Layers, siteKey: string, addressKey: string): number {
  return (
    (addressUp(l, siteKey, addressKey) ? ADDRESS_UP : 0) |
    (l.override(addressKey) === 'drain' ? ADDRESS_DRAINED : 0)
  );
}

/** Drained, for a site the loaded zones do not have (no zone file state, no min_healthy). */
export function looseSiteBits(l: Layers, siteKey: string): number {
  const o = l.override(siteKey);
  const drained = l.marks?.siteDrained(siteKey) || o === 'drain';
  return (drained ? SITE_DRAINED : 0) | (!drained && o !== 'down' ? SITE_AVAILABLE : 0);
}

export function siteDrained(l: Layers, s: SiteEntry): boolean {
  return s.state === 'drain' || !!l.marks?.siteDrained(s.key) || l.override(s.key) === 'drain';
}

export function countUp(l: Layers, s: SiteEntry): number {
  let n = 0;
  for (const k of s.addresses) if (addressUp(l, s.key, k)) n++;
  return n;
}

/** Why it is available or not: `2 of 2 addresses up (min_healthy 1)`, `override drain`... */
export function siteReason(l: Layers, s: SiteEntry): string {
  const o = l.override(s.key);
  if (s.state === 'drain') return 'drained in the zone file';
  if (l.marks?.siteDrained(s.key)) return 'drained';
  if (o) return `override ${o}`;
  return `${countUp(l, s)} of ${s.addresses.length} addresses up (min_healthy ${s.minHealthy})`;
}

/**
 * A site's availability, status and TTL cap now. `fresh`: the site was just registered, so an
 * address yet to report keeps it unknown; otherwise it is unknown only while it already was.
 */
export function assessSite(
  l: Layers,
  s: SiteEntry,
  fresh: boolean,
): { available: boolean; status: SiteState; cap: number } {
  const o = l.override(s.key);
  const blocked =
    s.state === 'drain' || !!l.marks?.siteDrained(s.key) || o === 'drain' || o === 'down';
  const available = !blocked && (o === 'up' || countUp(l, s) >= s.minHealthy);
  const pinned = (k: string) => l.override(k) !== undefined || !!l.marks?.addressDown(k);
  // An address yet to report could still make it available: until then it is unknown.
  const pending =
    !available &&
    !blocked &&
    s.addresses.some((k) => l.probe(k)!.verdict === 'unknown' && !pinned(k));
  const status: SiteState = available
    ? 'available'
    : pending && (fresh || s.status === 'unknown')
      ? 'unknown'
      : 'unavailable';
  // Pinned by the operator: probes cannot move it, so nothing is near.
  let ms = Infinity;
  if (!o) for (const k of s.addresses) if (!pinned(k)) ms = Math.min(ms, nextFlipMs(l.probe(k)!));
  return { available, status, cap: capSeconds(ms) };
}

export function siteBits(l: Layers, s: SiteEntry): number {
  return (s.available ? SITE_AVAILABLE : 0) | (siteDrained(l, s) ? SITE_DRAINED : 0);
}
