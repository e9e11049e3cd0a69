// TCP connection metrics (docs/admin.md#metrics), read from the server's TcpStats when Prometheus
// scrapes: the connection path only increments plain numbers (src/server/tcp-table.ts).
import { Counter, Gauge, type Registry } from 'prom-client';
import { CLOSE_REASONS, type TcpStats } from '../server/tcp-table.js';

export function registerTcpMetrics(registry: Registry, stats: () => TcpStats | undefined): void {
  const registers = [registry];
  const open = new Gauge({
    name: 'geosteer_tcp_connections',
    help: 'TCP connections open now, over every listener.',
    registers,
    collect() {
      const s = stats();
      if (s) open.set(s.open);
    },
  });
  const accepted = new Counter({
    name: 'geosteer_tcp_connections_accepted_total',
    help: 'TCP connections admitted (not counting those refused at once).',
    registers,
    collect() {
      const s = stats();
      if (!s) return;
      accepted.reset();
      accepted.inc(s.accepted);
    },
  });
  const closed = new Counter({
    name: 'geosteer_tcp_connections_closed_total',
    help: 'TCP connections ended, and new ones refused at once, by reason: idle, pressure (oldest idle closed at the cap for a new one), network_limit (refused: client network at its limit), full (refused: at the cap, none idle), slow (message timeout), error, client, shutdown.',
    labelNames: ['reason'],
    registers,
    collect() {
      const s = stats();
      if (!s) return;
      closed.reset();
      for (const reason of CLOSE_REASONS) closed.inc({ reason }, s.closed[reason]);
    },
  });
}
