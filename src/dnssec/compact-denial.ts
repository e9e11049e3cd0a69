// Compact denial of existence (RFC 9824, "black lies"): a signer that answers on line proves a name
// or type absent with one NSEC at the query name whose next name is the name's immediate
// successor. The NSEC covers nothing but the query name, so one signature per answer suffices
// and the NSEC chain cannot be walked to list the zone.
import { foldCase, MAX_NAME_OCTETS, nameToLabels, wireLength } from '../wire/name.js';
import type { RRset } from '../wire/rr.js';
import { DnssecType, type SignableRRset } from './records.js';

/** RFC 9824 5.1: the Compact Answers OK (CO) EDNS header flag, bit 1 of the OPT flags. */
export const EDNS_CO = 0x4000;

function escape(label: Uint8Array): string {
  let s = '';
  for (const b of label) {
    if (b === 0x2e || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b > 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\' + String(b).padStart(3, '0');
  }
  return s;
}

/**
 * RFC 9824 3: the NSEC's Next Domain Name is the query name's immediate successor in canonical
 * order, "\000.<qname>". A name already at 255 octets has no room for the extra label; then the
 * successor is found as RFC 4471 3.1.2 does, by incrementing the last octet of the first label
 * that is not all 0xFF (no longer name can exist below it).
 */
export function successorName(qname: string): string {
  const name = foldCase(qname);
  if (wireLength(name) + 2 <= MAX_NAME_OCTETS) return name === '' ? '\\000' : `\\000.${name}`;
  const labels = nameToLabels(name);
  for (let i = 0; i < labels.length; i++) {
    const l = Uint8Array.from(labels[i]!);
    let j = l.length - 1;
    while (j >= 0 && l[j] === 0xff) j--;
    if (j < 0) continue;
    l[j]! += 1;
    return [escape(l.subarray(0, j + 1)), ...labels.slice(i + 1).map(escape)].join('.');
  }
  return '\\000';
}

/**
 * A name just before `name` in canonical order (RFC 4034 6.1), as RFC 4471 3.1.2.1 makes one:
 * the first label's last octet decremented and the label filled up with 0xFF octets (as far as
 * 63 octets and the 255-octet name limit allow), or, when that octet is 0x00, the label without
 * it. Only names below the result lie between it and `name`, and none of those exist in a zone
 * anyone writes, so an NSEC from it to `name`'s successor covers nothing real (RFC 4470 3.1).
 */
export function predecessorName(name: string): string {
  const labels = nameToLabels(foldCase(name));
  const first = labels[0];
  if (!first) return '';
  const rest = labels.slice(1).map(escape);
  const last = first[first.length - 1]!;
  if (last === 0) {
    const shorter = first.subarray(0, first.length - 1);
    return shorter.length ? [escape(shorter), ...rest].join('.') : rest.join('.');
  }
  const room = MAX_NAME_OCTETS - wireLength(foldCase(name)) + first.length;
  const len = Math.min(63, room);
  const l = new Uint8Array(Math.max(len, first.length)).fill(0xff);
  l.set(first);
  l[first.length - 1] = last - 1;
  return [escape(l), ...rest].join('.');
}

/**
 * The first name after `name` and everything below it in canonical order (RFC 4034 6.1): the
 * first label with a 0x00 octet added, or, at 63 octets, with its last octet below 0xFF
 * incremented and what follows it dropped. An NSEC to it from predecessorName(name) covers
 * `name` and its descendants and nothing beside them, so a validator's closest encloser (the
 * longest name both ends share with the query, RFC 4035 5.3.4) is `name`'s parent.
 */
export function nextSiblingName(name: string): string {
  const folded = foldCase(name);
  const labels = nameToLabels(folded);
  const first = labels[0];
  if (!first) return '';
  const rest = labels.slice(1).map(escape);
  if (first.length < 63 && wireLength(folded) < MAX_NAME_OCTETS)
    return [escape(Uint8Array.from([...first, 0])), ...rest].join('.');
  let j = first.length - 1;
  while (j >= 0 && first[j] === 0xff) j--;
  if (j < 0) return rest.join('.'); // all 0xFF: no sibling after it; the parent's successor
  const l = Uint8Array.from(first.subarray(0, j + 1));
  l[j]! += 1;
  return [escape(l), ...rest].join('.');
}

/**
 * RFC 2308 5 with RFC 9077 3.2: negative answers, their NSEC included, live for the smaller of
 * the SOA's TTL and its MINIMUM field.
 */
export function negativeTtl(soa: RRset): number {
  const rd = soa.rdata[0];
  if (rd?.kind !== 'soa') throw new Error(`${soa.name}: not an SOA RRset`);
  return Math.min(soa.ttl, rd.minimum);
}

export type Denial =
  /** The name does not exist (NXDOMAIN). */
  | { kind: 'nxdomain' }
  /** The name exists without the type asked (NODATA); `types` are those it has, none for an empty non-terminal. */
  | { kind: 'nodata'; types: readonly number[] };

/**
 * The NSEC RRset of a compact answer (RFC 9824 3), to be signed like any other RRset:
 * - nonexistent name: the rcode is NOERROR and the bitmap holds RRSIG, NSEC and the NXNAME
 *   pseudo-type (RFC 9824 2), which tells a resolver the name really is absent; with the CO flag
 *   (RFC 9824 5) the server may restore NXDOMAIN as the rcode;
 * - nonexistent type: the bitmap holds the name's types plus RRSIG and NSEC, never the type asked.
 */
export function compactDenialNsec(qname: string, denial: Denial, ttl: number): SignableRRset {
  const types =
    denial.kind === 'nxdomain'
      ? [DnssecType.RRSIG, DnssecType.NSEC, DnssecType.NXNAME]
      : [...new Set([...denial.types, DnssecType.RRSIG, DnssecType.NSEC])];
  return {
    name: qname,
    type: DnssecType.NSEC,
    ttl,
    rdata: [{ kind: 'nsec', next: successorName(qname), types: types.sort((a, b) => a - b) }],
  };
}
