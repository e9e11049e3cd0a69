// The known-good query sent after every fuzz packet. Its reply marks the end of the replies to
// the packet before it (the server answers one socket's datagrams, and one connection's frames,
// in order), and proves the server is still up and answering correctly.
import dnsPacket from 'dns-packet';
import { query, questionBytes, TYPE } from '../test/helpers/wire.js';
import type { Report } from './report.js';
import { PROBE_ADDRESS, PROBE_NAME } from './zones.js';

const question = questionBytes(PROBE_NAME, TYPE.A);

export function probeQuery(id: number): Buffer {
  return query(PROBE_NAME, TYPE.A, { id });
}

/** Whether `r` is the reply to probe `id`: its ID and, byte for byte, its question. */
export function isProbeReply(r: Buffer, id: number): boolean {
  return (
    r.length >= 12 + question.length &&
    r.readUInt16BE(0) === id &&
    r.readUInt16BE(4) === 1 &&
    r.subarray(12, 12 + question.length).equals(question)
  );
}

/** Why the probe's reply is wrong (it must be NOERROR with the probe address), or null. */
export function probeProblem(r: Buffer): string | null {
  try {
    const p = dnsPacket.decode(r);
    const a = (p.answers ?? []).find((x) => x.type === 'A');
    if ((r[3]! & 0xf) !== 0 || !a || (a as { data?: unknown }).data !== PROBE_ADDRESS)
      return `known-good query answered wrongly: rcode ${r[3]! & 0xf}, answers ${JSON.stringify(p.answers ?? [])}`;
    return null;
  } catch (e) {
    return `known-good query's reply does not decode: ${(e as Error).message}`;
  }
}

/** A fuzz packet sent, followed by the probe with ID `probe`. */
export interface Probed {
  kind: string;
  bytes: Buffer;
  probe: number;
}

/**
 * Read the replies to a batch of packets, each followed by its probe, until `until`: the replies
 * before a packet's probe reply are that packet's (judged by the report). Returns how many
 * packets' probes came back, and the replies seen after the last one (for the caller's finding
 * when a probe did not come back). The same for UDP (one socket) and TCP (one connection).
 */
export async function readBatch(
  batch: readonly Probed[],
  next: (until: number) => Promise<Buffer | null>,
  until: number,
  transport: 'udp' | 'tcp',
  report: Report,
): Promise<{ done: number; pending: Buffer[] }> {
  let got: Buffer[] = [];
  let i = 0;
  while (i < batch.length) {
    const r = await next(until);
    if (!r) break;
    const c = batch[i]!;
    if (!isProbeReply(r, c.probe)) {
      got.push(r);
      continue;
    }
    report.packet(transport, c.kind, c.bytes, got);
    const wrong = probeProblem(r);
    if (wrong)
      report.find({
        check: 'probe',
        transport,
        kind: c.kind,
        query: c.bytes,
        reply: r,
        detail: wrong,
      });
    got = [];
    i++;
  }
  return { done: i, pending: got };
}
