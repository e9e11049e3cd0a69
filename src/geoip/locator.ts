// The GeoLocator geosteer serves with, owning its files: the databases and overrides named by the
// config are opened (openGeoLocator), watched and reopened when they change, and a bad new file
// leaves the loaded data in place. Lookups are GeoIpLocator's (src/geoip/geo-locator.ts).

import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile, stat as statAsync } from 'node:fs/promises';
import type { Timers } from '../base/clock.js';
import { formatProblem, ProblemsError } from '../base/errors.js';
import { silentLogger, type Logger } from '../base/log.js';
import { defaultDatabasePaths, type GeoipConfig } from './config.js';
import { MmdbDatabase, readShared } from './database.js';
import { GeoIpLocator, type LocatorParts } from './geo-locator.js';
import { compileOverrides, loadOverrides, OverrideSet } from './overrides.js';

export { GeoIpLocator, type GeoShare, type LocatorParts } from './geo-locator.js';

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

export interface ReloadReport {
  /** Files read again and now in use. */
  reloaded: string[];
  /** Files that changed but could not be used; the data loaded before stays. */
  failed: string[];
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
      // A database goes where answer threads can share it (database.ts readShared).
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
