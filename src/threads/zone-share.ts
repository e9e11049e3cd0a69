// Zones as they cross to the answer threads (docs/architecture.md#zone-images). The main thread
// has each changed file compiled once, off the answering path (zone/compile-thread.ts), into an
// image (zone/image.ts); a generation is a list of shares, and an answer thread installs one in
// O(1): it wraps the same shared memory and compiles only the zone's steered records.
import { encodeImage, ImageNodes } from '../zone/image.js';
import type { ZoneSource } from '../zone/load.js';
import { shareOf, zoneFromShare, type ZoneShare } from '../zone/share.js';
import type { Zone } from '../zone/zone.js';

/** The main thread's shares, one image per compiled zone: an unchanged file keeps its image. */
export class ZoneImages {
  private byNodes = new WeakMap<object, SharedArrayBuffer>();

  /** Shares for the zones loaded from `sources` (a site's child zones are derived in each thread). */
  share(zones: readonly Zone[], sources: readonly ZoneSource[]): ZoneShare[] {
    const byFile = new Map(sources.map((s) => [s.file, s]));
    const out: ZoneShare[] = [];
    for (const z of zones) {
      const source = byFile.get(z.file);
      if (!source) continue;
      // A zone compiled off thread already is an image; one compiled here (a zone is immutable,
      // and its nodes map is kept while its file does not change) gets one, once.
      let image = z.nodes instanceof ImageNodes ? z.nodes.image : this.byNodes.get(z.nodes);
      if (!image) this.byNodes.set(z.nodes, (image = encodeImage(z.nodes)));
      out.push(shareOf(z, image, source.steered ?? null));
    }
    return out;
  }
}

/**
 * An answer thread's zones, made from shares: a zone whose file and fingerprint did not change is
 * the same object as before (with its decoded-node cache); a new one wraps its image and compiles
 * only its steered records. Holds the last generation's zones only.
 */
export class InstalledZones {
  private byShare = new Map<string, Zone>();

  install(shares: readonly ZoneShare[]): Zone[] {
    const next = new Map<string, Zone>();
    const zones = shares.map((s) => {
      const id = `${s.file}\u0000${s.fingerprint}`;
      const zone = this.byShare.get(id) ?? zoneFromShare(s);
      next.set(id, zone);
      return zone;
    });
    this.byShare = next;
    return zones;
  }
}
