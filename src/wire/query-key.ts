import { Type } from './constants.js';
import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from './name.js';

const HEADER = 12;

/**
 * How the requestor's EDNS shapes a reply: no OPT, OPT, OPT with DO (RFC 3225 3), or OPT with DO
 * and CO (RFC 9824 5.1: compact denials then say NXDOMAIN; CO without DO changes nothing).
 */
export const EdnsShape = { None: 0, Edns: 1, DnssecOk: 2, CompactOk: 3 } as const;
export type EdnsShape = (typeof EdnsShape)[keyof typeof EdnsShape];

/** What scanPlainQuery learns about a query; reused across queries, so the scan allocates nothing. */
export interface PlainQuery {
  /** Offset just past the question name (its root octet). */
  qnameEnd: number;
  edns: EdnsShape;
  /** The OPT's UDP payload size field as sent (RFC 6891 6.1.2); 0 without EDNS. */
  udpSize: number;
  /** Offset of the EDNS Client Subnet option's data (RFC 7871), or -1 when there is none. */
  ecsAt: number;
  /** Length of that data. */
  ecsLen: number;
  /** Offset of the COOKIE option's data (RFC 7873 4), or -1 when there is none. */
  cookieAt: number;
  /** Length of that data: 8, or 16 to 40 (any other length declines the scan: FORMERR). */
  cookieLen: number;
}

/**
 * Recognise the shape nearly every query has, straight from the bytes: opcode QUERY, QR clear, one
 * question with an uncompressed name, nothing else but at most one well-formed version 0 OPT.
 * Returns false for anything else, which parseQuery then handles (FORMERR, NOTIMP, BADVERS, drop):
 * this only ever declines, it never decides an error.
 */
export function scanPlainQuery(msg: Uint8Array, out: PlainQuery): boolean {
  const len = msg.length;
  // Header: QR and opcode (top five bits of octet 2) zero, QDCOUNT 1, AN/NSCOUNT 0, ARCOUNT <= 1.
  if (len < HEADER + 5 || (msg[2]! & 0xf8) !== 0 || msg[4] !== 0 || msg[5] !== 1) return false;
  if (msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0 || msg[10] !== 0) return false;
  const arcount = msg[11]!;
  if (arcount > 1) return false;
  let pos = HEADER;
  for (;;) {
    const l = msg[pos]!;
    if (l === 0) break;
    // Pointers and extended label types (top bits set) are left to the full parser.
    if (l > MAX_LABEL_OCTETS || pos + 1 + l >= len) return false;
    pos += 1 + l;
  }
  pos += 1;
  if (pos - HEADER > MAX_NAME_OCTETS || pos + 4 > len) return false;
  out.qnameEnd = pos;
  pos += 4;
  out.ecsAt = -1;
  out.ecsLen = 0;
  out.cookieAt = -1;
  out.cookieLen = 0;
  if (arcount === 0) {
    out.edns = EdnsShape.None;
    out.udpSize = 0;
    return pos === len;
  }
  // RFC 6891 6.1.2: root owner, TYPE OPT, CLASS = payload size, TTL = extended rcode, version, DO.
  if (pos + 11 > len || msg[pos] !== 0 || msg[pos + 1] !== 0 || msg[pos + 2] !== Type.OPT)
    return false;
  if (msg[pos + 6] !== 0) return false; // version > 0: BADVERS from the full path
  const rdEnd = pos + 11 + ((msg[pos + 9]! << 8) | msg[pos + 10]!);
  if (rdEnd !== len) return false;
  // Options must be well formed (else FORMERR). Only ECS changes the answer; the rest are ignored.
  for (let o = pos + 11; o < rdEnd;) {
    if (o + 4 > rdEnd) return false;
    const optLen = (msg[o + 2]! << 8) | msg[o + 3]!;
    if (msg[o] === 0 && msg[o + 1] === 8) {
      if (out.ecsAt >= 0) return false; // two ECS options: FORMERR from the full path
      // A malformed one too (RFC 7871 7.1.1), so an ECS the fast path sees is well formed.
      if (o + 4 + optLen > rdEnd || !ecsWellFormed(msg, o + 4, optLen)) return false;
      out.ecsAt = o + 4;
      out.ecsLen = optLen;
    } else if (msg[o] === 0 && msg[o + 1] === 10) {
      // RFC 7873 5.2.2: a malformed COOKIE option (or two) gets FORMERR from the full path.
      if (out.cookieAt >= 0 || !(optLen === 8 || (optLen >= 16 && optLen <= 40))) return false;
      out.cookieAt = o + 4;
      out.cookieLen = optLen;
    }
    o += 4 + optLen;
    if (o > rdEnd) return false;
  }
  const flags = msg[pos + 7]!;
  out.edns = !(flags & 0x80)
    ? EdnsShape.Edns
    : flags & 0x40
      ? EdnsShape.CompactOk
      : EdnsShape.DnssecOk;
  out.udpSize = (msg[pos + 3]! << 8) | msg[pos + 4]!;
  return true;
}

/**
 * parseEcs's checks (RFC 7871 6) on the option data at msg[at, at + len), without building the
 * subnet: a known FAMILY, SOURCE PREFIX-LENGTH within the address, SCOPE PREFIX-LENGTH 0 in a
 * query, exactly the octets the source prefix needs, and no bits set beyond it.
 */
export function ecsWellFormed(msg: Uint8Array, at: number, len: number): boolean {
  if (len < 4) return false;
  const fam = (msg[at]! << 8) | msg[at + 1]!;
  const source = msg[at + 2]!;
  if ((fam !== 1 && fam !== 2) || msg[at + 3] !== 0) return false;
  if (source > (fam === 1 ? 32 : 128)) return false;
  const octets = (source + 7) >> 3;
  if (len !== 4 + octets) return false;
  return source % 8 === 0 || (msg[at + 3 + octets]! & (0xff >> (source % 8))) === 0;
}

/** Scratch for building keys: filled and read within one replyKey call, never shared. */
const keyScratch = Buffer.allocUnsafe(4 + MAX_NAME_OCTETS + 4 + 3 + 1);

/**
 * The key under which a reply is memoised: everything in the query that can change the reply
 * bytes apart from the ID, RD and the letter case of the question (patched per query). That is
 * the size limit, the EDNS shape and version, and the question with its name's ASCII letters
 * folded (RFC 4343: other octets are compared exactly, so only A-Z are folded). A query with an
 * ECS option (`ecsLen` >= 0, the option data's length) has its own key: its reply is encoded
 * leaving room for the echo, which is appended per query.
 */
export function replyKey(
  msg: Uint8Array,
  qnameEnd: number,
  limit: number,
  edns: EdnsShape,
  ednsVersion: number,
  ecsLen = -1,
  cookie = false,
): string {
  const k = keyScratch;
  k[0] = limit >> 8;
  k[1] = limit & 0xff;
  k[2] = edns;
  k[3] = ednsVersion;
  let n = 4;
  for (let i = HEADER; i < qnameEnd; i++) {
    const b = msg[i]!;
    // Length octets are at most 63, below 'A', so the name can be folded octet by octet.
    k[n++] = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
  }
  // QTYPE and QCLASS are numbers, not letters: copied as they are.
  k[n++] = msg[qnameEnd]!;
  k[n++] = msg[qnameEnd + 1]!;
  k[n++] = msg[qnameEnd + 2]!;
  k[n++] = msg[qnameEnd + 3]!;
  // The question name delimits itself, so these three octets cannot be mistaken for its end.
  if (ecsLen >= 0) {
    k[n++] = 0x02;
    k[n++] = ecsLen >> 8;
    k[n++] = ecsLen & 0xff;
  }
  // A COOKIE echo is appended per query too: its reply leaves room for it.
  if (cookie) k[n++] = 0x03;
  return k.toString('latin1', 0, n);
}
