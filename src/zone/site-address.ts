// One address of a site under `sites:`, with its weight and probe (docs/health.md).
import { isIP } from 'node:net';
import { compileProbe } from '../health/config.js';
import { NO_PROBE, type ProbeSpec } from '../health/spec.js';
import type { SiteAddress } from '../policy/site.js';
import { ADDRESS_KEYS, MAX_WEIGHT } from './site-keys.js';
import { ProblemCode as C } from '../base/errors.js';
import { ipv4Bytes, ipv6Bytes, ipv6Text } from '../base/address.js';
import {
  checkKeys,
  describe,
  isMap,
  mapEntries,
  type Node,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';

/**
 * One address: "192.0.2.10" or { address: 192.0.2.10, weight: 2, probe: {...} }. Its own probe
 * replaces the site's (`siteProbe`) entirely; nothing is merged.
 */
export function parseAddress(
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
