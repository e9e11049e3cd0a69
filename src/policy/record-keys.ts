// The keys a steered record and a steer: delegate record share (ttl, when_all_down), and the
// fallback list, parsed once here for both compile steps.
import { ipv4Bytes, ipv6Bytes, ipv6Text } from '../base/address.js';
import { ProblemCode as C } from '../base/errors.js';
import {
  describe,
  type Entry,
  isSeq,
  listOf,
  scalarInt,
  scalarText,
  type Source,
} from '../base/yaml-source.js';
import type { RData } from '../wire/rr.js';
import { DEFAULT_DYNAMIC_TTL, MAX_DYNAMIC_TTL, type WhenAllDown } from './dynamic.js';

/** `ttl:`, or the dynamic default (30 s) when absent or bad (the problem is reported). */
export function parseDynamicTtl(src: Source, e: Entry | undefined): number {
  return e
    ? (scalarInt(src, e.value, e.path, 0, MAX_DYNAMIC_TTL, C.badTtl) ?? DEFAULT_DYNAMIC_TTL)
    : DEFAULT_DYNAMIC_TTL;
}

/**
 * `when_all_down:`, one of `allowed`; serve_all when absent. `reject` gives a reason for a value
 * that is valid elsewhere but not here (delegate's fallback), else the problem lists `allowed`.
 */
export function parseWhenAllDown(
  src: Source,
  e: Entry | undefined,
  allowed: readonly WhenAllDown[],
  reject: Partial<Record<WhenAllDown, string>> = {},
): WhenAllDown {
  if (!e) return 'serve_all';
  const t = scalarText(e.value);
  if (t !== null && (allowed as readonly string[]).includes(t)) return t as WhenAllDown;
  const why = t === null ? undefined : reject[t as WhenAllDown];
  src.report(
    e.value,
    e.path,
    C.badValue,
    why ?? `must be one of ${allowed.join(', ')}, got ${describe(e.value)}`,
  );
  return 'serve_all';
}

/** `fallback:` addresses by family; each address once (RFC 2181 5). */
export function parseFallback(src: Source, e: Entry): { 4: RData[]; 6: RData[] } {
  const fallback: { 4: RData[]; 6: RData[] } = { 4: [], 6: [] };
  const seen = new Map<string, string>();
  if (isSeq(e.value) && e.value.items.length === 0)
    src.report(e.value, e.path, C.badValue, 'an empty list: give at least one address');
  for (const item of listOf(src, e.value, e.path)) {
    const t = item.text ?? '';
    const b4 = ipv4Bytes(t);
    const b6 = b4 ? null : ipv6Bytes(t);
    const rd: RData | null = b4
      ? { kind: 'a', address: t, bytes: b4 }
      : b6
        ? { kind: 'aaaa', address: ipv6Text(b6), bytes: b6 }
        : null;
    if (!rd) {
      src.report(
        item.node,
        item.path,
        C.badAddress,
        `not an IPv4 or IPv6 address: ${describe(item.node)}`,
      );
      continue;
    }
    const dup = seen.get(rd.address);
    if (dup) {
      src.report(
        item.node,
        item.path,
        C.badValue,
        `duplicate of ${dup}: an RRset holds each record once (RFC 2181 5)`,
      );
      continue;
    }
    seen.set(rd.address, item.path);
    fallback[rd.kind === 'a' ? 4 : 6].push(rd);
  }
  return fallback;
}
