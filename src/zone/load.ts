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
  /**
   * Each zone file read, with its text, in reading order (when a cache was given): answer threads
   * get the zones as images (src/threads/zone-share.ts) with these files' steered records.
   */
  sources?: ZoneSource[];
}

/** One zone file as read. */
export interface ZoneSource {
  readonly file: string;
  readonly text: string;
  /** A signed zone's keys, read by the main thread when it loaded the file. */
  readonly dnssec?: ZoneDnssec;
}

/**
 * Files at least this long compile in a process of their own (compile-off-thread.ts): about 1,000
 * records, 60 ms of compile. A smaller file compiles in place, where it costs less than the
 * process would to start (about 80 ms), and its garbage is small.
 */
export const OFF_THREAD_OCTETS = 32 * 1024;

/**
 * Zones compiled before, by file: a reload recompiles only the files whose text changed (a zone
 * is immutable, so an unchanged file's zone serves the next generation as it is). Holds the last
 * load's files only. The server's cache compiles big files off thread (compile-off-thread.ts): the
 * YAML and the compile's garbage live and die in a process of their own, at a lower priority.
 */
export class CompileCache {
  private byFile = new Map<string, { text: string; result: CompileResult }>();
  private next = new Map<string, { text: string; result: CompileResult }>();

  constructor(private readonly offThread = false) {}

  /** `defaults`: the server config's dnssec: (fixed for the process, so not part of the key). */
  async compile(
    file: string,
    text: string,
    limits: ZoneLimits,
    defaults: DnssecDefaults | null = null,
  ): Promise<CompileResult> {
    const hit = this.byFile.get(file);
    const result =
      hit && hit.text === text
        ? hit.result
        : this.offThread && text.length >= OFF_THREAD_OCTETS
          ? await compileOffThread(file, text, limits, defaults)
          : compileText(file, text, limits, defaults);
    this.next.set(file, { text, result });
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
    const read = await readZoneFile(file, limits.fileOctets);
    if ('problem' in read) {
      set.problems.push(read.problem);
      continue;
    }
    const r = await set.compile(file, read.text);
    if (!r.zone) continue;
    let dnssec: ZoneDnssec | undefined;
    if (r.zone.dnssec) {
      // The keys a signed zone names are part of it: a broken key file fails the load.
      const k = await loadZoneKeys(file, r.zone.origin, r.zone.dnssec.config);
      set.problems.push(...k.problems);
      if (!k.dnssec) continue;
      dnssec = k.dnssec;
    }
    set.accept({ file, text: read.text, ...(dnssec ? { dnssec } : {}) }, r);
  }
  return set.done();
}

class ZoneSetBuilder {
  readonly problems: Problem[] = [];
  private readonly zones: Zone[] = [];
  private readonly sources: ZoneSource[] = [];
  private readonly byKey = new Map<string, { zone: Zone; at: string }>();

  constructor(
    private readonly limits: ZoneLimits,
    private readonly cache: CompileCache | undefined,
    private readonly dnssecDefaults: DnssecDefaults | null,
  ) {}

  async compile(file: string, text: string): Promise<CompileResult> {
    const { limits, cache, dnssecDefaults: d } = this;
    const r = cache
      ? await cache.compile(file, text, limits, d)
      : compileText(file, text, limits, d);
    this.problems.push(...r.problems);
    return r;
  }

  /** Add a compiled zone (with its keys, when signed) to the set, unless its name is taken. */
  accept(source: ZoneSource, r: CompileResult): void {
    const { file } = source;
    let zone = r.zone!;
    if (zone.dnssec && source.dnssec)
      zone = {
        ...zone,
        dnssec: source.dnssec,
        fingerprint: `${zone.fingerprint} keys ${keysFingerprint(source.dnssec)}`,
      };
    if (this.cache) this.sources.push(source);
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
    const { zones, problems, sources } = this;
    if (!this.cache) return { zones, problems };
    this.cache.settle();
    return { zones, problems, sources };
  }
}
