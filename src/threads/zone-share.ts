// Zones as they cross to the answer threads (docs/architecture.md#zone-images). The main thread
// compiles each changed file once and makes its image once (zone/image.ts); a generation is then
// a list of shares, and an answer thread installs one in O(1): it wraps the same shared memory.
// Only a zone's steered records (few; their policies are code) are compiled again in a thread,
// from the small zone file that holds just them (zone/steered-text.ts), never the whole file.
import type { ZoneDnssec } from '../dnssec/zone-keys.js';
import type { RRset } from '../wire/rr.js';
import { encodeImage, ImageNodes, isStatic } from '../zone/image.js';
import { compileText, type ZoneSource } from '../zone/load.js';
import type { Zone, ZoneNode } from '../zone/zone.js';

/** One compiled zone file as data for the threads: its image and everything but its nodes. */
export interface ZoneShare {
  readonly file: string;
  readonly origin: string;
  readonly key: string;
  readonly soa: RRset;
  readonly ns: RRset;
  readonly negativeSoa: RRset;
  readonly hasCuts: boolean;
  readonly fingerprint: string;
  readonly dnssec: ZoneDnssec | null;
  /** The static nodes (shared, never copied: postMessage passes a SharedArrayBuffer by reference). */
  readonly image: SharedArrayBuffer;
  /** The steered records as a zone file of their own; null: the zone has none. */
  readonly steered: string | null;
}

/** The main thread's images, one per compiled zone: an unchanged file keeps its image. */
export class ZoneImages {
  private byNodes = new WeakMap<object, SharedArrayBuffer>();

  /** Shares for the zones loaded from `sources` (a site's child zones are derived in each thread). */
  share(zones: readonly Zone[], sources: readonly ZoneSource[]): ZoneShare[] {
    const byFile = new Map(sources.map((s) => [s.file, s]));
    const out: ZoneShare[] = [];
    for (const z of zones) {
      const source = byFile.get(z.file);
      if (!source) continue;
      // A zone is immutable and its nodes map is kept across loads when the file did not change
      // (zone/load.ts CompileCache), so the image made for it before serves again as it is.
      let image = this.byNodes.get(z.nodes);
      if (!image) this.byNodes.set(z.nodes, (image = encodeImage(z.nodes)));
      out.push({
        file: z.file,
        origin: z.origin,
        key: z.key,
        soa: z.soa,
        ns: z.ns,
        negativeSoa: z.negativeSoa,
        hasCuts: z.hasCuts,
        fingerprint: z.fingerprint,
        dnssec: z.dnssec ?? null,
        image,
        steered: source.steered ?? null,
      });
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
      const zone = this.byShare.get(id) ?? fromShare(s);
      next.set(id, zone);
      return zone;
    });
    this.byShare = next;
    return zones;
  }
}

function fromShare(s: ZoneShare): Zone {
  let steered = new Map<string, ZoneNode>();
  let sites: Zone['sites'] = new Map();
  if (s.steered !== null) {
    // The main thread compiled the whole file without a problem; this part of it compiles alike.
    const r = compileText(s.file, s.steered);
    if (!r.zone)
      throw new Error(`steered records of ${s.origin}: ${r.problems[0]?.message ?? 'no zone'}`);
    for (const [key, node] of r.zone.nodes) if (!isStatic(node)) steered.set(key, node);
    sites = r.zone.sites;
  } else steered = new Map();
  const { image, steered: _text, ...rest } = s;
  return { ...rest, nodes: new ImageNodes(image, steered), sites };
}
