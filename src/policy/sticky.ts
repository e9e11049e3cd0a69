import { ProblemCode as C } from '../base/errors.js';
import { siteFacts } from './facts.js';
import { parseMembers } from './members.js';
import type { SiteAddress } from './site.js';
import type { ClientHint, PickContext, PolicyCompiler, Verdict } from './types.js';

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

/**
 * `steer: sticky` — session persistence by weighted rendezvous (highest random weight) hashing of
 * the client's network (/24 IPv4, /56 IPv6, or the shorter ECS source prefix) over the available
 * sites. A network keeps its site while that site is available; when a site leaves, only its
 * networks move (each to its own next-highest site, so they spread over the rest by weight), and
 * they come back when it returns. Sites are hashed by name, so adding a site or reordering the
 * list moves only the networks the new site wins. The address within the site is chosen the
 * same way, so a client keeps its address too when the site has more than `answers`.
 * ECS scope: the client's prefix, the network that was hashed.
 */
export const sticky: PolicyCompiler = {
  kind: 'sticky',
  keys: ['sites'],
  defaultAnswers: 8,
  compile(src, { entries, node, path, sites }) {
    const e = entries.find((x) => x.key === 'sites');
    if (!e) {
      src.report(
        node,
        path,
        C.missingKey,
        'steer: sticky needs "sites" (a list, or site: weight pairs)',
      );
      return null;
    }
    const m = parseMembers(src, e, sites, true);
    if (!m) return null;
    const weights = m.sites.map((s, i) => m.weights?.get(i) ?? s.weight);
    const compiled: Sticky = Object.freeze({ names: m.sites.map((s) => s.name), weights });
    return {
      members: m.sites,
      policy: {
        kind: 'sticky',
        clientDependent: true,
        pick: (ctx, available) => pickSticky(compiled, ctx, available),
        pickAddresses: stickyAddresses,
      },
    };
  },
};

/** A compiled sticky record: its sites' names (the hash keys) and weights, by member index. */
interface Sticky {
  readonly names: readonly string[];
  readonly weights: readonly number[];
}

/** The available site with the highest rendezvous score for the client's network. */
function pickSticky(c: Sticky, ctx: PickContext, available: readonly number[]): Verdict {
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
