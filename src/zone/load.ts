import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, type YAMLMap } from 'yaml';
import { compileZone } from './compile.js';
import { keysFingerprint, loadZoneKeys } from '../dnssec/zone-keys.js';
import { type Problem, ProblemCode as C, sortProblems } from '../base/errors.js';
import { checkCounts, readZoneFile, ZONE_LIMITS, type ZoneLimits } from './limits.js';
import { type Node, Source } from '../base/yaml-source.js';
import type { Zone } from './zone.js';

export interface LoadResult {
  zones: Zone[];
  problems: Problem[];
}

export interface CompileResult {
  zone: Zone | null;
  problems: Problem[];
  /** Where the zone's name is written (the value of `zone:`), for problems about the whole zone. */
  origin: { line: number; col: number };
}

/** Zone files are the *.yaml / *.yml files directly in the directory, read in name order. */
export async function zoneFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
    .sort()
    .map((n) => join(dir, n));
}

/** Compile one zone file's text; problems come in reading order. */
export function compileText(
  file: string,
  text: string,
  limits: ZoneLimits = ZONE_LIMITS,
): CompileResult {
  const src = new Source(file, text);
  const zone = checkCounts(src, limits) ? compileZone(src) : null;
  const zoneValue = isMap(src.root)
    ? ((src.root as YAMLMap).get('zone', true) as Node | undefined)
    : undefined;
  return { zone, problems: sortProblems(src.problems), origin: src.at(zoneValue) };
}

/**
 * Load and validate every zone file in a directory. Any problem in any file fails the whole set:
 * a reload is all or nothing, so the server never serves a mix of old and new zones.
 */
export async function loadZoneDir(
  dir: string,
  limits: ZoneLimits = ZONE_LIMITS,
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
  return loadZoneFiles(files, limits);
}

/**
 * `geosteer check PATH...`: each path is a zone file or a zones directory (its zone files, as the
 * server would read them), all checked as one set so a zone defined twice across them is caught.
 * A path that is not there is one problem naming it, not an errno string.
 */
export async function loadZonePaths(
  paths: readonly string[],
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
  const r = await loadZoneFiles(files);
  return { zones: r.zones, problems: [...problems, ...r.problems], files: files.length };
}

/** Load and validate the given zone files as one set: each zone may be defined once. */
export async function loadZoneFiles(
  files: readonly string[],
  limits: ZoneLimits = ZONE_LIMITS,
): Promise<LoadResult> {
  const problems: Problem[] = [];
  const zones: Zone[] = [];
  const byKey = new Map<string, { zone: Zone; at: string }>();
  for (const file of files) {
    const read = await readZoneFile(file, limits.fileOctets);
    if ('problem' in read) {
      problems.push(read.problem);
      continue;
    }
    const r = compileText(file, read.text, limits);
    problems.push(...r.problems);
    if (!r.zone) continue;
    if (r.zone.dnssec) {
      // The keys a signed zone names are part of it: a broken key file fails the load.
      const k = await loadZoneKeys(file, r.zone.origin, r.zone.dnssec.config);
      problems.push(...k.problems);
      if (!k.dnssec) continue;
      r.zone = {
        ...r.zone,
        dnssec: k.dnssec,
        fingerprint: `${r.zone.fingerprint} keys ${keysFingerprint(k.dnssec)}`,
      };
    }
    const at = `${file}:${r.origin.line}:${r.origin.col}`;
    const dup = byKey.get(r.zone.key);
    if (dup) {
      problems.push({
        ...r.origin,
        file,
        path: 'zone',
        code: C.duplicateZone,
        message: `zone ${r.zone.origin} is already defined at ${dup.at}`,
      });
      continue;
    }
    byKey.set(r.zone.key, { zone: r.zone, at });
    zones.push(r.zone);
  }
  return { zones, problems };
}
