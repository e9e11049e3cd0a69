// What RRL needs to know about a reply, and the two short forms a reply can take over UDP when
// RRL or cookies hold the answer back.
import { Rcode, Type } from '../wire/constants.js';
import { foldCase } from '../wire/name.js';
import type { Answer } from '../wire/rr.js';
import { nameHash, RrlClass } from './rrl.js';

/** A reply as sent: whole, truncated by an RRL slip, or BADCOOKIE (RFC 7873 5.2.3). */
export const Shape = { Full: 0, Truncated: 1, BadCookie: 2 } as const;
export type Shape = (typeof Shape)[keyof typeof Shape];

/**
 * The RRL class of a reply and the name its bucket is keyed on. As in Knot's mod-rrl (and BIND):
 * answers and NODATA are keyed on the question name, or on the wildcard it was synthesized from;
 * NXDOMAIN and errors on the zone (the root when none); a referral on the delegation point. So a
 * flood of random names counts as one, whether they exist or come from a wildcard.
 */
export function classify(
  answer: Answer,
  rcode: number,
  qname: string,
  zone: string | null,
): { cls: RrlClass; name: number } {
  if (rcode === Rcode.NXDOMAIN) return { cls: RrlClass.Nxdomain, name: nameHash(zone ?? '') };
  if (rcode !== Rcode.NOERROR) return { cls: RrlClass.Error, name: nameHash(zone ?? '') };
  const own = answer.wildcard ?? foldCase(qname);
  if (answer.answer.length > 0) return { cls: RrlClass.Answer, name: nameHash(own) };
  const ns = answer.aa ? undefined : answer.authority.find((s) => s.type === Type.NS);
  if (ns) return { cls: RrlClass.Referral, name: nameHash(foldCase(ns.name)) };
  return { cls: RrlClass.Nodata, name: nameHash(own) };
}

/**
 * Cut a reply already holding only its header and question down to `shape`: no records but our
 * OPT; a slip sets TC (RFC 1035 4.1.1) so a real resolver retries over TCP (as BIND and Knot
 * slip); BADCOOKIE puts 7, the low bits of 23, in the header (the OPT carries the upper bits).
 */
export function shapeReply(out: Buffer, shape: Shape, hasOpt: boolean): void {
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(hasOpt ? 1 : 0, 10);
  if (shape === Shape.Truncated) out[2]! |= 0x02;
  else {
    out[2]! &= ~0x06; // no AA, no TC: nothing is answered
    out[3] = (out[3]! & 0xf0) | (Rcode.BADCOOKIE & 0xf);
  }
}
