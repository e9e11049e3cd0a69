// Fuzz over UDP: windows of packets, each followed by the probe, on one socket; the replies
// between two probes' replies are the replies to the packet between them.
import { createSocket } from 'node:dgram';
import type { PacketSource } from './cases.js';
import { type Probed, probeQuery, readBatch } from './probe.js';
import type { Report } from './report.js';

export interface Target {
  host: string;
  port: number;
}

/** Packets in flight at once: enough to keep the server busy, few enough to never fill its buffer. */
const WINDOW = 64;
/** The longest wait for a probe's reply: past it the server is hung, dead or dropping. */
const PROBE_TIMEOUT_MS = 2000;

export async function fuzzUdp(
  t: Target,
  src: PacketSource,
  count: number,
  deadline: number,
  report: Report,
  inFlight: Buffer[],
): Promise<void> {
  const sock = createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => sock.bind(0, t.host, () => r()));
  const inbox: Buffer[] = [];
  let wake: (() => void) | null = null;
  sock.on('message', (m) => {
    inbox.push(m);
    wake?.();
  });
  const nextReply = (until: number): Promise<Buffer | null> => {
    if (inbox.length) return Promise.resolve(inbox.shift()!);
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          wake = null;
          resolve(null);
        },
        Math.max(0, until - Date.now()),
      );
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve(inbox.shift()!);
      };
    });
  };
  let probeId = 0;
  let sent = 0;
  try {
    while (sent < count && Date.now() < deadline) {
      const batch: Probed[] = [];
      inFlight.length = 0;
      for (; batch.length < WINDOW && sent < count; sent++) {
        const p = src.next();
        const probe = (probeId = (probeId + 1) & 0xffff);
        sock.send(p.bytes, t.port, t.host);
        sock.send(probeQuery(probe), t.port, t.host);
        batch.push({ ...p, probe });
        inFlight.push(p.bytes);
      }
      const { done: i, pending: got } = await readBatch(
        batch,
        nextReply,
        Date.now() + PROBE_TIMEOUT_MS,
        'udp',
        report,
      );
      if (i < batch.length) {
        const c = batch[i]!;
        report.find({
          check: 'probe-unanswered',
          transport: 'udp',
          kind: c.kind,
          query: c.bytes,
          reply: got[0] ?? null,
          detail: `no reply to the known-good query sent after this packet within ${PROBE_TIMEOUT_MS} ms (server hung, dead or dropping)`,
        });
        // Late replies would be taken for the next window's: let them arrive and drop them.
        await new Promise((r) => setTimeout(r, 200));
        inbox.length = 0;
      }
    }
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
}
