// Where a place is written in YAML: a location { lat, lon }, an ISO 3166-1 country, a continent,
// an ISO 3166-2 subdivision. Zone files (sites, geo rules) and the overrides and GeoIP config
// files read them here, so every file takes the same spellings and gets the same messages.
import { ProblemCode as C } from '../base/errors.js';
import {
  checkKeys,
  describe,
  type Entry,
  isScalar,
  mapEntries,
  type Node,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import { isCountry } from './countries.js';
import type { Location } from './types.js';

/** The continent codes GeoIP databases use. */
export const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

/** The examples a message gives: each file format's messages and docs keep their own. */
export interface PlaceExamples {
  readonly location: string;
  readonly country: string;
  /** The subdivision's requirement and example, as the message words it. */
  readonly subdivision: string;
}

/** Zone files (sites, geo rules). */
export const ZONE_EXAMPLES: PlaceExamples = {
  location: '{ lat: 53.35, lon: -6.26 }',
  country: 'US',
  subdivision: 'in upper case (e.g. US-VA)',
};

/** The GeoIP overrides file and the config's geoip: section. */
export const GEOIP_EXAMPLES: PlaceExamples = {
  location: '{ lat: 50.11, lon: 8.68 }',
  country: 'DE',
  subdivision: '(e.g. US-CA)',
};

function number(src: Source, node: Node | null, path: string, limit: number): number | null {
  if (isScalar(node) && typeof node.value === 'number' && Math.abs(node.value) <= limit)
    return node.value;
  src.report(
    node,
    path,
    C.badValue,
    `must be a number -${limit} to ${limit}, got ${describe(node)}`,
  );
  return null;
}

/** `{ lat: 50.11, lon: 8.68 }`: latitude and longitude in degrees. */
export function parseLocation(
  src: Source,
  node: Node | null,
  path: string,
  ex: PlaceExamples = ZONE_EXAMPLES,
): Location | null {
  const entries = mapEntries(src, node, path);
  if (!entries) return null;
  checkKeys(src, entries, ['lat', 'lon'], path);
  return locationOf(src, node, path, entries, ex);
}

/** lat and lon among a mapping's entries (keys already checked by the caller). */
export function locationOf(
  src: Source,
  node: Node | null,
  path: string,
  entries: readonly Entry[],
  ex: PlaceExamples = ZONE_EXAMPLES,
): Location | null {
  const lat = entries.find((e) => e.key === 'lat');
  const lon = entries.find((e) => e.key === 'lon');
  if (!lat || !lon) {
    src.report(node, path, C.missingKey, `a location needs both lat and lon, e.g. ${ex.location}`);
    return null;
  }
  const la = number(src, lat.value, lat.path, 90);
  const lo = number(src, lon.value, lon.path, 180);
  return la === null || lo === null ? null : { lat: la, lon: lo };
}

/** An ISO 3166-1 alpha-2 code that exists (so "UK" and "EU" are caught), in upper case. */
export function parseCountry(
  src: Source,
  node: Node | null,
  path: string,
  ex: PlaceExamples = ZONE_EXAMPLES,
): string | null {
  const t = scalarText(node);
  if (t !== null && isCountry(t)) return t;
  src.report(
    node,
    path,
    C.badValue,
    countryHint(t) ??
      `must be an ISO 3166-1 alpha-2 country code (e.g. ${ex.country}), got ${describe(node)}`,
  );
  return null;
}

function countryHint(t: string | null): string | null {
  if (t === 'UK') return 'UK is not an ISO 3166-1 country code: the United Kingdom is GB';
  if (t !== null && t !== t.toUpperCase() && isCountry(t.toUpperCase()))
    return `country codes are written in upper case: "${t.toUpperCase()}"`;
  return null;
}

export function parseContinent(src: Source, node: Node | null, path: string): string | null {
  const t = scalarText(node);
  if (t !== null && (CONTINENTS as readonly string[]).includes(t)) return t;
  src.report(
    node,
    path,
    C.badValue,
    `must be a continent code (${CONTINENTS.join(', ')}), got ${describe(node)}`,
  );
  return null;
}

/** ISO 3166-2: the country's alpha-2 code, '-', then one to three letters or digits (US-VA, GB-LND, FR-75). */
export function parseSubdivision(
  src: Source,
  node: Node | null,
  path: string,
  ex: PlaceExamples = ZONE_EXAMPLES,
): string | null {
  const t = scalarText(node);
  const m = t === null ? null : /^([A-Z]{2})-[A-Z0-9]{1,3}$/.exec(t);
  if (m && isCountry(m[1]!)) return t;
  const why = m ? `: ${m[1]} is not a country code` : '';
  src.report(
    node,
    path,
    C.badValue,
    `must be an ISO 3166-2 subdivision code ${ex.subdivision}, got ${describe(node)}${why}`,
  );
  return null;
}
