// The GeoLocator geosteer serves with, from opened parts: overrides first, then the databases in
// order, then the configured default location, else 'none'. Results are cached per client
// network. Watching and reopening the files is src/geoip/locator.ts's (WatchedGeoLocator).
import {
  familyBits,
  familyOf,
  isIpv4Mapped,
  lookupText,
  networkText,
  truncate,
  type Family,
} from '../base/address.js';
import { silentLogger, type Logger } from '../base/log.js';
import { DEFAULT_WIDEN_LOOKUPS_PER_SECOND, LookupBudget, WIDEN_BUDGET } from './budget.js';
import type { DefaultLocation } from './config.js';
import { continentOf } from './countries.js';
import type { DatabaseInfo, MmdbDatabase, Place } from './database.js';
import { narrowPrefix, OverrideSet, type Override } from './override-set.js';
import type { GeoLocator, GeoResult, GeoSource, Location } from './types.js';

export interface LocatorParts {
  databases: readonly MmdbDatabase[];
  overrides?: OverrideSet;
  defaultLocation?: DefaultLocation | null;
  cacheSize?: number;
  /** Scope-widening lookups per second (geoip.widen_lookups_per_second); 0: no widening. */
  widenLookupsPerSecond?: number;
  /** The budget's clock, in milliseconds (tests). */
  now?: () => number;
  logger?: Logger;
}

/** A locator's data and settings as posted to another thread (GeoIpLocator.share). */
export interface GeoShare {
  readonly databases: readonly { readonly file: string; readonly bytes: Uint8Array }[];
  readonly overrides: { readonly file: string | null; readonly entries: readonly Override[] };
  readonly defaultLocation: DefaultLocation | null;
  readonly cacheSize: number;
  readonly widenLookupsPerSecond: number;
}

const NOT_LOCATED = {
  location: null,
  country: null,
  continent: null,
  subdivision: null,
  site: null,
};

/**
 * Serves GeoLocator from opened parts. `openGeoLocator` builds one from config and watches the
 * files; tests and tools can build one from parts directly.
 */
export class GeoIpLocator implements GeoLocator {
  private versionNo = 0;
  protected dbs: readonly MmdbDatabase[];
  protected ovr: OverrideSet;
  private readonly defaultLocation: DefaultLocation | null;
  private readonly cacheSize: number;
  // Keyed by the client network: a number for IPv4 (address * 64 + prefix), text for IPv6.
  // Insertion order is eviction order: when full, the oldest entry goes (no LRU bookkeeping per hit).
  private readonly cache = new Map<number | string, GeoResult>();
  /** Databases that threw during a lookup; logged once each. */
  private readonly broken = new WeakSet<MmdbDatabase>();
  protected readonly logger: Logger;
  readonly widening: LookupBudget;
  private readonly widenRate: number;

  constructor(parts: LocatorParts) {
    this.widenRate = parts.widenLookupsPerSecond ?? DEFAULT_WIDEN_LOOKUPS_PER_SECOND;
    this.widening = new LookupBudget(this.widenRate, WIDEN_BUDGET, parts.now);
    this.dbs = parts.databases;
    this.ovr = parts.overrides ?? OverrideSet.EMPTY;
    this.defaultLocation = parts.defaultLocation ?? null;
    this.cacheSize = parts.cacheSize ?? 65_536;
    this.logger = parts.logger ?? silentLogger();
  }

  get version(): number {
    return this.versionNo;
  }

  get databases(): DatabaseInfo[] {
    return this.dbs.map((d) => d.info);
  }

  get overrides(): OverrideSet {
    return this.ovr;
  }

  /**
   * What another thread needs to locate as this locator does, over the same database memory (the
   * bytes sit on SharedArrayBuffers: posting them shares, never copies). See src/geoip/shared.ts.
   */
  share(): GeoShare {
    return {
      databases: this.dbs.map((d) => ({ file: d.file, bytes: d.bytes })),
      overrides: { file: this.ovr.file, entries: this.ovr.entries },
      defaultLocation: this.defaultLocation,
      cacheSize: this.cacheSize,
      widenLookupsPerSecond: this.widenRate,
    };
  }

  /** Swap in new data (a reopened file): the cache is dropped and `version` bumped. */
  protected replace(dbs: readonly MmdbDatabase[], overrides: OverrideSet): void {
    this.dbs = dbs;
    this.ovr = overrides;
    this.cache.clear();
    this.versionNo++;
  }

  locate(address: Uint8Array, prefix: number): GeoResult {
    const family = familyOf(address);
    if (family === null) return unlocated(6, 0, null);
    const bits = familyBits(family);
    const p = Math.max(0, Math.min(bits, Math.trunc(prefix) || 0));
    const key = cacheKey(address, family, p);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const result = this.compute(truncate(address, p), family, p);
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, result);
    }
    return result;
  }

  locateUncached(address: Uint8Array, prefix: number): GeoResult {
    const family = familyOf(address);
    if (family === null) return unlocated(6, 0, null);
    const p = Math.max(0, Math.min(familyBits(family), Math.trunc(prefix) || 0));
    return this.compute(truncate(address, p), family, p);
  }

  private compute(address: Uint8Array, family: Family, prefix: number): GeoResult {
    // RFC 4291 2.5.5.2: an IPv4-mapped client is located as the IPv4 address it carries; the
    // answer is stated back in IPv6 terms (::ffff:a.b.c.d/96+n).
    if (family === 6 && prefix >= 96 && isIpv4Mapped(address)) {
      const r = this.compute(address.slice(12), 4, prefix - 96);
      const len = r.prefixLength + 96;
      const net = new Uint8Array(16);
      net[10] = net[11] = 0xff;
      net.set(truncate(address, len).subarray(12), 12);
      return Object.freeze({ ...r, prefixLength: len, network: networkText(net, len) });
    }
    const m = this.ovr.match(address);
    if (m.override) {
      const len = narrowPrefix(m.depth, m.branch);
      return fromOverride(m.override, address, len);
    }
    const bits = familyBits(family);
    let dbPrefix = 0;
    let place: Place | null = null;
    let db: MmdbDatabase | null = null;
    for (const d of this.dbs) {
      // IPv6 files hold IPv4 too (at ::/96); IPv4 files hold nothing for IPv6 clients.
      if (family === 6 && d.ipVersion === 4) continue;
      let found: Place | null;
      let len: number;
      try {
        ({ place: found, prefix: len } = d.lookup(address));
      } catch (e) {
        this.lookupFailed(d, address, e as Error);
        // Unknown extent: hold the answer for this address only.
        found = null;
        len = bits;
      }
      // No record from the earlier files within their /len, this file's answer within its /len:
      // the answer holds on the longer of the two.
      dbPrefix = Math.max(dbPrefix, len);
      if (found) {
        place = found;
        db = d;
        break;
      }
    }
    const len = narrowPrefix(dbPrefix, m.branch);
    if (place && db) {
      const origin = place.locationFromCountry ? `${db.origin} (country point)` : db.origin;
      return located('database', address, len, origin, place, null);
    }
    const dl = this.defaultLocation;
    if (dl) {
      const place: Place = {
        country: dl.country,
        continent: continentOf(dl.country),
        subdivision: null,
        location: { lat: dl.lat, lon: dl.lon },
        locationFromCountry: false,
      };
      return located('default', address, len, 'geoip.default_location', place, null);
    }
    return unlocated(family, len, address);
  }

  private lookupFailed(d: MmdbDatabase, address: Uint8Array, e: Error): void {
    if (this.broken.has(d)) return;
    this.broken.add(d);
    this.logger.error(
      { file: d.file, address: lookupText(address), err: e.message },
      'geoip database lookup failed (corrupt file?); treating its answers as unknown',
    );
  }
}

function cacheKey(address: Uint8Array, family: Family, prefix: number): number | string {
  if (family === 4) {
    const a = ((address[0]! << 24) | (address[1]! << 16) | (address[2]! << 8) | address[3]!) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return ((a & mask) >>> 0) * 64 + prefix;
  }
  return `${lookupText(truncate(address, prefix))}/${prefix}`;
}

function located(
  source: GeoSource,
  address: Uint8Array,
  len: number,
  origin: string,
  place: Place,
  site: string | null,
): GeoResult {
  return Object.freeze({
    source,
    location: place.location ? Object.freeze({ ...place.location }) : null,
    country: place.country,
    continent: place.continent,
    subdivision: place.subdivision,
    site,
    prefixLength: len,
    network: networkText(address, len),
    origin,
  });
}

function fromOverride(o: Override, address: Uint8Array, len: number): GeoResult {
  const origin = o.locationFromCountry ? `${o.origin} (country point)` : o.origin;
  const place: Place = {
    country: o.country,
    continent: o.continent,
    subdivision: o.subdivision,
    location: o.location as Location | null,
    locationFromCountry: o.locationFromCountry,
  };
  return located('override', address, len, origin, place, o.site);
}

/** Nothing places the client: source 'none', for the network `len` around it. */
function unlocated(family: Family, len: number, address: Uint8Array | null): GeoResult {
  const a = address ?? new Uint8Array(family === 4 ? 4 : 16);
  return Object.freeze({
    source: 'none',
    ...NOT_LOCATED,
    prefixLength: len,
    network: networkText(a, len),
    origin: '',
  });
}
