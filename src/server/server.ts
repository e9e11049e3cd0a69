import type { Socket as UdpSocket } from 'node:dgram';
import type { Logger } from '../log.js';
import { typeName, rcodeName } from '../wire/constants.js';
import { ProblemsError } from '../zone/errors.js';
import { loadZoneDir } from '../zone/load.js';
import { ZoneSet } from '../zone/zone-set.js';
import type { GeoLocator } from '../geoip/types.js';
import type { HealthTable } from '../health/table.js';
import { QueryHandler } from './handler.js';
import { Reloader } from './reloader.js';
import { listenTcp, type TcpListener, type TcpOptions } from './tcp.js';
import { listenUdp } from './udp.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface ServerOptions {
  listen: Endpoint[];
  udp: boolean;
  tcp: boolean;
  zonesDir: string;
  tcpOptions: TcpOptions;
  /** Reload when a file in the zones directory changes. */
  watch: boolean;
  /** One log line per query (debug aid; off by default, it costs throughput). */
  queryLog: boolean;
  log: Logger;
  /** Where clients are (steering policies); default: nowhere known. */
  geo?: GeoLocator;
  /** Site and address availability; default: a table where only drained sites are unavailable. */
  health?: HealthTable;
}

export interface Listener {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

export const DEFAULT_TCP: TcpOptions = { idleTimeoutMs: 10_000, maxConnections: 1024 };

/** The running DNS service: zones, handler, listeners, reloads. */
export class GeosteerServer {
  readonly listeners: Listener[] = [];
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: TcpListener[] = [];
  private readonly onHup = () => void this.reloader.reload('SIGHUP');

  private constructor(
    readonly handler: QueryHandler,
    readonly reloader: Reloader,
    private readonly opts: ServerOptions,
  ) {}

  /** Load and validate the zones, then open the listeners. Throws ProblemsError on bad zones. */
  static async start(opts: ServerOptions): Promise<GeosteerServer> {
    // Checked here too, not only in the config file: command-line flags can turn both off.
    if ((!opts.udp && !opts.tcp) || opts.listen.length === 0) {
      throw new Error('nothing to listen on: give at least one address and leave UDP or TCP on');
    }
    const { zones, problems } = await loadZoneDir(opts.zonesDir);
    if (problems.length) throw new ProblemsError(problems);
    const set = new ZoneSet(zones, 1);
    const handler = new QueryHandler(set, { geo: opts.geo, health: opts.health });
    const reloader = new Reloader(opts.zonesDir, set, (z) => handler.setZones(z), opts.log);
    const server = new GeosteerServer(handler, reloader, opts);
    if (opts.queryLog) {
      handler.onQuery = (e) =>
        opts.log.info(
          {
            transport: e.transport,
            qname: e.qname,
            qtype: typeName(e.qtype),
            rcode: rcodeName(e.rcode),
            size: e.size,
          },
          'query',
        );
    }
    try {
      for (const ep of opts.listen) await server.open(ep);
    } catch (err) {
      await server.close();
      throw err;
    }
    if (opts.watch) reloader.watch();
    process.on('SIGHUP', server.onHup);
    opts.log.info(
      {
        listeners: server.listeners.map(
          (l) => `${l.transport}://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`,
        ),
        zones: zones.map((z) => z.origin),
        generation: 1,
      },
      `geosteer listening; serving ${zones.length} zone(s)`,
    );
    return server;
  }

  /** Port 0 picks a free port; UDP and TCP then share it, as a resolver expects. */
  private async open(ep: Endpoint): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let port = ep.port;
      let udp: UdpSocket | null = null;
      if (this.opts.udp) {
        udp = await listenUdp(ep.host, port, this.handler, this.opts.log);
        port = udp.address().port;
      }
      let tcp: TcpListener | null = null;
      try {
        if (this.opts.tcp)
          tcp = await listenTcp(ep.host, port, this.handler, this.opts.tcpOptions, this.opts.log);
      } catch (err) {
        await new Promise<void>((r) => (udp ? udp.close(() => r()) : r()));
        // The free UDP port may be taken for TCP; pick another (only when the port was ours to pick).
        if (ep.port === 0 && attempt < 10 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE')
          continue;
        throw err;
      }
      // Listed in endpoint order, UDP before TCP, so `port` and the start-up line are predictable.
      if (udp) {
        this.udp.push(udp);
        this.listeners.push({ transport: 'udp', host: ep.host, port });
      }
      if (tcp) {
        this.tcp.push(tcp);
        this.listeners.push({ transport: 'tcp', host: ep.host, port: tcp.port });
      }
      return;
    }
  }

  /** Convenience for tests: the first listener's port. */
  get port(): number {
    return this.listeners[0]!.port;
  }

  reload(reason = 'request') {
    return this.reloader.reload(reason);
  }

  async close(): Promise<void> {
    process.off('SIGHUP', this.onHup);
    this.reloader.close();
    await Promise.all([
      ...this.udp.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...this.tcp.map((t) => t.close()),
    ]);
  }
}
