// A paced UDP load that times every reply: `node --import tsx bench/paced-load.ts PORT RATE
// SECONDS SOCKETS`, run by bench/reload.ts on the load generator's core. dnsperf reports mean
// latency only; a reload's stall shows in the maximum and the tail, so this measures each query.
// Bounded: RATE x SECONDS queries at most, then a second's wait for stragglers, then exit. SIGTERM
// ends the sending early (a test stops the load once the event it covers is over), then the same.
// Prints one JSON line: sent, answered, lost, and the latency max, p99.9 and p99 in ms.
import { createSocket, type Socket } from 'node:dgram';

const [port, rate, seconds, sockets] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
];
if (!(port > 0 && rate > 0 && rate <= 200_000 && seconds > 0 && seconds <= 120 && sockets > 0))
  throw new Error('usage: paced-load.ts PORT RATE(<=200000) SECONDS(<=120) SOCKETS');

/** A query for static.gslb.example.com A with this ID. */
function query(id: number): Buffer {
  const name = 'static.gslb.example.com'.split('.');
  const q = Buffer.alloc(12 + name.reduce((n, l) => n + l.length + 1, 1) + 4);
  q.writeUInt16BE(id, 0);
  q.writeUInt16BE(1, 4);
  let at = 12;
  for (const l of name) {
    q[at++] = l.length;
    at += q.write(l, at, 'ascii');
  }
  q[at++] = 0;
  q.writeUInt16BE(1, at);
  q.writeUInt16BE(1, at + 2);
  return q;
}

const total = Math.round(rate * seconds);
// Each outstanding query by socket and ID (IDs cycle per socket; 65,536 outstanding per socket
// is far more than a bounded run leaves).
const sentAt = new Float64Array(total);
const latencies: number[] = [];
const socks: Socket[] = [];
const pending = new Map<number, number>();
for (let i = 0; i < sockets; i++) {
  const s = createSocket('udp4');
  s.on('message', (m) => {
    const key = i * 65536 + m.readUInt16BE(0);
    const n = pending.get(key);
    if (n === undefined) return;
    pending.delete(key);
    latencies.push(performance.now() - sentAt[n]!);
  });
  socks.push(s);
}
await Promise.all(socks.map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));

let sent = 0;
let stopped = false;
process.once('SIGTERM', () => (stopped = true));
const start = performance.now();
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const i = sent % sockets;
      const id = (sent / sockets) & 0xffff;
      sentAt[sent] = performance.now();
      pending.set(i * 65536 + id, sent);
      socks[i]!.send(query(id), port, '127.0.0.1');
    }
    if (sent >= total || stopped) {
      clearInterval(tick);
      resolve();
    }
  }, 1);
});
// Stragglers: a reply later than this is counted lost.
await new Promise((r) => setTimeout(r, 1000));
for (const s of socks) s.close();
latencies.sort((a, b) => a - b);
const at = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  JSON.stringify({
    sent,
    answered: latencies.length,
    lost: sent - latencies.length,
    maxMs: latencies[latencies.length - 1] ?? 0,
    p999Ms: at(0.999),
    p99Ms: at(0.99),
  }) + '\n',
);
