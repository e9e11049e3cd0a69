// The compile step of `steer: delegate` (docs/delegation.md): a name that is a child zone served
// by its sites' own nameservers. What it compiles is data (a Delegation); the referral is decided
// per query by referral.ts, and a `--site` instance's child zone is built by src/zone/site-zones.ts.
import { Type } from '../wire/constants.js';
import type { RData } from '../wire/rr.js';
import { ProblemCode as C } from '../base/errors.js';
import { checkKeys, type Entry, type Node, type Source } from '../base/yaml-source.js';
import { MAX_ANSWERS } from './dynamic.js';
import { parseMembers } from './members.js';
import { parseDynamicTtl, parseWhenAllDown } from './record-keys.js';
import { DELEGATE, DELEGATE_POLICY, type Delegation, NO_FALLBACK } from './referral.js';
import type { Site } from './site.js';

export { DELEGATE, type Delegation };
/** Keys of a `steer: delegate` record. `answers` and `fallback` name addresses, which a referral has not. */
export const DELEGATE_KEYS = ['steer', 'sites', 'ttl', 'when_all_down'] as const;
export const DELEGATE_WHEN_ALL_DOWN = ['serve_all', 'nodata'] as const;

/**
 * Compile a `steer: delegate` stanza (its keys other than record types). Problems go to `src`;
 * null when there were any.
 */
export function compileDelegation(
  src: Source,
  entries: readonly Entry[],
  node: Node | null,
  path: string,
  zone: string,
  name: string,
  zoneSites: ReadonlyMap<string, Site>,
): Delegation | null {
  const before = src.problems.length;
  const get = (k: string) => entries.find((e) => e.key === k);
  const fallbackE = get('fallback');
  checkKeys(
    src,
    entries.filter((e) => e !== fallbackE),
    DELEGATE_KEYS,
    'a "steer: delegate" record',
  );
  if (fallbackE)
    src.report(
      fallbackE.keyNode,
      fallbackE.path,
      C.badValue,
      '"fallback" cannot be used with steer: delegate: a referral names nameservers, not addresses (when_all_down: serve_all or nodata)',
    );
  const ttl = parseDynamicTtl(src, get('ttl'));
  const whenAllDown = parseWhenAllDown(src, get('when_all_down'), DELEGATE_WHEN_ALL_DOWN, {
    fallback:
      'when_all_down: fallback cannot be used with steer: delegate: a referral names nameservers, not addresses; use serve_all (refer to every site) or nodata',
  });
  const sitesE = get('sites');
  if (!sitesE) {
    src.report(
      node,
      path,
      C.missingKey,
      'steer: delegate needs "sites" (the sites whose nameservers serve the child zone)',
    );
    return null;
  }
  const m = parseMembers(src, sitesE, zoneSites, false);
  if (!m) return null;
  m.sites.forEach((s, i) => {
    if (s.nameserver) return;
    const at = m.refs[i]!;
    src.report(
      at.node,
      at.path,
      C.missingKey,
      `site ${s.name} has no nameserver: steer: delegate refers resolvers to the nameserver of each of its sites, so site ${s.name} needs nameserver: { name, addresses }`,
    );
  });
  if (src.problems.length > before) return null;
  const members = m.sites;
  const nameservers: RData[] = members.map((s) => ({ kind: 'name', name: s.nameserver!.name }));
  return {
    zone,
    name,
    kind: DELEGATE,
    ttl,
    answers: MAX_ANSWERS,
    whenAllDown,
    fallback: NO_FALLBACK,
    members,
    policy: DELEGATE_POLICY,
    nameservers,
    ns: { name, type: Type.NS, ttl, rdata: nameservers },
  };
}
