import type { BigIntStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DnssecDefaults } from '../dnssec/config.js';
import { keysFingerprint, loadZoneKeys, type ZoneDnssec } from '../dnssec/zone-keys.js';
import { type Problem, ProblemCode as C } from '../base/errors.js';
import { readZoneFile, ZONE_LIMITS, type ZoneLimits } from './limits.js';
import { compileText, type CompileResult } from './compile-text.js';
import { compileOffThread } from './compile-off-thread.js';

export { compileText, type CompileResult } from './compile-text.js';
import type { Zone } from './zone.js';

export interface LoadResult {
  zones: Zone[];
  problems: Problem[];
}

/**
 * Files at least this long compile in a process of their own (compile-off-thread.ts): about 1,000
 * records, 60 ms of compile. A smaller file compiles in place, where it costs less than the
 * process would to start (about 80 ms), and its garbage is small.
 */
export const OFF_THREAD_OCTETS = 32 * 1024;

/**
 * A file read within this long of its last change may change again without its timestamps
 * moving: the kernel stamps files from a clock that ticks every few milliseconds. Such a file is
 * read again on the next load, as git re-reads "racily clean" files.
 */
export const RACY_MS = 1000;

/** What says a file is the one read before: where it is, its size, and its change times in ns. */
interface FileStamp {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

function stampOf(s: BigIntStats): FileStamp {
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

interface Cached {
  readonly text: string;
  readonly result: CompileResult;
  /** The file's stamp taken before it was read, and when it was read (ms). */
  readonly stamp: FileStamp | null;
  readonly readAt: number;
}

/**
 * Zones compiled before, by file: a reload re-reads only the files whose stamp (device, inode,
 * size, modification and change times, as Knot and BIND look at a zone file's time before
 * loading it) moved, and recompiles only those whose text changed (a zone is immutable, so an
 * unchanged file's zone serves the next generation as it is). Any write, rename or `touch`
 * moves the change time, which nothing can set back. Holds the last load's files only. The
 * server's cache compiles big files off thread (compile-off-thread.ts): the YAML and the
 * compile's garbage live and die in a process of their own, at a lower priority.
 */
export class CompileCache {
  private byFile = new Map<string, Cached>();
  private next = new Map<string, Cached>();
  /** Files read (not skipped by their stamp) since the cache was made. */
  reads = 0;

  constructor(
    private readonly offThread = false,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The last load's result for `file` when its stamp has not moved since it was read (and it was
   * read more than RACY_MS after its last change): the file is then not read again.
   */
  async unchanged(file: string): Promise<CompileResult | null> {
    const hit = this.byFile.get(file);
    if (!hit?.stamp) return null;
    let now: FileStamp;
    try {
      now = stampOf(await stat(file, { bigint: true }));
    } catch {
      return null; // reading it says what is wrong
    }
    const settled = hit.stamp.ctimeNs < BigInt(Math.floor(hit.readAt - RACY_MS)) * 1_000_000n;
    if (!settled || !sameStamp(hit.stamp, now)) return null;
    this.next.set(file, hit);
    return hit.result;
  }

  /** The file's stamp, taken before reading it; null when it cannot be taken. */
  async stamp(file: string): Promise<{ stamp: FileStamp | null; at: number }> {
    const at = this.now();
    try {
      return { stamp: stampOf(await stat(file, { bigint: true })), at };
    } catch {
      return { stamp: null, at };
    }
  }

  /** `defaults`: the server config's dnssec: (fixed for the process, so not part of the key). */
  async compile(
    file: string,
    text: string,
    limits: ZoneLimits,
    defaults: DnssecDefaults | null = null,
    read: { stamp: FileStamp | null; at: number } = { stamp: null, at: 0 },
  ): Promise<CompileResult> {
    this.reads++;
    const hit = this.byFile.get(file);
    const result =
      hit && hit.text === text
        ? hit.result
        : this.offThread && text.length >= OFF_THREAD_OCTETS
          ? await compileOffThread(file, text, limits, defaults)
          : compileText(file, text, limits, defaults);
    this.next.set(file, { text, result, stamp: read.stamp, readAt: read.at });
    return result;
  }

  /** The load is over: forget files it did not read. */
  settle(): void {
    this.byFile = this.next;
    this.next = new Map();
  }
}

/** Zone files are the *.yaml / *.yml files directly in the directory, read in name order. */
export async function zoneFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Load and validate every zone file in a directory. Any problem in any file fails the whole set:
 * a reload is all or nothing, so the server never serves a mix of old and new zones.
 */
export async function loadZoneDir(
  dir: string,
  limits: ZoneLimits = ZONE_LIMITS,
  cache?: CompileCache,
  dnssecDefaults: DnssecDefaults | null = null,
): Promise<LoadResult> {
  let files: string[];
  try {
    files = await zoneFiles(dir);
  } catch (e) {
    return {
      zones: [],
      problems: [
        { file: dir, line: 1, col: 1, path: '', code: C.io, message: (e as Error).message },
      ],
    };
  }
  return loadZoneFiles(files, limits, cache, dnssecDefaults);
}

/**
 * `geosteer check PATH...`: each path is a zone file or a zones directory (its zone files, as the
 * server would read them), all checked as one set so a zone defined twice across them is caught.
 * A path that is not there is one problem naming it, not an errno string.
 */
export async function loadZonePaths(
  paths: readonly string[],
  dnssecDefaults: DnssecDefaults | null = null,
): Promise<LoadResult & { files: number }> {
  const files: string[] = [];
  const problems: Problem[] = [];
  const missing = (path: string, message: string) =>
    problems.push({ file: path, line: 1, col: 1, path: '', code: C.io, message });
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      missing(
        path,
        code === 'ENOENT'
          ? 'no such file or directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (e as Error).message,
      );
      continue;
    }
    if (!isDir) files.push(path);
    else {
      const inDir = await zoneFiles(path);
      // An empty directory would otherwise pass: the server would have nothing to serve from it.
      if (!inDir.length) missing(path, 'a directory with no zone files (*.yaml, *.yml)');
      files.push(...inDir);
    }
  }
  const r = await loadZoneFiles(files, ZONE_LIMITS, undefined, dnssecDefaults);
  return { zones: r.zones, problems: [...problems, ...r.problems], files: files.length };
}

/** Load and validate the given zone files as one set: each zone may be defined once. */
export async function loadZoneFiles(
  files: readonly string[],
  limits: ZoneLimits = ZONE_LIMITS,
  cache?: CompileCache,
  dnssecDefaults: DnssecDefaults | null = null,
): Promise<LoadResult> {
  const set = new ZoneSetBuilder(limits, cache, dnssecDefaults);
  for (const file of files) {
    const r = (await cache?.unchanged(file)) ?? (await set.read(file));
    if (r === null) continue;
    set.problems.push(...r.problems);
    if (!r.zone) continue;
    let dnssec: ZoneDnssec | undefined;
    if (r.zone.dnssec) {
      // The keys a signed zone names are part of it: a broken key file fails the load.
      const k = await loadZoneKeys(file, r.zone.origin, r.zone.dnssec.config);
      set.problems.push(...k.problems);
      if (!k.dnssec) continue;
      dnssec = k.dnssec;
    }
    set.accept(file, dnssec, r);
  }
  return set.done();
}

class ZoneSetBuilder {
  readonly problems: Problem[] = [];
  private readonly zones: Zone[] = [];
  private readonly byKey = new Map<string, { zone: Zone; at: string }>();

  constructor(
    private readonly limits: ZoneLimits,
    private readonly cache: CompileCache | undefined,
    private readonly dnssecDefaults: DnssecDefaults | null,
  ) {}

  /** Read and compile one file; null (and its problem kept) when it cannot be read. */
  async read(file: string): Promise<CompileResult | null> {
    const { limits, cache, dnssecDefaults: d } = this;
    const stamp = cache ? await cache.stamp(file) : undefined;
    const read = await readZoneFile(file, limits.fileOctets);
    if ('problem' in read) {
      this.problems.push(read.problem);
      return null;
    }
    return cache
      ? await cache.compile(file, read.text, limits, d, stamp)
      : compileText(file, read.text, limits, d);
  }

  /** Add a compiled zone (with its keys, when signed) to the set, unless its name is taken. */
  accept(file: string, dnssec: ZoneDnssec | undefined, r: CompileResult): void {
    let zone = r.zone!;
    if (zone.dnssec && dnssec)
      zone = {
        ...zone,
        dnssec,
        fingerprint: `${zone.fingerprint} keys ${keysFingerprint(dnssec)}`,
      };
    const at = `${file}:${r.origin.line}:${r.origin.col}`;
    const dup = this.byKey.get(zone.key);
    if (dup) {
      this.problems.push({
        ...r.origin,
        file,
        path: 'zone',
        code: C.duplicateZone,
        message: `zone ${zone.origin} is already defined at ${dup.at}`,
      });
      return;
    }
    this.byKey.set(zone.key, { zone, at });
    this.zones.push(zone);
  }

  done(): LoadResult {
    this.cache?.settle();
    return { zones: this.zones, problems: this.problems };
  }
}
