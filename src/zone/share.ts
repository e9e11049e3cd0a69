// A compiled zone as data that crosses threads and processes (docs/architecture.md#zone-images):
// its image (image.ts, shared memory) with the static nodes, and everything else as plain objects:
// the steered and delegated nodes, whose compiled policies are data (src/policy/policy-data.ts),
// and the sites they refer to. postMessage and the compile process's 'advanced' IPC copy them by
// structured clone, which keeps object identity within one message (a record's members are the
// zone's sites there too); nothing else is relied on. The compile process (compile-process.ts)
// makes one per changed file; the main thread and every answer thread turn it into a Zone in O(1)
// in the zone's size, compiling nothing: no YAML is read outside the compile.
import type { ZoneDnssec } from '../dnssec/zone-keys.js';
import type { Site } from '../policy/site.js';
import type { RRset } from '../wire/rr.js';
import { ImageNodes, steeredNodes } from './image.js';
import type { Zone, ZoneNode } from './zone.js';

/** One compiled zone as data for the threads: its image, its steered nodes and its sites. */
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
  /** The steered and delegated nodes, by case-folded name (copied: few, and small). */
  readonly steered: ReadonlyMap<string, ZoneNode>;
  /** The zone's sites, by name: the same objects as the members of its steered records. */
  readonly sites: ReadonlyMap<string, Site>;
}

/** The zone a share stands for: wraps its image and its steered nodes, compiles nothing. */
export function zoneFromShare(s: ZoneShare): Zone {
  const { image, steered, ...rest } = s;
  return { ...rest, nodes: new ImageNodes(image, steered) };
}

/** The share of a compiled zone whose static nodes are in `image`. */
export function shareOf(z: Zone, image: SharedArrayBuffer): ZoneShare {
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
    steered: steeredNodes(z.nodes),
    sites: z.sites,
  };
}
