// A GeoIP locator in an answer thread (src/threads/): built from what the main thread's locator
// shares (GeoIpLocator.share), reading the same database memory. The main thread owns the files,
// watches and reopens them; it posts each new share, and `update` swaps it in here.
import { MmdbDatabase } from './database.js';
import { GeoIpLocator, type GeoShare, type LocatorParts } from './geo-locator.js';
import { OverrideSet } from './override-set.js';
import type { Logger } from '../base/log.js';

function partsOf(share: GeoShare, logger?: Logger): LocatorParts {
  return {
    // A Buffer view of the shared bytes: the reader works on a Buffer, no copy is made.
    databases: share.databases.map((d) =>
      MmdbDatabase.fromBuffer(
        d.file,
        Buffer.from(d.bytes.buffer, d.bytes.byteOffset, d.bytes.length),
      ),
    ),
    overrides: new OverrideSet(share.overrides.file, share.overrides.entries),
    defaultLocation: share.defaultLocation,
    cacheSize: share.cacheSize,
    widenLookupsPerSecond: share.widenLookupsPerSecond,
    ...(logger ? { logger } : {}),
  };
}

export class SharedGeoLocator extends GeoIpLocator {
  constructor(share: GeoShare, logger?: Logger) {
    super(partsOf(share, logger));
  }

  /** The main thread reopened a file: serve its new data (the cache goes, `version` moves). */
  update(share: GeoShare): void {
    const p = partsOf(share);
    this.replace(p.databases, p.overrides!);
  }
}
