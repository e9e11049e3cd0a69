// A site's own nameserver (`nameserver:`), which steer: delegate refers to (docs/delegation.md).
import { foldCase, isSubdomain } from '../wire/name.js';
import type { RData } from '../wire/rr.js';
import type { SiteNameserver } from '../policy/site.js';
import { ProblemCode as C } from '../base/errors.js';
import { nameserverAddresses } from './glue.js';
import { resolveName } from '../wire/names.js';
import {
  checkKeys,
  describe,
  isMap,
  isScalar,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarText,
  type Source,
} from '../base/yaml-source.js';

/** Keys of a site's `nameserver:` (docs/delegation.md). */
export const NAMESERVER_KEYS = ['name', 'addresses'] as const;

/**
 * A site's nameserver inside the zone, as written: compileZone makes its addresses the zone's A
 * and AAAA records at that name (glue), with positions for the problems that needs.
 */
export interface NameserverGlue {
  readonly name: string;
  readonly nameNode: Node | null;
  readonly namePath: string;
  readonly addressesNode: Node | null;
  readonly addressesPath: string;
  readonly v4: readonly RData[];
  readonly v6: readonly RData[];
  /** An address had a problem, so the glue is incomplete: checks that need it stay quiet. */
  readonly tainted: boolean;
}

/**
 * A site's `nameserver: { name, addresses }`, under the rules of the zone's own `nameservers:`: a
 * name inside the zone needs its addresses (glue), one outside it takes none. A nameserver with
 * problems is still returned (they are reported), so a `steer: delegate` record naming its site
 * is not also told the site has none.
 */
export function parseNameserver(
  src: Source,
  node: Node | null,
  path: string,
  origin: string,
  site: string,
  taken: Map<string, { site: string; path: string }>,
  glue: NameserverGlue[] | undefined,
): SiteNameserver {
  if (!isMap(node)) {
    src.report(
      node,
      path,
      C.wrongType,
      `must be a mapping { name, addresses }, got ${describe(node)}`,
    );
    return { name: '', addresses: [] };
  }
  const entries = mapEntries(src, node, path) ?? [];
  checkKeys(src, entries, NAMESERVER_KEYS, path);
  const nameE = entries.find((x) => x.key === 'name');
  if (!nameE) {
    src.report(
      node,
      path,
      C.missingKey,
      'missing "name" (the nameserver\'s name, e.g. { name: ns.fra, addresses: [192.0.2.53] })',
    );
    return { name: '', addresses: [] };
  }
  const text = scalarText(nameE.value);
  const r = text === null ? null : resolveName(text, origin);
  if (!r || !r.ok) {
    if (!r)
      src.report(
        nameE.value,
        nameE.path,
        C.wrongType,
        `must be a name, got ${describe(nameE.value)}`,
      );
    else src.report(nameE.value, nameE.path, C.badName, r.message);
    return { name: text ?? '', addresses: [] };
  }
  const prev = taken.get(foldCase(r.name));
  if (prev) {
    src.report(
      nameE.value,
      nameE.path,
      C.badValue,
      `nameserver ${r.name} is already site ${prev.site}'s (${prev.path}): each site needs a nameserver of its own, so that a referral can leave a site out`,
    );
    return { name: r.name, addresses: [] };
  }
  taken.set(foldCase(r.name), { site, path: nameE.path });
  const inZone = isSubdomain(foldCase(r.name), foldCase(origin));
  const addrE = entries.find((x) => x.key === 'addresses');
  const none =
    !addrE ||
    (isScalar(addrE.value) && addrE.value.value === null) ||
    (isSeq(addrE.value) && addrE.value.items.length === 0);
  const mark = src.problems.length;
  const items = none ? [] : listOf(src, addrE!.value, addrE!.path);
  if (items.length === 0 && src.problems.length > mark) return { name: r.name, addresses: [] };
  if (!inZone && items.length) {
    src.report(
      addrE!.value,
      addrE!.path,
      C.outOfZone,
      `${r.name} is outside zone ${origin}: its addresses are not served here; give only its name`,
    );
    return { name: r.name, addresses: [] };
  }
  if (inZone && items.length === 0) {
    src.report(
      nameE.value,
      nameE.path,
      C.missingGlue,
      `${r.name} is inside zone ${origin}, so it needs its addresses (glue), e.g. addresses: [192.0.2.53]`,
    );
    return { name: r.name, addresses: [] };
  }
  const { v4, v6, bad } = nameserverAddresses(src, items);
  if (inZone)
    glue?.push({
      name: r.name,
      nameNode: nameE.value,
      namePath: nameE.path,
      addressesNode: addrE!.value,
      addressesPath: addrE!.path,
      v4,
      v6,
      tainted: bad,
    });
  return { name: r.name, addresses: [...v4, ...v6] };
}
