// The GeoLocator geosteer serves with: overrides first, then the databases in order, then the
// configured default location, else 'none'. Results are cached per client network; files are
// watched and reopened when they change, and a bad new file leaves the loaded data in place.

import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile, stat as statAsync } from 'node:fs/promises';
import type { GeoLocator, GeoResult, GeoSource, Location } from './types.js';
import { DEFAULT_WIDEN_LOOKUPS_PER_SECOND, LookupBudget, WIDEN_BUDGET } from './budget.js';
import {
  familyBits,
  familyOf,
  isIpv4Mapped,
  lookupText,
  networkText,
  truncate,
  type Family,
} from '../base/address.js';
import { continentOf } from './countries.js';
import { defaultDatabasePaths, type DefaultLocation, type GeoipConfig } from './config.js';
import { MmdbDatabase, readShared, type DatabaseInfo, type Place } from './database.js';
import {
  compileOverrides,
  loadOverrides,
  narrowPrefix,
  OverrideSet,
  type Override,
} from './overrides.js';
import type { Timers } from '../base/clock.js';
import { formatProblem, ProblemsError } from '../base/errors.js';
import { silentLogger, type Logger } from '../base/log.js';

export interface LocatorOptions {
  logger?: Logger;
  /** Watch the files and reopen them when they change (default true). */
  watch?: boolean;
  /** How often fs.watchFile stats each file (default 2000 ms). */
  pollIntervalMs?: number;
  /** Quiet time after a change before the file is read, so a file still being written is not (default 500 ms). */
  settleMs?: number;
  timers?: Timers;
}

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

export interface ReloadReport {
  /** Files read again and now in use. */
  reloaded: string[];
  /** Files that changed but could not be used; the data loaded before stays. */
  failed: string[];
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

/** A file the locator reloads when it changes. */
interface WatchedFile {
  readonly file: string;
  readonly kind: 'database' | 'overrides';
  /** inode:size:mtime when last read (or found missing); a different stamp means read it again. */
  stamp: string | null;
  loading: Promise<'reloaded' | 'failed' | 'unchanged'> | null;
  again: boolean;
  timer: unknown;
  listener: ((curr: Stats, prev: Stats) => void) | null;
}

const stampOf = (s: { ino: number; size: number; mtimeMs: number }) =>
  `${s.ino}:${s.size}:${s.mtimeMs}`;

/** A GeoIpLocator that owns its files: reopens them on change, and must be closed. */
export class WatchedGeoLocator extends GeoIpLocator {
  private readonly files: WatchedFile[];
  private closed = false;
  private readonly timers: Timers;

  constructor(
    parts: LocatorParts,
    files: { file: string; kind: 'database' | 'overrides'; stamp: string | null }[],
    private readonly options: LocatorOptions,
  ) {
    super(parts);
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    this.files = files.map((f) => ({
      ...f,
      loading: null,
      again: false,
      timer: null,
      listener: null,
    }));
    if (options.watch ?? true) for (const w of this.files) this.watch(w);
  }

  private watch(w: WatchedFile): void {
    const interval = this.options.pollIntervalMs ?? 2000;
    // fs.watchFile polls stat(), so it follows the path: an atomic rename over the file is seen
    // (new inode), and so is a file that appears later. fs.watch would follow the old inode.
    w.listener = () => {
      if (this.closed) return;
      if (w.timer !== null) this.timers.clearTimeout(w.timer);
      w.timer = this.timers.setTimeout(() => {
        w.timer = null;
        void this.check(w);
      }, this.options.settleMs ?? 500);
    };
    watchFile(w.file, { persistent: false, interval }, w.listener);
  }

  /** Read every file whose stamp changed (admin reload, SIGHUP); resolves when done. */
  async reload(): Promise<ReloadReport> {
    const report: ReloadReport = { reloaded: [], failed: [] };
    for (const w of this.files) {
      const r = await this.check(w);
      if (r === 'reloaded') report.reloaded.push(w.file);
      if (r === 'failed') report.failed.push(w.file);
    }
    return report;
  }

  /** One load at a time per file; a change during a load runs another after it. */
  private check(w: WatchedFile): Promise<'reloaded' | 'failed' | 'unchanged'> {
    if (w.loading) {
      w.again = true;
      return w.loading;
    }
    const run = async () => {
      let last: 'reloaded' | 'failed' | 'unchanged' = 'unchanged';
      do {
        w.again = false;
        const r = await this.refresh(w);
        if (r !== 'unchanged' || last === 'unchanged') last = r;
      } while (w.again && !this.closed);
      return last;
    };
    w.loading = run().finally(() => (w.loading = null));
    return w.loading;
  }

  private async refresh(w: WatchedFile): Promise<'reloaded' | 'failed' | 'unchanged'> {
    const before = await stampIfExists(w.file);
    if (before === null) {
      if (w.stamp !== 'missing' && w.stamp !== null)
        this.logger.warn(
          { file: w.file },
          `geoip ${w.kind} file is gone; keeping the data loaded from it`,
        );
      w.stamp = 'missing';
      return 'unchanged';
    }
    if (before === w.stamp || this.closed) return 'unchanged';
    let bytes: Buffer;
    try {
      bytes = w.kind === 'database' ? await readShared(w.file) : await readFile(w.file);
    } catch {
      return 'unchanged'; // gone between stat and read: the next check says so
    }
    // Changed while being read (a copy still in progress, say): these bytes may be torn, and a
    // torn overrides file can even parse. Leave the stamp, so the next change seen reads it again.
    if ((await stampIfExists(w.file)) !== before) {
      this.logger.debug(
        { file: w.file },
        `geoip ${w.kind} file changed while being read; will read it again`,
      );
      return 'unchanged';
    }
    w.stamp = before;
    try {
      if (w.kind === 'database') {
        const db = MmdbDatabase.fromBuffer(w.file, bytes);
        if (this.closed) return 'unchanged';
        this.replace(
          this.dbs.map((d) => (d.file === w.file ? db : d)),
          this.ovr,
        );
        this.logger.info({ ...db.info, version: this.version }, 'geoip database reopened');
      } else {
        const { set, problems } = compileOverrides(w.file, bytes.toString('utf8'));
        if (problems.length) throw new ProblemsError(problems);
        if (this.closed) return 'unchanged';
        this.replace(this.dbs, set);
        this.logger.info(
          { file: w.file, overrides: set.entries.length, version: this.version },
          'geoip overrides reloaded',
        );
      }
      return 'reloaded';
    } catch (e) {
      const problems =
        e instanceof ProblemsError ? e.problems.map(formatProblem) : [(e as Error).message];
      this.logger.error(
        { file: w.file, problems },
        `geoip ${w.kind} file not reloaded; keeping the data loaded before`,
      );
      return 'failed';
    }
  }

  /** Stop watching; pending reloads finish but change nothing. */
  close(): void {
    this.closed = true;
    for (const w of this.files) {
      if (w.listener) unwatchFile(w.file, w.listener);
      if (w.timer !== null) this.timers.clearTimeout(w.timer);
    }
  }
}

async function stampIfExists(file: string): Promise<string | null> {
  try {
    return stampOf(await statAsync(file));
  } catch {
    return null;
  }
}

/**
 * Open the databases and overrides named by the config and start watching them. Throws when a
 * database cannot be opened (DatabaseError, naming the file) or the overrides have problems
 * (ProblemsError, file:line:col each): at start-up a bad file is a configuration error. Later
 * changes that fail are logged and the loaded data stays.
 */
export async function openGeoLocator(
  config: GeoipConfig,
  options: LocatorOptions = {},
): Promise<WatchedGeoLocator> {
  const logger = options.logger ?? silentLogger();
  const files = config.databases ?? defaultDatabasePaths();
  const watched: { file: string; kind: 'database' | 'overrides'; stamp: string | null }[] = [];
  const databases: MmdbDatabase[] = [];
  for (const file of files) {
    const stamp = await stampIfExists(file);
    const db = await MmdbDatabase.open(file);
    databases.push(db);
    watched.push({ file, kind: 'database', stamp });
    logger.info(db.info, 'geoip database opened');
  }
  let overrides = OverrideSet.EMPTY;
  if (config.overrides) {
    const stamp = await stampIfExists(config.overrides);
    if (stamp !== null || config.overridesRequired) {
      overrides = await loadOverrides(config.overrides);
      logger.info(
        { file: config.overrides, overrides: overrides.entries.length },
        'geoip overrides loaded',
      );
    }
    watched.push({ file: config.overrides, kind: 'overrides', stamp: stamp ?? 'missing' });
  }
  return new WatchedGeoLocator(
    {
      databases,
      overrides,
      defaultLocation: config.defaultLocation,
      cacheSize: config.cacheSize,
      widenLookupsPerSecond: config.widenLookupsPerSecond,
      logger,
    },
    watched,
    options,
  );
}
