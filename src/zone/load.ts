import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compileZone } from './compile.js';
import { type Problem, ProblemCode as C } from './errors.js';
import { Source } from './yaml-source.js';
import type { Zone } from './zone.js';

export interface LoadResult {
  zones: Zone[];
  problems: Problem[];
}

/** Zone files are the *.yaml / *.yml files directly in the directory, read in name order. */
export async function zoneFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort().map((n) => join(dir, n));
}

export function compileText(file: string, text: string): { zone: Zone | null; problems: Problem[] } {
  const src = new Source(file, text);
  const zone = compileZone(src);
  return { zone, problems: src.problems };
}

/**
 * Load and validate every zone file in a directory. Any problem in any file fails the whole set:
 * a reload is all or nothing, so the server never serves a mix of old and new zones.
 */
export async function loadZoneDir(dir: string): Promise<LoadResult> {
  const problems: Problem[] = [];
  let files: string[];
  try {
    files = await zoneFiles(dir);
  } catch (e) {
    return { zones: [], problems: [{ file: dir, line: 1, col: 1, path: '', code: C.io, message: (e as Error).message }] };
  }
  const zones: Zone[] = [];
  const byKey = new Map<string, Zone>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      problems.push({ file, line: 1, col: 1, path: '', code: C.io, message: (e as Error).message });
      continue;
    }
    const r = compileText(file, text);
    problems.push(...r.problems);
    if (!r.zone) continue;
    const dup = byKey.get(r.zone.key);
    if (dup) {
      const line = text.split('\n').findIndex((l) => /^zone\s*:/.test(l)) + 1 || 1;
      problems.push({ file, line, col: 1, path: 'zone', code: C.duplicateZone, message: `zone ${r.zone.origin} is already defined in ${dup.file}` });
      continue;
    }
    byKey.set(r.zone.key, r.zone);
    zones.push(r.zone);
  }
  return { zones, problems };
}
