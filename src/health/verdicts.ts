// The verdict table: what the answer path reads, and nothing else. Every answer-time question is
// one Map lookup (a stable name to a slot) and one read of a flat typed array, so reading is cheap
// and the storage can later live in a SharedArrayBuffer that answer threads read. Only the main
// thread writes (src/health/table.ts works out the verdicts from probes, overrides and drains);
// after a batch of writes it commits, which moves `version` and tells the listeners.
//
// Keys are stable names (zone/site, zone/site/address), so state survives reloads. Names no loaded
// zone has (an override set before its zone loads, tools and tests without a prober) live in two
// small maps beside the arrays; a name in neither is available (site) or up (address): a table
// without probes answers as before probes existed. See docs/health.md.

/**
 * What the answer path reads. Every method is synchronous and cheap; `decide` reads them once per
 * health version (see the survey in src/policy/decide.ts), not once per query.
 */
export interface HealthView {
  /** Changes whenever anything that can change an answer changes; caches of decisions key on it. */
  readonly version: number;
  /** Not drained, not forced down, and at least min_healthy addresses up (or forced up). */
  siteAvailable(zone: string, site: string): boolean;
  addressUp(zone: string, site: string, address: string): boolean;
  /** Drained (zone file, override drain, or a test's drain mark): out even when failing open. */
  siteDrained(zone: string, site: string): boolean;
  /** An address override `drain`: out even when failing open. */
  addressDrained(zone: string, site: string, address: string): boolean;
  /** Most seconds an answer holding this site may be cached (TTL near trouble); Infinity: no cap. */
  ttlCap(zone: string, site: string): number;
}

export const siteKey = (zone: string, site: string): string => `${zone}/${site}`;
export const addressKey = (zone: string, site: string, address: string): string =>
  `${zone}/${site}/${address}`;

/** Bits of a site's slot. */
export const SITE_AVAILABLE = 1;
export const SITE_DRAINED = 2;
/** Bits of an address's slot. */
export const ADDRESS_UP = 1;
export const ADDRESS_DRAINED = 2;

/** A site's slot and its addresses' slots, in zone file order, as `layout` installs them. */
export interface SiteLayout {
  readonly key: string;
  readonly addresses: readonly string[];
}

export class VerdictTable implements HealthView {
  private v = 0;
  private siteIndex = new Map<string, number>();
  private addressIndex = new Map<string, number>();
  private siteBits = new Uint8Array(0);
  private siteCaps = new Float64Array(0);
  private addressBits = new Uint8Array(0);
  private readonly looseSites = new Map<string, number>();
  private readonly looseAddresses = new Map<string, number>();
  private readonly listeners = new Set<(version: number) => void>();

  get version(): number {
    return this.v;
  }

  siteAvailable(zone: string, site: string): boolean {
    return (this.site(siteKey(zone, site)) & SITE_AVAILABLE) !== 0;
  }

  siteDrained(zone: string, site: string): boolean {
    return (this.site(siteKey(zone, site)) & SITE_DRAINED) !== 0;
  }

  addressUp(zone: string, site: string, address: string): boolean {
    return (this.address(addressKey(zone, site, address)) & ADDRESS_UP) !== 0;
  }

  addressDrained(zone: string, site: string, address: string): boolean {
    return (this.address(addressKey(zone, site, address)) & ADDRESS_DRAINED) !== 0;
  }

  ttlCap(zone: string, site: string): number {
    const i = this.siteIndex.get(siteKey(zone, site));
    return i === undefined ? Infinity : this.siteCaps[i]!;
  }

  /** Is this key a slot of the loaded zones (as opposed to a loose name)? */
  hasSite(key: string): boolean {
    return this.siteIndex.has(key);
  }

  hasAddress(key: string): boolean {
    return this.addressIndex.has(key);
  }

  // -------------------------------------------------------------------------------------------
  // Writing (the main thread only). Writes are visible at once; `commit` marks them as a change.

  /**
   * Give every site and address of the loaded zones a slot, keeping the bits of names that stay;
   * new slots start unavailable / not up until written. Forgets loose names (write them again).
   */
  layout(sites: readonly SiteLayout[]): void {
    const oldSites = this.siteIndex;
    const oldAddresses = this.addressIndex;
    const oldSiteBits = this.siteBits;
    const oldCaps = this.siteCaps;
    const oldAddressBits = this.addressBits;
    this.siteIndex = new Map();
    this.addressIndex = new Map();
    for (const s of sites) {
      this.siteIndex.set(s.key, this.siteIndex.size);
      for (const a of s.addresses) this.addressIndex.set(a, this.addressIndex.size);
    }
    this.siteBits = new Uint8Array(this.siteIndex.size);
    this.siteCaps = new Float64Array(this.siteIndex.size).fill(Infinity);
    this.addressBits = new Uint8Array(this.addressIndex.size);
    for (const [k, i] of this.siteIndex) {
      const o = oldSites.get(k);
      if (o === undefined) continue;
      this.siteBits[i] = oldSiteBits[o]!;
      this.siteCaps[i] = oldCaps[o]!;
    }
    for (const [k, i] of this.addressIndex) {
      const o = oldAddresses.get(k);
      if (o !== undefined) this.addressBits[i] = oldAddressBits[o]!;
    }
    this.looseSites.clear();
    this.looseAddresses.clear();
  }

  /** A site's verdict: a slot when laid out, else a loose name (dropped when it is the default). */
  writeSite(key: string, bits: number, cap = Infinity): void {
    const i = this.siteIndex.get(key);
    if (i !== undefined) {
      this.siteBits[i] = bits;
      this.siteCaps[i] = cap;
    } else if (bits === SITE_AVAILABLE) this.looseSites.delete(key);
    else this.looseSites.set(key, bits);
  }

  writeAddress(key: string, bits: number): void {
    const i = this.addressIndex.get(key);
    if (i !== undefined) this.addressBits[i] = bits;
    else if (bits === ADDRESS_UP) this.looseAddresses.delete(key);
    else this.looseAddresses.set(key, bits);
  }

  /** Mark what was written as one change: `version` moves and the listeners hear of it. */
  commit(): void {
    this.v++;
    for (const fn of this.listeners)
      try {
        fn(this.v);
      } catch {
        // A failing listener must not stop verdicts from being published.
      }
  }

  /** Call `fn` with the new version after every commit; returns the function that stops it. */
  onChange(fn: (version: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private site(key: string): number {
    const i = this.siteIndex.get(key);
    return i === undefined ? (this.looseSites.get(key) ?? SITE_AVAILABLE) : this.siteBits[i]!;
  }

  private address(key: string): number {
    const i = this.addressIndex.get(key);
    return i === undefined ? (this.looseAddresses.get(key) ?? ADDRESS_UP) : this.addressBits[i]!;
  }
}
