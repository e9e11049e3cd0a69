// The stream of fuzz packets for one transport: first every seed cut at every length, then a
// seeded mix of structured queries, mutated real queries and crafted malformed messages.
import { badOpt, garbage, names, pointers } from './craft.js';
import { bitFlip, havoc, header, splice, truncate } from './mutate.js';
import { Rng } from './rng.js';
import { SEEDS } from './seeds.js';
import { sampleStructured } from './structured.js';

export interface Packet {
  /** The generator that made it, for the counts. */
  kind: string;
  bytes: Buffer;
}

/** Generators by weight (out of 100). Structured queries lead: they reach the answer paths. */
const MIX: [number, string, (r: Rng, self: PacketSource) => Buffer][] = [
  [30, 'structured', (_r, s) => s.structured()],
  [4, 'seed', (r) => Buffer.from(r.pick(SEEDS))],
  [10, 'bit-flip', (r) => bitFlip(r.pick(SEEDS), r)],
  [4, 'truncate', (r) => truncate(r.pick(SEEDS), r)],
  [10, 'header', (r) => header(r.pick(SEEDS), r)],
  [8, 'havoc', (r) => havoc(r.pick(SEEDS), r)],
  [3, 'splice', (r) => splice(r.pick(SEEDS), r.pick(SEEDS), r)],
  [15, 'bad-opt', (r) => badOpt(r)],
  [6, 'pointers', (r) => pointers(r)],
  [6, 'names', (r) => names(r)],
  [4, 'garbage', (r) => garbage(r)],
];
const TOTAL = MIX.reduce((n, [w]) => n + w, 0);

export class PacketSource {
  private readonly r: Rng;
  private readonly sweep: Buffer[];
  private pool: Buffer[] = [];

  constructor(seed: number) {
    this.r = new Rng(seed);
    // Truncation at every length of every seed: each is a message ending in a different field.
    this.sweep = SEEDS.flatMap((s) => Array.from({ length: s.length }, (_, n) => s.subarray(0, n)));
  }

  /** The random generator, for callers that draw framing tricks from the same seed. */
  get rng(): Rng {
    return this.r;
  }

  next(): Packet {
    const cut = this.sweep.shift();
    if (cut) return { kind: 'truncate', bytes: Buffer.from(cut) };
    let pick = this.r.int(TOTAL);
    for (const [w, kind, make] of MIX) {
      if (pick < w) return { kind, bytes: make(this.r, this) };
      pick -= w;
    }
    throw new Error('unreachable: weights cover the range');
  }

  /** The next fast-check sample; drawn in batches, each batch seeded from this source's PRNG. */
  structured(): Buffer {
    if (this.pool.length === 0) this.pool = sampleStructured(this.r.seed(), 500);
    return this.pool.pop()!;
  }
}
