// A zone image: a compiled zone's static nodes as one immutable block of bytes in a
// SharedArrayBuffer with an open-addressing hash index, made once by the main thread and read by
// every answer thread (docs/architecture.md#zone-images). Installing a generation in a thread is
// then O(1): it wraps the same memory; a node is decoded back to RRset data when a query needs it,
// and a small per-thread cache keeps the hot ones. Steered and delegated names (few) are not in
// the image: they stay objects (their compiled policies are plain data, src/policy/policy-data.ts)
// and cross to each thread beside it, by structured clone (share.ts).
import { ImageReader, ImageWriter, readNode, writeNode } from './image-codec.js';
import type { ZoneNode } from './zone.js';

const MAGIC = 0x475a4931; // "GZI1"
const HEADER = 12;
/** Decoded nodes a thread keeps per zone; a full cache is emptied (a flood of made-up names). */
export const IMAGE_CACHE_NODES = 4096;

/** FNV-1a over the UTF-16 code units of a case-folded name: cheap, and spreads names well. */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Is this node kept in the image? Steered names and delegations come beside it, as objects. */
export function isStatic(node: ZoneNode): boolean {
  return !node.dynamic && !node.delegation;
}

/** The image of a zone's static nodes (by case-folded name), in shared memory. */
export function encodeImage(nodes: ReadonlyMap<string, ZoneNode>): SharedArrayBuffer {
  const keys: string[] = [];
  for (const [key, node] of nodes) if (isStatic(node)) keys.push(key);
  // Load factor at most 1/2: a miss (NXDOMAIN, a wildcard probe) ends after a probe or two.
  let capacity = 8;
  while (capacity < keys.length * 2) capacity *= 2;
  const w = new ImageWriter();
  for (let i = 0; i < HEADER + capacity * 4; i++) w.u8(0);
  const slots = new Uint32Array(capacity);
  for (const key of keys) {
    const h = hashKey(key);
    let s = h & (capacity - 1);
    while (slots[s] !== 0) s = (s + 1) & (capacity - 1);
    slots[s] = w.length;
    w.u32(h);
    w.str(key);
    writeNode(w, nodes.get(key)!);
  }
  const sab = new SharedArrayBuffer(w.length);
  const out = new Uint8Array(sab);
  out.set(w.buf.subarray(0, w.length));
  const view = new DataView(sab);
  view.setUint32(0, MAGIC);
  view.setUint32(4, keys.length);
  view.setUint32(8, capacity);
  for (let s = 0; s < capacity; s++) view.setUint32(HEADER + s * 4, slots[s]!);
  return sab;
}

/**
 * A zone's steered and delegated nodes (those not kept in an image), by case-folded name. From an
 * image, its own list (no node decoded); from a zone compiled in place, a walk of its map.
 */
export function steeredNodes(nodes: ReadonlyMap<string, ZoneNode>): ReadonlyMap<string, ZoneNode> {
  if (nodes instanceof ImageNodes) return nodes.steeredNodes;
  const out = new Map<string, ZoneNode>();
  for (const [key, node] of nodes) if (!isStatic(node)) out.set(key, node);
  return out;
}

/**
 * A zone's nodes read from its image, with the steered nodes laid over it: the ReadonlyMap the
 * resolver (server/resolve.ts) and DNSSEC denial (dnssec/answer.ts) read. Immutable, like the
 * Map it stands for; its cache is private to the thread that made it.
 */
export class ImageNodes implements ReadonlyMap<string, ZoneNode> {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly capacity: number;
  private readonly count: number;
  private readonly cache = new Map<string, ZoneNode | null>();

  constructor(
    readonly image: SharedArrayBuffer,
    /** Steered and delegated nodes, by case-folded name (not in the image). */
    private readonly steered: ReadonlyMap<string, ZoneNode>,
  ) {
    this.bytes = new Uint8Array(image);
    this.view = new DataView(image);
    if (this.view.getUint32(0) !== MAGIC) throw new Error('not a zone image');
    this.count = this.view.getUint32(4);
    this.capacity = this.view.getUint32(8);
  }

  /** The steered and delegated nodes: what is not in the image, listed without decoding it. */
  get steeredNodes(): ReadonlyMap<string, ZoneNode> {
    return this.steered;
  }

  get size(): number {
    return this.count + this.steered.size;
  }

  get(key: string): ZoneNode | undefined {
    const s = this.steered.get(key);
    if (s) return s;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = this.lookup(key);
      if (this.cache.size >= IMAGE_CACHE_NODES) this.cache.clear();
      this.cache.set(key, hit);
    }
    return hit ?? undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  private lookup(key: string): ZoneNode | null {
    const h = hashKey(key);
    const mask = this.capacity - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const at = this.view.getUint32(HEADER + s * 4);
      if (at === 0) return null;
      if (this.view.getUint32(at) !== h) continue;
      const r = new ImageReader(this.bytes, at + 4);
      if (r.str() === key) return readNode(r);
    }
  }

  /** Every node, decoding the whole image: for export, never per query. */
  *entries(): MapIterator<[string, ZoneNode]> {
    yield* this.steered;
    for (let s = 0; s < this.capacity; s++) {
      const at = this.view.getUint32(HEADER + s * 4);
      if (at === 0) continue;
      const r = new ImageReader(this.bytes, at + 4);
      const key = r.str();
      yield [key, readNode(r)];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<ZoneNode> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, ZoneNode]> {
    return this.entries();
  }

  forEach(fn: (value: ZoneNode, key: string, map: ReadonlyMap<string, ZoneNode>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
