// Operator overrides as compiled (overrides.ts reads them from YAML): one binary trie per
// address family, looked up per query. Plain code over plain data, so the answer threads build
// one from the entries the main thread shares (shared.ts) without a YAML reader.
import type { Location } from './types.js';
import { bitAt, type Network } from '../base/address.js';

export interface Override {
  readonly network: Network;
  /** The network in canonical CIDR text. */
  readonly text: string;
  /** file:line of the entry, for explain output. */
  readonly origin: string;
  readonly location: Location | null;
  /** True when `location` is the country's point because the entry gave a country and no location. */
  readonly locationFromCountry: boolean;
  readonly country: string | null;
  readonly continent: string | null;
  readonly subdivision: string | null;
  readonly site: string | null;
}

export interface OverrideMatch {
  /** The longest override holding the address, or null. */
  readonly override: Override | null;
  /** Prefix length of that override (0 when there is none). */
  readonly depth: number;
  /**
   * The deepest prefix length d at which an override lies in the address's /d but not in its
   * /(d+1), or -1. An answer for the address that must not cover that override is narrowed to
   * d+1 (see `narrowPrefix`).
   */
  readonly branch: number;
}

/**
 * The longest prefix that holds the address, is at least `base` long, and holds no override the
 * address is not in. A database network or a wide override that contains a more specific override
 * must not be reported (as the ECS scope, RFC 7871 7.2.1) with a prefix that covers it.
 */
export function narrowPrefix(base: number, branch: number): number {
  return branch >= base ? branch + 1 : base;
}

interface TrieNode {
  zero: TrieNode | null;
  one: TrieNode | null;
  value: Override | null;
}

const newNode = (): TrieNode => ({ zero: null, one: null, value: null });

/** Compiled overrides: one binary trie per address family. Immutable once built. */
export class OverrideSet {
  static readonly EMPTY = new OverrideSet(null, []);

  private readonly roots: Record<4 | 6, TrieNode> = { 4: newNode(), 6: newNode() };

  constructor(
    /** The file they came from; null when there is none. */
    readonly file: string | null,
    readonly entries: readonly Override[],
  ) {
    for (const o of entries) {
      let node = this.roots[o.network.family];
      for (let i = 0; i < o.network.prefix; i++) {
        const key = bitAt(o.network.bytes, i) ? 'one' : 'zero';
        node = node[key] ??= newNode();
      }
      node.value = o;
    }
  }

  /** Walk the address's bits once: the longest match and the deepest side branch. */
  match(address: Uint8Array): OverrideMatch {
    const bits = address.length * 8;
    let node = this.roots[bits === 32 ? 4 : 6];
    let override: Override | null = null;
    let depth = 0;
    let branch = -1;
    for (let d = 0; ; d++) {
      if (node.value) {
        override = node.value;
        depth = d;
      }
      if (d === bits) break;
      const one = bitAt(address, d) === 1;
      if (one ? node.zero : node.one) branch = d;
      const next = one ? node.one : node.zero;
      if (!next) break;
      node = next;
    }
    return { override, depth, branch };
  }
}
