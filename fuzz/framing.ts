// TCP framing tricks (RFC 1035 4.2.2, RFC 7766 8): length prefixes that lie, several messages in
// one write, a message split across writes (inside the prefix too), zero-length frames. Each
// trick ends with a known-good query and a half-close, so the server must answer what it got
// and close at once, whether or not the stream is still aligned.
import { frame } from '../test/helpers/conn.js';
import type { Rng } from './rng.js';

export interface Stream {
  kind: string;
  /** Each element is one socket write. */
  writes: Buffer[];
}

/** Split bytes into 2-5 writes at random points (possibly inside a 2-octet length prefix). */
function split(bytes: Buffer, r: Rng): Buffer[] {
  const cuts = [...new Set(Array.from({ length: 1 + r.int(4) }, () => r.int(bytes.length)))].sort(
    (a, b) => a - b,
  );
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > at) out.push(bytes.subarray(at, c));
    at = c;
  }
  return out;
}

/** A framing trick around `msg` (a fuzz packet), followed by `probe`. */
export function stream(msg: Buffer, probe: Buffer, r: Rng): Stream {
  const body = msg.subarray(0, 0xffff);
  const len = Buffer.alloc(2);
  switch (r.int(7)) {
    case 0: // the prefix claims more than follows: the probe is swallowed into this frame
      len.writeUInt16BE(Math.min(0xffff, body.length + 1 + r.pick([0, r.int(64), 0xffff])));
      return { kind: 'tcp-prefix-long', writes: [Buffer.concat([len, body]), frame(probe)] };
    case 1: // the prefix claims less: the rest is read as the next prefix
      len.writeUInt16BE(r.int(body.length + 1));
      return { kind: 'tcp-prefix-short', writes: [Buffer.concat([len, body]), frame(probe)] };
    case 2: // several messages in one write
      return {
        kind: 'tcp-coalesced',
        writes: [
          Buffer.concat([...Array.from({ length: 2 + r.int(8) }, () => frame(body)), frame(probe)]),
        ],
      };
    case 3: // one message split across writes
      return {
        kind: 'tcp-split',
        writes: [...split(Buffer.concat([frame(body), frame(probe)]), r)],
      };
    case 4: // zero-length frames before and after
      return {
        kind: 'tcp-zero-length',
        writes: [
          Buffer.concat([
            frame(Buffer.alloc(0)),
            frame(body),
            frame(Buffer.alloc(0)),
            frame(probe),
          ]),
        ],
      };
    case 5: // one octet per write, for a short message
      return {
        kind: 'tcp-bytewise',
        writes: [...Buffer.concat([frame(body.subarray(0, 64)), frame(probe)])].map((b) =>
          Buffer.from([b]),
        ),
      };
    default: // no framing at all: the message's own first octets are read as the length
      return { kind: 'tcp-unframed', writes: [body, frame(probe)] };
  }
}

/**
 * The messages the server cuts from these bytes, as RFC 1035 4.2.2 framing reads them, in order;
 * bytes left over (a frame never completed) are not a message.
 */
export function framesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const n = bytes.readUInt16BE(at);
    if (at + 2 + n > bytes.length) break;
    out.push(bytes.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}
