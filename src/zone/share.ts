// A compiled zone as data that crosses threads (docs/architecture.md#zone-images): its image
// (image.ts, shared memory) and everything but its nodes. The compile thread (compile-thread.ts)
// makes one per changed file; the main thread and every answer thread turn it into a Zone in O(1)
// in the zone's size. Only its steered records (few; their policies are code, not data) are
// compiled again, from the small zone file that holds just them (steered-text.ts).
import type { ZoneDnssec } from '../dnssec/zone-keys.js';
import type { RRset } from '../wire/rr.js';
import { ImageNodes, isStatic } from './image.js';
import { compileText } from './compile-text.js';
import type { Zone, ZoneNode } from './zone.js';

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

/** The zone a share stands for; throws if its steered records do not compile (they did before). */
export function zoneFromShare(s: ZoneShare): Zone {
  const steered = new Map<string, ZoneNode>();
  let sites: Zone['sites'] = new Map();
  if (s.steered !== null) {
    // The main thread compiled the whole file without a problem; this part of it compiles alike.
    const r = compileText(s.file, s.steered);
    if (!r.zone)
      throw new Error(`steered records of ${s.origin}: ${r.problems[0]?.message ?? 'no zone'}`);
    for (const [key, node] of r.zone.nodes) if (!isStatic(node)) steered.set(key, node);
    sites = r.zone.sites;
  }
  const { image, steered: _text, ...rest } = s;
  return { ...rest, nodes: new ImageNodes(image, steered), sites };
}

/** The share of a compiled zone, for its image and steered records. */
export function shareOf(z: Zone, image: SharedArrayBuffer, steered: string | null): ZoneShare {
  return {
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
    steered,
  };
}
