import type { RData } from '../wire/rr.js';
import { ProblemCode as C } from '../base/errors.js';
import { rdataText } from './present.js';
import { ipv4Bytes, ipv6Bytes, ipv6Text } from '../base/address.js';
import { describe, type Item, type Source } from '../base/yaml-source.js';

/**
 * The addresses given for a nameserver (apex `nameservers:` and a site's `nameserver:`), as A and
 * AAAA record data. Each bad or repeated value is a problem; `bad` says whether any was dropped.
 */
export function nameserverAddresses(
  src: Source,
  items: readonly Item[],
): { v4: RData[]; v6: RData[]; bad: boolean } {
  const v4: RData[] = [];
  const v6: RData[] = [];
  const seen = new Map<string, string>();
  for (const a of items) {
    if (a.text === null) {
      src.report(
        a.node,
        a.path,
        C.wrongType,
        `must be an IPv4 or IPv6 address, got ${describe(a.node)}`,
      );
      continue;
    }
    const b4 = ipv4Bytes(a.text);
    const b6 = b4 ? null : ipv6Bytes(a.text);
    const rd: RData | null = b4
      ? { kind: 'a', address: a.text, bytes: b4 }
      : b6
        ? { kind: 'aaaa', address: ipv6Text(b6), bytes: b6 }
        : null;
    if (!rd) {
      src.report(a.node, a.path, C.badAddress, `not an IPv4 or IPv6 address: "${a.text}"`);
      continue;
    }
    const dup = seen.get(rdataText(rd));
    if (dup) {
      src.report(
        a.node,
        a.path,
        C.badValue,
        `duplicate of ${dup}: an RRset holds each record once (RFC 2181 5)`,
      );
      continue;
    }
    seen.set(rdataText(rd), a.path);
    (rd.kind === 'a' ? v4 : v6).push(rd);
  }
  return { v4, v6, bad: v4.length + v6.length < items.length };
}
