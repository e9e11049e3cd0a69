// GeoIP for geosteer: MaxMind-format databases (GeoIP2/GeoLite2 City and Country, DB-IP Lite),
// operator overrides, a default location, behind the GeoLocator interface. See docs/geoip.md.

export type { GeoLocator, GeoResult, GeoSource, Location } from './types.js';
export {
  parseClientAddress,
  parseCidr,
  addressText,
  networkText,
  type Family,
  type Network,
} from '../base/address.js';
export {
  DEFAULT_CACHE_SIZE,
  DEFAULT_DATABASE_PACKAGE,
  DEFAULT_OVERRIDES,
  GEOIP_KEYS,
  defaultDatabasePaths,
  defaultGeoipConfig,
  parseGeoipConfig,
  type DefaultLocation,
  type GeoipConfig,
} from './config.js';
export { DatabaseError, MmdbDatabase, type DatabaseInfo, type Schema } from './database.js';
export { compileOverrides, loadOverrides, OverrideSet, type Override } from './overrides.js';
export {
  GeoIpLocator,
  WatchedGeoLocator,
  openGeoLocator,
  type LocatorOptions,
  type LocatorParts,
  type ReloadReport,
} from './locator.js';
export type { Timers } from '../base/clock.js';
