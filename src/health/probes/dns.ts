// `dns` probe: one UDP query to the address; up when the reply is NOERROR (RFC 1035 4.1.1). The
// socket is connected, so only the probed address and port can answer, and the ID is random
// (RFC 5452 9.2), so a stray or forged datagram is not taken for the reply: it must echo the ID
// and the question, or it is ignored and the probe runs on to its timeout.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { Flag, Rcode, rcodeName } from '../../wire/constants.js';
import { nameToLabels } from '../../wire/name.js';
import type { Check, DnsProbe, ProbeOutcome } from '../spec.js';
import { describeError, withTimeout } from './common.js';

export function dnsProbe(
  check: Check,
  signal: AbortSignal,
  localAddress?: string,
  newId: () => number = () => randomInt(0, 65536),
): Promise<ProbeOutcome> {
  const spec = check.spec as DnsProbe;
  return withTimeout(spec.timeoutMs, signal, (finish, onCleanup) => {
    const id = newId();
    const query = dnsQuery(id, spec.name, spec.qtype);
    const sock = createSocket(isIP(check.host) === 6 ? 'udp6' : 'udp4');
    onCleanup(() => {
      try {
        sock.close();
      } catch {
        // Already closed.
      }
    });
    sock.on('error', (err) => finish({ ok: false, reason: describeError(err) }));
    sock.on('message', (msg: Buffer) => {
      const rcode = replyRcode(msg, query);
      if (rcode === null) return;
      finish(
        rcode === Rcode.NOERROR
          ? { ok: true, reason: 'DNS NOERROR' }
          : { ok: false, reason: `DNS ${rcodeName(rcode)}` },
      );
    });
    const go = () => sock.connect(check.port, check.host, () => sock.send(query));
    if (localAddress) sock.bind({ address: localAddress, port: 0 }, go);
    else go();
  });
}

/** A standard query with RD set: authoritative servers ignore RD, resolvers need it. */
export function dnsQuery(id: number, name: string, qtype: number): Buffer {
  const labels = nameToLabels(name);
  const parts: Buffer[] = [Buffer.alloc(12)];
  parts[0]!.writeUInt16BE(id, 0);
  parts[0]!.writeUInt16BE(Flag.RD, 2);
  parts[0]!.writeUInt16BE(1, 4); // QDCOUNT
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(1, 3); // class IN
  parts.push(tail);
  return Buffer.concat(parts);
}

/** The reply's RCODE, or null when `msg` is not a reply to `query` (ID, QR, question). */
export function replyRcode(msg: Buffer, query: Buffer): number | null {
  if (msg.length < query.length || msg.readUInt16BE(0) !== query.readUInt16BE(0)) return null;
  const flags = msg.readUInt16BE(2);
  if (!(flags & Flag.QR) || msg.readUInt16BE(4) !== 1) return null;
  // The question, compared without regard to ASCII case (RFC 4343; some servers randomise it).
  for (let i = 12; i < query.length; i++) {
    if (lower(msg[i]!) !== lower(query[i]!)) return null;
  }
  return flags & 0x000f;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}
