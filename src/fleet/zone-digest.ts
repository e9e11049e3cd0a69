// What an instance says about the zones it serves, so instances serving different contents are
// found (docs/fleet.md#zone-drift): a hash per zone, one of the whole set, and each zone's SOA
// serial for the operator reading /status. Hashes are over each zone's fingerprint (the canonical
// text the reloader already compares on reload), so formatting and comments are not drift. Drift
// is judged per zone both instances serve: a site's nameserver (--site) also serves its child
// zone, and that is not drift from an instance that does not.
import { createHash } from 'node:crypto';
import type { RRset } from '../wire/rr.js';

/** What the digest reads of a compiled zone (src/zone/zone.ts's Zone satisfies it). */
export interface DigestedZone {
  readonly origin: string;
  readonly key: string;
  readonly fingerprint: string;
  readonly soa: RRset;
}

export interface ZoneDigest {
  /** SHA-256, hex, of every zone's key and fingerprint in key order. */
  readonly hash: string;
  /** `origin=serial` for each zone, in key order, joined by spaces. */
  readonly version: string;
  /** Zone key -> the first 16 hex digits of the SHA-256 of its fingerprint. */
  readonly zones: Readonly<Record<string, string>>;
}

/** The zones two instances both serve whose contents differ, by key; empty: no drift. */
export function zoneDrift(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): string[] {
  return Object.keys(a)
    .filter((k) => k in b && a[k] !== b[k])
    .sort();
}

export function digestZones(zones: readonly DigestedZone[]): ZoneDigest {
  const sorted = [...zones].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const h = createHash('sha256');
  const perZone: Record<string, string> = {};
  for (const z of sorted) {
    h.update(`${z.key}\0${z.fingerprint}\0`);
    perZone[z.key] = createHash('sha256').update(z.fingerprint).digest('hex').slice(0, 16);
  }
  const version = sorted
    .map((z) => {
      const r = z.soa.rdata[0];
      return `${z.origin}=${r && r.kind === 'soa' ? r.serial : '?'}`;
    })
    .join(' ');
  return { hash: h.digest('hex'), version, zones: perZone };
}
