// The `sites:` stanza of a zone file: each datacenter site with its location, addresses (site-
// address.ts), health settings and own nameserver (site-nameserver.ts), compiled once; policies
// refer to sites by index at query time.
import {
  parseContinent,
  parseCountry,
  parseLocation,
  parseSubdivision,
} from '../geoip/location-syntax.js';
import { compileProbe } from '../health/config.js';
import { NO_PROBE } from '../health/spec.js';
import type { AdminState } from '../health/table.js';
import type { Site, SiteAddress } from '../policy/site.js';
import { ProblemCode as C } from '../base/errors.js';
import { parseAddress } from './site-address.js';
import { MAX_WEIGHT, SITE_KEYS } from './site-keys.js';
import { type NameserverGlue, parseNameserver } from './site-nameserver.js';
import {
  checkKeys,
  describe,
  isScalar,
  isSeq,
  mapEntries,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';

export { NAMESERVER_KEYS, type NameserverGlue } from './site-nameserver.js';

export { ADDRESS_KEYS, MAX_WEIGHT, SITE_KEYS } from './site-keys.js';

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
