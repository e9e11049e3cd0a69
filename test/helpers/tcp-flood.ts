// A TCP connection flood, run as a child process (test/e2e-tcp-fairness.test.ts forks it with
// `node --import tsx`), so the flood has its own event loop, as a real attacker's would, and the
// server's loop is measured alone. It holds `count` connections to the server from the given
// source addresses, asks one query on each (so the server sees a client, not a port scan), and
// reopens every connection the server closes about `renewMs` later: the server never gets its slots
// back for free. Bounded: it stops on 'stop', when its parent goes away, or after `maxMs`.
//
// Messages in: { start: FloodPlan } | 'stats' | 'stop'. Out: FloodStats after 'stats' and on
// 'started' (every connection attempted once).
import { connect, type Socket } from 'node:net';

export interface FloodPlan {
  port: number;
  /** Source addresses, used in turn (127.0.6.1, ... on loopback). */
  sources: string[];
  count: number;
  /** A closed connection is reopened after a random 0 to 2 x renewMs (independent clients). */
  renewMs: number;
  /** A query (with its 2-octet length) sent on each connection once it is up. */
  query: number[];
  maxMs: number;
}

export interface FloodStats {
  kind: 'stats' | 'started';
  /** Connections up now, as the flood sees them (the server may be closing some). */
  open: number;
  /** Connection attempts so far. */
  attempts: number;
  /** Replies received. */
  answered: number;
  /** Connections the server closed (or reset). */
  closed: number;
  /** Failed attempts by error code (EMFILE, EADDRNOTAVAIL, ...). */
  errors: Record<string, number>;
}

const socks = new Set<Socket>();
const stats: FloodStats = {
  kind: 'stats',
  open: 0,
  attempts: 0,
  answered: 0,
  closed: 0,
  errors: {},
};
let stopping = false;

function stop(): void {
  stopping = true;
  for (const s of socks) s.destroy();
  process.disconnect?.();
  setTimeout(() => process.exit(0), 50).unref();
}

function slot(plan: FloodPlan, i: number): void {
  if (stopping) return;
  stats.attempts++;
  const source = plan.sources[i % plan.sources.length]!;
  const s = connect({ port: plan.port, host: '127.0.0.1', localAddress: source, noDelay: true });
  socks.add(s);
  let up = false;
  s.on('connect', () => {
    up = true;
    stats.open++;
    s.write(Buffer.from(plan.query));
  });
  s.on('data', () => stats.answered++);
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (!up) stats.errors[err.code ?? 'unknown'] = (stats.errors[err.code ?? 'unknown'] ?? 0) + 1;
  });
  s.on('close', () => {
    socks.delete(s);
    if (up) {
      stats.open--;
      stats.closed++;
    }
    if (!stopping) setTimeout(() => slot(plan, i), Math.random() * 2 * plan.renewMs);
  });
}

process.on('message', (m: { start: FloodPlan } | 'stats' | 'stop') => {
  if (m === 'stop') return stop();
  if (m === 'stats') return process.send?.({ ...stats, kind: 'stats' });
  const plan = m.start;
  setTimeout(stop, plan.maxMs).unref();
  // Spread over the first renewMs too: a burst of every connection at once is a connect-rate
  // test of the kernel's accept queue, not of what the server keeps open.
  for (let i = 0; i < plan.count; i++)
    setTimeout(() => slot(plan, i), Math.random() * plan.renewMs);
  process.send?.({ ...stats, kind: 'started' });
});
process.on('disconnect', () => {
  if (!stopping) stop();
});
