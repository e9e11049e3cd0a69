// Mutations of real queries: the bytes a broken or hostile client actually sends are usually a
// valid query with something changed, which gets further into the parser than random bytes.
import type { Rng } from './rng.js';

export type Mutation = (m: Buffer, r: Rng) => Buffer;

/** Flip one to four random bits. */
export const bitFlip: Mutation = (m, r) => {
  const out = Buffer.from(m);
  for (let n = 1 + r.int(4); n > 0 && out.length; n--) out[r.int(out.length)]! ^= 1 << r.int(8);
  return out;
};

/** Cut the message at a random length (a sweep over every length runs at the start, see cases.ts). */
export const truncate: Mutation = (m, r) => Buffer.from(m.subarray(0, r.int(m.length)));

/**
 * Change header fields (RFC 1035 4.1.1): QR, opcode, AA/TC/Z/AD/CD, the RCODE bits a query should
 * not carry, and the four section counts, lying high or low.
 */
export const header: Mutation = (m, r) => {
  if (m.length < 12) return Buffer.from(m);
  const out = Buffer.from(m);
  for (let n = 1 + r.int(3); n > 0; n--) {
    switch (r.int(6)) {
      case 0:
        out[2]! ^= 0x80; // QR
        break;
      case 1:
        out[2] = (out[2]! & 0x87) | (r.int(16) << 3); // opcode
        break;
      case 2:
        out[2]! ^= 1 << r.int(3); // AA, TC, RD
        break;
      case 3:
        out[3] = r.int(256); // RA, Z, AD, CD and RCODE
        break;
      case 4: {
        const at = 4 + 2 * r.int(4);
        const v = out.readUInt16BE(at);
        const lie = r.pick([v + 1, v - 1, v + 2, 0, 0xffff, r.int(8)]);
        out.writeUInt16BE(lie & 0xffff, at);
        break;
      }
      default:
        out.writeUInt16BE(r.int(0x10000), 0); // ID
    }
  }
  return out;
};

/** Insert, delete, overwrite or duplicate bytes at random places. */
export const havoc: Mutation = (m, r) => {
  let out = Buffer.from(m);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(out.length + 1);
    switch (r.int(4)) {
      case 0:
        out = Buffer.concat([out.subarray(0, at), r.bytes(1 + r.int(8)), out.subarray(at)]);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + r.int(8))]);
        break;
      case 2:
        if (at < out.length) out[at] = r.pick([0, 0xff, 0xc0, 0x3f, 0x40, r.int(256)]);
        break;
      default: {
        const from = r.int(out.length + 1);
        const chunk = out.subarray(from, from + 1 + r.int(16));
        out = Buffer.concat([out.subarray(0, at), chunk, out.subarray(at)]);
      }
    }
  }
  return out;
};

/** The head of one message glued to the tail of another. */
export function splice(a: Buffer, b: Buffer, r: Rng): Buffer {
  return Buffer.concat([a.subarray(0, r.int(a.length + 1)), b.subarray(r.int(b.length + 1))]);
}
