import { parentName } from '../wire/name.js';
import type { Zone } from './zone.js';

/** The zones being served, looked up by longest match. Immutable; a reload builds a new set. */
export class ZoneSet {
  private readonly byKey: ReadonlyMap<string, Zone>;

  constructor(
    readonly zones: readonly Zone[],
    readonly generation: number,
  ) {
    this.byKey = new Map(zones.map((z) => [z.key, z]));
  }

  /** The zone with the longest origin that `key` (a case-folded name) is equal to or below. */
  find(key: string): Zone | null {
    for (let n: string | null = key; n !== null; n = parentName(n)) {
      const z = this.byKey.get(n);
      if (z) return z;
    }
    return null;
  }

  get(key: string): Zone | undefined {
    return this.byKey.get(key);
  }
}
