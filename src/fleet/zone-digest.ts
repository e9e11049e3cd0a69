// What an instance says about the zones it serves, so instances serving different contents are
// found (docs/fleet.md#zone-drift): one hash of the whole loaded set, and each zone's SOA serial
// for the operator reading /status. The hash is over each zone's fingerprint (the canonical text
// the reloader already compares on reload), so formatting and comments do not count as drift.
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
}

export function digestZones(zones: readonly DigestedZone[]): ZoneDigest {
  const sorted = [...zones].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const h = createHash('sha256');
  for (const z of sorted) h.update(`${z.key}\0${z.fingerprint}\0`);
  const version = sorted
    .map((z) => {
      const r = z.soa.rdata[0];
      return `${z.origin}=${r && r.kind === 'soa' ? r.serial : '?'}`;
    })
    .join(' ');
  return { hash: h.digest('hex'), version };
}
