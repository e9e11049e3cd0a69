import { isIP } from 'node:net';
import {
  parseContinent,
  parseCountry,
  parseLocation,
  parseSubdivision,
} from '../geoip/location-syntax.js';
import { foldCase, isSubdomain } from '../wire/name.js';
import type { RData } from '../wire/rr.js';
import { compileProbe } from '../health/config.js';
import { NO_PROBE, type ProbeSpec } from '../health/spec.js';
import type { AdminState } from '../health/table.js';
import type { Site, SiteAddress, SiteNameserver } from '../policy/site.js';
import { ProblemCode as C } from '../base/errors.js';
import { nameserverAddresses } from './glue.js';
import { resolveName } from '../wire/names.js';
import { ipv4Bytes, ipv6Bytes, ipv6Text } from '../base/address.js';
import {
  checkKeys,
  describe,
  isMap,
  isScalar,
  isSeq,
  listOf,
  mapEntries,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';

export const SITE_KEYS = [
  'location',
  'country',
  'continent',
  'subdivision',
  'addresses',
  'weight',
  'state',
  'probe',
  'min_healthy',
  'nameserver',
] as const;
/** Keys of an address written as a mapping. */
export const ADDRESS_KEYS = ['address', 'weight', 'probe'] as const;
/** Keys of a site's `nameserver:` (docs/delegation.md). */
export const NAMESERVER_KEYS = ['name', 'addresses'] as const;
export const MAX_WEIGHT = 1000;

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
 * One address: "192.0.2.10" or { address: 192.0.2.10, weight: 2, probe: {...} }. Its own probe
 * replaces the site's (`siteProbe`) entirely; nothing is merged.
 */
function parseAddress(
  src: Source,
  node: Node | null,
  path: string,
  siteProbe: ProbeSpec,
): SiteAddress | null {
  let text: string | null;
  let weight = 1;
  let probe = siteProbe;
  let at: Node | null = node;
  if (isMap(node)) {
    const entries = mapEntries(src, node, path) ?? [];
    checkKeys(src, entries, ADDRESS_KEYS, path);
    const a = entries.find((e) => e.key === 'address');
    if (!a) {
      src.report(node, path, C.missingKey, 'missing "address"');
      return null;
    }
    const w = entries.find((e) => e.key === 'weight');
    if (w) weight = scalarInt(src, w.value, w.path, 1, MAX_WEIGHT) ?? 1;
    const p = entries.find((e) => e.key === 'probe');
    if (p) probe = compileProbe(src, p.value, p.path) ?? NO_PROBE;
    text = scalarText(a.value);
    at = a.value;
  } else text = scalarText(node);
  const b4 = text !== null ? ipv4Bytes(text) : null;
  if (b4)
    return {
      address: text!,
      family: 4,
      weight,
      rdata: { kind: 'a', address: text!, bytes: b4 },
      probe,
    };
  const b6 = text !== null && isIP(text) === 6 ? ipv6Bytes(text) : null;
  if (b6) {
    const canon = ipv6Text(b6);
    return {
      address: canon,
      family: 6,
      weight,
      rdata: { kind: 'aaaa', address: canon, bytes: b6 },
      probe,
    };
  }
  src.report(at, path, C.badAddress, `not an IPv4 or IPv6 address: ${describe(at)}`);
  return null;
}

/**
 * A site's `nameserver: { name, addresses }`, under the rules of the zone's own `nameservers:`: a
 * name inside the zone needs its addresses (glue), one outside it takes none. A nameserver with
 * problems is still returned (they are reported), so a `steer: delegate` record naming its site
 * is not also told the site has none.
 */
function parseNameserver(
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

/**
 * Compile the `sites:` stanza. Every site gets an index (its position), which policies use at
 * query time instead of names (names are resolved once, here and when records are compiled).
 * Names in it (site nameservers) are resolved against `origin`; the in-zone nameservers are added
 * to `glue` for compileZone.
 */
export function compileSites(
  src: Source,
  node: Node | null,
  path: string,
  origin: string,
  glue?: NameserverGlue[],
): Map<string, Site> {
  const sites = new Map<string, Site>();
  /** Nameserver names in use, case-folded: each site needs its own (docs/delegation.md). */
  const nameservers = new Map<string, { site: string; path: string }>();
  for (const e of mapEntries(src, node, path) ?? []) {
    // A badly named site is still compiled (records naming it are not also told it is unknown).
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(e.key))
      src.report(
        e.keyNode,
        e.path,
        C.badValue,
        `site names use letters, digits, '-', '_' and '.', got "${e.key}"`,
      );
    const entries = mapEntries(src, e.value, e.path);
    if (!entries) continue;
    checkKeys(src, entries, SITE_KEYS, `site ${e.key}`);
    const get = (k: string) => entries.find((x) => x.key === k);
    const loc = get('location');
    const country = get('country');
    const continent = get('continent');
    const subdivision = get('subdivision');
    const weightE = get('weight');
    const stateE = get('state');
    const addrE = get('addresses');
    const probeE = get('probe');
    const minE = get('min_healthy');
    const nsE = get('nameserver');
    // Without a probe an address is always up (docs/health.md: no probe means type none).
    const siteProbe = probeE
      ? (compileProbe(src, probeE.value, probeE.path) ?? NO_PROBE)
      : NO_PROBE;
    let state: AdminState = 'enabled';
    if (stateE) {
      const t = scalarText(stateE.value);
      if (t === 'enabled' || t === 'drain') state = t;
      else
        src.report(
          stateE.value,
          stateE.path,
          C.badValue,
          `must be "enabled" or "drain", got ${describe(stateE.value)}`,
        );
    }
    const v4: SiteAddress[] = [];
    const v6: SiteAddress[] = [];
    if (!addrE)
      src.report(
        e.keyNode,
        e.path,
        C.missingKey,
        `site ${e.key} needs "addresses" (its IPv4 and IPv6 VIPs)`,
      );
    else if (isSeq(addrE.value) && addrE.value.items.length === 0)
      src.report(addrE.value, addrE.path, C.badValue, 'an empty list: give at least one address');
    else if (!isSeq(addrE.value) && !(isScalar(addrE.value) && addrE.value.value !== null))
      src.report(
        addrE.value,
        addrE.path,
        C.wrongType,
        `must be an address or a list of addresses, got ${describe(addrE.value)}`,
      );
    else {
      // One address may be written without a list, as record values may.
      const items = isSeq(addrE.value)
        ? addrE.value.items.map((n, i) => ({ n: n as Node, p: `${addrE.path}[${i}]` }))
        : [{ n: addrE.value as Node, p: addrE.path }];
      const seen = new Map<string, string>();
      for (const { n, p } of items) {
        const a = parseAddress(src, n, p, siteProbe);
        if (!a) continue;
        const dup = seen.get(a.address);
        if (dup) {
          src.report(
            n,
            p,
            C.badValue,
            `duplicate of ${dup}: site ${e.key} lists address ${a.address} twice`,
          );
          continue;
        }
        seen.set(a.address, p);
        (a.family === 4 ? v4 : v6).push(a);
      }
    }
    let minHealthy = 1;
    if (minE) {
      const n = scalarInt(src, minE.value, minE.path, 1, 1000);
      const count = v4.length + v6.length;
      if (n !== null && count > 0 && n > count)
        src.report(
          minE.value,
          minE.path,
          C.badValue,
          `min_healthy ${n} is more than the ${count} address(es) site ${e.key} has, so it could never be available`,
        );
      else if (n !== null) minHealthy = n;
    }
    const sub = subdivision ? parseSubdivision(src, subdivision.value, subdivision.path) : null;
    const ctry = country ? parseCountry(src, country.value, country.path) : null;
    if (sub && ctry && !sub.startsWith(`${ctry}-`))
      src.report(
        subdivision!.value,
        subdivision!.path,
        C.badValue,
        `subdivision ${sub} is not in country ${ctry}`,
      );
    const nameserver = nsE
      ? parseNameserver(src, nsE.value, nsE.path, origin, e.key, nameservers, glue)
      : null;
    sites.set(e.key, {
      name: e.key,
      index: sites.size,
      location: loc ? parseLocation(src, loc.value, loc.path) : null,
      country: ctry,
      continent: continent ? parseContinent(src, continent.value, continent.path) : null,
      subdivision: sub,
      weight: weightE ? (scalarInt(src, weightE.value, weightE.path, 1, MAX_WEIGHT) ?? 1) : 1,
      state,
      minHealthy,
      v4,
      v6,
      nameserver,
    });
  }
  return sites;
}
