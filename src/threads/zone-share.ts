// Zones as they cross to the answer threads (docs/architecture.md#zone-images). The main thread
// has each changed file compiled once, off the answering path (zone/compile-off-thread.ts), into
// an image (zone/image.ts) and its steered nodes as data (zone/share.ts); a generation is a list
// of shares, a `--site` instance's child zones among them (derived once, on the main thread), and
// an answer thread installs one in O(1): it wraps the same shared memory and the cloned steered
// nodes, and compiles nothing.
import { encodeImage, ImageNodes } from '../zone/image.js';
import { shareOf, zoneFromShare, type ZoneShare } from '../zone/share.js';
import type { Zone } from '../zone/zone.js';

/** The main thread's shares, one per compiled zone: an unchanged zone keeps its share and image. */
export class ZoneImages {
  private byZone = new WeakMap<Zone, ZoneShare>();

  /** Shares for every zone served, a site's child zones included. */
  share(zones: readonly Zone[]): ZoneShare[] {
    return zones.map((z) => {
      let s = this.byZone.get(z);
      if (!s) {
        // A zone compiled off thread already is an image; one compiled here (a zone is immutable,
        // and is kept while its file does not change) gets one, once.
        const image = z.nodes instanceof ImageNodes ? z.nodes.image : encodeImage(z.nodes);
        this.byZone.set(z, (s = shareOf(z, image)));
      }
      return s;
    });
  }
}

/**
 * An answer thread's zones, made from shares: a zone whose file and fingerprint did not change is
 * the same object as before (with its decoded-node cache); a new one wraps
 * its image and steered nodes. Holds the last generation's zones only.
 */
export class InstalledZones {
  private byShare = new Map<string, Zone>();

  install(shares: readonly ZoneShare[]): Zone[] {
    const next = new Map<string, Zone>();
    const zones = shares.map((s) => {
      const id = `${s.key}\u0000${s.file}\u0000${s.fingerprint}`;
      const zone = this.byShare.get(id) ?? zoneFromShare(s);
      next.set(id, zone);
      return zone;
    });
    this.byShare = next;
    return zones;
  }
}
