import type { Location } from '../geoip/types.js';
import type { RData } from '../wire/rr.js';
import type { AdminState } from '../health/table.js';
import type { ProbeSpec } from '../health/spec.js';

/** One VIP of a site, compiled: its record data ready for answers. */
export interface SiteAddress {
  /** Canonical text (RFC 5952 for IPv6); also the key in the health table. */
  readonly address: string;
  readonly family: 4 | 6;
  readonly weight: number;
  readonly rdata: RData;
  /** Its health probe: its own `probe:`, else its site's, else `none` (docs/health.md). */
  readonly probe: ProbeSpec;
}

/** A datacenter site as declared under `sites:` in a zone file. Immutable after compile. */
export interface Site {
  readonly name: string;
  /** Index in the zone's site list; policies refer to sites by index at query time. */
  readonly index: number;
  readonly location: Location | null;
  readonly country: string | null;
  readonly continent: string | null;
  readonly subdivision: string | null;
  readonly weight: number;
  readonly state: AdminState;
  /** Up addresses (both families) the site needs to be available (docs/health.md). */
  readonly minHealthy: number;
  readonly v4: readonly SiteAddress[];
  readonly v6: readonly SiteAddress[];
  /** The site's own nameserver (`nameserver:`), which `steer: delegate` refers to; absent: none. */
  readonly nameserver?: SiteNameserver | null;
}

/**
 * A geosteer instance running inside a site (docs/delegation.md). Like an apex nameserver, a
 * name inside the zone carries its addresses (glue); one outside it carries none.
 */
export interface SiteNameserver {
  /** Absolute, as written, no trailing dot. */
  readonly name: string;
  /** A and AAAA record data, in the order written; empty for a name outside the zone. */
  readonly addresses: readonly RData[];
}

export function addressesOf(site: Site, family: 4 | 6): readonly SiteAddress[] {
  return family === 4 ? site.v4 : site.v6;
}
