import { Flag, Rcode } from '../wire/constants.js';

/** Header-only SERVFAIL for a query that made the handler throw; null if there is no header. */
export function servfailFor(msg: Buffer): Buffer | null {
  if (msg.length < 12 || msg[2]! & 0x80) return null;
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2);
  out.writeUInt16BE(Flag.QR | (msg.readUInt16BE(2) & (0x7800 | Flag.RD)) | Rcode.SERVFAIL, 2);
  return out;
}
