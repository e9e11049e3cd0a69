// The record schemas of MaxMind-format databases, and their records adapted to what geosteer
// needs (country, continent, subdivision, location). Three schemas are read:
//
//   geoip2-city     GeoIP2 / GeoLite2 City (and DB-IP's own GeoIP2-compatible files): nested
//                   country.iso_code, continent.code, subdivisions[].iso_code, location.latitude/longitude
//   geoip2-country  GeoIP2 / GeoLite2 Country: the same without location
//   dbip-flat       DB-IP Lite as published by ip-location-db: flat country_code, latitude, longitude
//
// Records are read by shape, so a file whose type name says nothing useful still works.
import type { Location } from './types.js';
import { continentOf, countryPoint, isCountry } from './countries.js';

export type Schema = 'geoip2-city' | 'geoip2-country' | 'dbip-flat' | 'unknown';

/** What a database record says about a network, normalised across schemas. */
export interface Place {
  country: string | null;
  continent: string | null;
  subdivision: string | null;
  location: Location | null;
  /** True when `location` is the country's point (Country databases, records without coordinates). */
  locationFromCountry: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NESTED_KEYS = [
  'continent',
  'country',
  'registered_country',
  'location',
  'subdivisions',
  'city',
];

export function detectSchema(databaseType: string, sample: unknown): Schema {
  const type = databaseType.toLowerCase();
  const countryOnly = type.includes('country') && !type.includes('city');
  if (isObject(sample)) {
    if ('country_code' in sample || 'latitude' in sample) return 'dbip-flat';
    if (NESTED_KEYS.some((k) => k in sample)) return countryOnly ? 'geoip2-country' : 'geoip2-city';
    return 'unknown';
  }
  // An empty database: trust the type name.
  return countryOnly ? 'geoip2-country' : type.includes('city') ? 'geoip2-city' : 'unknown';
}

function countryCode(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const c = v.toUpperCase();
  // DB-IP writes ZZ for "unknown"; anything outside ISO 3166-1 is treated the same.
  return isCountry(c) ? c : null;
}

/**
 * A latitude or longitude, rounded to 1e-6 degree (about 0.1 m): DB-IP stores 32-bit floats, and
 * 37.422001 reads back as 37.422000885009766, which only clutters explain output.
 */
function coordinate(v: unknown, limit: number): number | null {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= limit
    ? Math.round(v * 1e6) / 1e6
    : null;
}

function locationOf(lat: unknown, lon: unknown): Location | null {
  const la = coordinate(lat, 90);
  const lo = coordinate(lon, 180);
  return la === null || lo === null ? null : { lat: la, lon: lo };
}

/**
 * A record of any of the three schemas as a Place; null when it names neither a country nor a
 * location (such as a GeoLite2 record for an anonymous network, or an ASN database's record).
 */
export function placeOf(record: unknown): Place | null {
  if (!isObject(record)) return null;
  let country: string | null;
  let continent: string | null = null;
  let subdivision: string | null = null;
  let location: Location | null;
  if ('country_code' in record || 'latitude' in record) {
    country = countryCode(record.country_code);
    location = locationOf(record.latitude, record.longitude);
  } else {
    // country is where the network is used; registered_country (where it was allocated) only
    // when there is nothing better, which is how MaxMind's own anycast entries read.
    const c = isObject(record.country) ? record.country : null;
    const rc = isObject(record.registered_country) ? record.registered_country : null;
    country = countryCode(c?.iso_code) ?? countryCode(rc?.iso_code);
    const cont = isObject(record.continent) ? record.continent.code : null;
    if (typeof cont === 'string' && /^(AF|AN|AS|EU|NA|OC|SA)$/.test(cont)) continent = cont;
    const subs = Array.isArray(record.subdivisions) ? (record.subdivisions as unknown[]) : [];
    const top = subs[0];
    const sub = isObject(top) ? top.iso_code : null;
    if (country && typeof sub === 'string' && /^[A-Za-z0-9]{1,3}$/.test(sub))
      subdivision = `${country}-${sub.toUpperCase()}`;
    const loc = isObject(record.location) ? record.location : null;
    location = loc ? locationOf(loc.latitude, loc.longitude) : null;
  }
  if (country === null && location === null) return null;
  continent ??= continentOf(country);
  let locationFromCountry = false;
  if (!location) {
    location = countryPoint(country);
    locationFromCountry = location !== null;
  }
  return { country, continent, subdivision, location, locationFromCountry };
}
