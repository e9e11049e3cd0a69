// The pick of `steer: sticky` (sticky.ts compiles it; docs/policies/sticky.md): weighted
// rendezvous hashing of the client's network, over the sites and over a site's addresses.
import { siteFacts } from './facts.js';
import type { StickyPolicy } from './policy-data.js';
import type { SiteAddress } from './site.js';
import type { ClientHint, PickContext, Picker, Verdict } from './types.js';

export const stickyPicker: Picker<StickyPolicy> = {
  pick: (p, _members, ctx, available) => pickSticky(p, ctx, available),
  pickAddresses: (_p, ctx, candidates, room) => stickyAddresses(ctx, candidates, room),
};

/** 32-bit FNV-1a over a seed and octets, finished with murmur3's avalanche so close inputs spread out. */
function hash32(bytes: Uint8Array, seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The octets that identify the client's network: its significant prefix (bits beyond it are zero). */
function network(c: ClientHint): Uint8Array {
  return c.address.subarray(0, Math.ceil(c.prefix / 8));
}

/**
 * Weighted rendezvous score (the logarithmic method): -weight / ln(u), u the network+key hash
 * mapped into (0,1). The highest score wins, and a key's share of networks is its weight's share.
 */
function score(net: Uint8Array, key: string, weight: number): number {
  const u = (hash32(net, key) + 0.5) / 4294967296;
  return -weight / Math.log(u);
}

/** The available site with the highest rendezvous score for the client's network. */
function pickSticky(c: StickyPolicy, ctx: PickContext, available: readonly number[]): Verdict {
  const { names, weights } = c;
  const net = network(ctx.client);
  let best = -1;
  let bestScore = -Infinity;
  for (const i of available) {
    const s = score(net, names[i]!, weights[i]!);
    ctx.trace?.push(`  ${names[i]}: score ${s.toFixed(3)} (weight ${weights[i]})`);
    if (ctx.facts)
      Object.assign(siteFacts(ctx.facts, names[i]!), { score: s, weight: weights[i]! });
    if (s > bestScore) {
      best = i;
      bestScore = s;
    }
  }
  if (ctx.facts)
    ctx.facts.decidedBy = `the highest rendezvous score for the client's network (/${ctx.client.prefix})`;
  return { sites: [best], scope: ctx.client.prefix };
}

/** The site's addresses by the same hashing, so a client keeps its addresses too. */
function stickyAddresses(
  ctx: PickContext,
  candidates: readonly SiteAddress[],
  room: number,
): SiteAddress[] {
  const net = network(ctx.client);
  return candidates
    .map((a) => ({ a, s: score(net, a.address, a.weight) }))
    .sort((x, y) => y.s - x.s)
    .slice(0, room)
    .map((x) => x.a);
}
