import type { Socket as UdpSocket } from 'node:dgram';
import type { Endpoint } from '../base/endpoint.js';
import { typeName, rcodeName } from '../wire/constants.js';
import { ProblemsError } from '../base/errors.js';
import type { DnssecDefaults } from '../dnssec/config.js';
import { CompileCache, type LoadResult, loadZoneDir } from '../zone/load.js';
import { siteZones } from '../zone/site-zones.js';
import { ZoneSet } from '../zone/zone-set.js';
import { logTransitions } from '../health/log.js';
import { ThreadedProber } from '../health/probe-thread.js';
import { type HealthProber, Prober } from '../health/prober.js';
import { HealthTable } from '../health/table.js';
import type { ServerAttachment } from './attachment.js';
import { type AnswerCounts, type AnswerPool, type Listener, localCounts } from './answer-pool.js';
import { QueryHandler } from './handler.js';
import { Cookies } from './cookies.js';
import { RateLimiter } from './rrl.js';
import { Reloader } from './reloader.js';
import { listenTcp, monotonicClock, type TcpListener, tcpLimits } from './tcp.js';
import { DEFAULT_COLD_START_MS, type ServerOptions } from './options.js';
import { ConnectionTable, type TcpStats } from './tcp-table.js';
import { listenUdp } from './udp.js';
import { AnswerSigner } from '../dnssec/answer-signer.js';

/**
 * Load the zones directory as the server serves it: with a site, plus the child zones that site's
 * nameserver serves, and a problem when no zone declares the site (at start-up and on reload).
 */
export async function loadServedZones(
  dir: string,
  site: string | null,
  cache?: CompileCache,
  dnssec: DnssecDefaults | null = null,
): Promise<LoadResult> {
  const r = await loadZoneDir(dir, undefined, cache, dnssec);
  if (r.problems.length || site === null) return r;
  const children = siteZones(r.zones, site, dir);
  if (children.problems.length) return { zones: [], problems: children.problems };
  return { ...r, zones: [...r.zones, ...children.zones] };
}

export type { Listener };
export {
  DEFAULT_COLD_START_MS,
  DEFAULT_TCP,
  type ProbeOptions,
  type ServerOptions,
} from './options.js';

/** The running DNS service: zones, handler, listeners, reloads. */
export class GeosteerServer {
  readonly listeners: Listener[] = [];
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: TcpListener[] = [];
  /** One connection cap and one set of per-network counts for every TCP listener. */
  private readonly tcpTable: ConnectionTable;
  private readonly onHup = () => void this.reloader.reload('SIGHUP');
  /** The answer threads, when they answer instead of this thread. */
  private pool: AnswerPool | null = null;

  private constructor(
    readonly handler: QueryHandler,
    readonly reloader: Reloader,
    private readonly opts: ServerOptions,
    /** What the probes found and the overrides say (the admin API reads and writes it). */
    readonly health: HealthTable,
    readonly prober: HealthProber,
    private readonly unlog: () => void,
    /** What opts.attach made (the admin API), opened and closed with the server. */
    private readonly attachment: ServerAttachment | null,
  ) {
    const o = opts.tcpOptions;
    const limits = tcpLimits(o);
    this.tcpTable = new ConnectionTable(
      { ...limits, idleTimeoutMs: o.idleTimeoutMs, maxConnections: o.maxConnections },
      o.clock ?? monotonicClock,
    );
  }

  /** TCP connections open, admitted and closed by reason (the admin API's metrics read it). */
  get tcpStats(): TcpStats {
    return this.tcpTable.stats;
  }

  /** What was answered: by this thread's handler, or summed over the answer threads. */
  get counts(): AnswerCounts {
    return this.pool?.counts ?? localCounts(this.handler, this.tcpStats);
  }

  /** Load and validate the zones, then open the listeners. Throws ProblemsError on bad zones. */
  static async start(opts: ServerOptions): Promise<GeosteerServer> {
    // Checked here too, not only in the config file: command-line flags can turn both off.
    if ((!opts.udp && !opts.tcp) || opts.listen.length === 0) {
      throw new Error('nothing to listen on: give at least one address and leave UDP or TCP on');
    }
    const site = opts.site ?? null;
    // Unchanged files keep their compiled zones across reloads (explain's loads compile afresh).
    // Big files compile in a process of their own, into images every thread reads (zone/share.ts).
    const cache = new CompileCache(true);
    const dnssec = opts.dnssec ?? null;
    const load = (dir: string) => loadServedZones(dir, site, undefined, dnssec);
    const reload = (dir: string) => loadServedZones(dir, site, cache, dnssec);
    const { zones, problems } = await reload(opts.zonesDir);
    if (problems.length) throw new ProblemsError(problems);
    const set = new ZoneSet(zones, 1);
    // Before the prober, so the cold-start round's probes are counted (the admin API reads its
    // token file here).
    const attachment = opts.attach ? await opts.attach() : null;
    const health = opts.health ?? new HealthTable();
    const unlog = logTransitions(health, opts.log);
    const probes = attachment ? attachment.instrument(health, opts.probes) : opts.probes;
    // Probes run on a thread of their own (src/health/probe-thread.ts), unless a test injects a
    // clock, randomness or the probes themselves: those run here, where the test can reach them.
    const injected = probes?.run ?? probes?.clock ?? probes?.rng;
    const prober: HealthProber = injected
      ? new Prober(health, probes)
      : new ThreadedProber(health, {
          ...(probes?.concurrency !== undefined ? { concurrency: probes.concurrency } : {}),
          ...(probes?.onResult ? { onResult: probes.onResult } : {}),
          sourceAddress: probes?.sourceAddress ?? null,
          log: opts.log,
        });
    try {
      // Overrides first, so a site drained before a restart never answers after it.
      if (opts.stateFile) await health.useStateFile(opts.stateFile);
      // Cold start: one probe round before the listeners open (docs/health.md#cold-start).
      const round = await prober.start(zones, opts.probes?.coldStartMs ?? DEFAULT_COLD_START_MS);
      if (round.checks > 0)
        opts.log[round.complete ? 'info' : 'warn'](
          { ...round, stateFile: opts.stateFile ?? null },
          round.complete
            ? `health: first probe round done in ${round.elapsedMs} ms (${round.checks} checks)`
            : `health: first probe round cut short after ${round.elapsedMs} ms: ${round.pending} of ${round.checks} checks have not reported; their addresses stay unknown (not up) until they do`,
        );
    } catch (err) {
      await prober.stop();
      unlog();
      await attachment?.close();
      throw err;
    }
    const handler = new QueryHandler(set, {
      geo: opts.geo,
      health,
      rrl: rateLimiter(opts),
      cookies: opts.cookies?.enabled ? new Cookies({ ...opts.cookies, now: opts.now }) : null,
      signer: new AnswerSigner({ now: opts.now }),
    });
    // A reload registers the new sites with the prober before the handler answers from them.
    let server: GeosteerServer | null = null;
    const install = async (z: ZoneSet) => {
      const pool = server?.pool;
      const before = handler.zoneSet;
      prober.sync(z.zones);
      if (pool)
        await pool.install(z).catch((err: unknown) => {
          prober.sync(before.zones);
          throw err;
        });
      handler.setZones(z);
    };
    const reloader = new Reloader(opts.zonesDir, set, install, opts.log, undefined, load, reload);
    server = new GeosteerServer(handler, reloader, opts, health, prober, unlog, attachment);
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
      if (opts.pool) {
        server.pool = await opts.pool({ zones: set, health, handler });
        server.listeners.push(...server.pool.listeners);
      } else for (const ep of opts.listen) await server.open(ep);
      const stateFile = opts.stateFile ?? null;
      await attachment?.open({
        handler,
        health,
        prober,
        reloader,
        tcp: server.counts.tcp,
        answers: server.counts,
        zonesDir: opts.zonesDir,
        stateFile,
      });
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
        // 1: the main thread answers; more: that many answer threads (`auto` resolved).
        threads: server.pool?.threads ?? 1,
        generation: 1,
        ...(site !== null ? { site } : {}),
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
          tcp = await listenTcp(
            ep.host,
            port,
            this.handler,
            this.tcpTable,
            tcpLimits(this.opts.tcpOptions),
            this.opts.log,
          );
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
    await this.attachment?.close();
    process.off('SIGHUP', this.onHup);
    this.reloader.close();
    await this.prober.stop();
    this.unlog();
    await this.health.flush();
    await this.pool?.close();
    await Promise.all([
      ...this.udp.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...this.tcp.map((t) => t.close()),
    ]);
    this.tcpTable.stop();
  }
}

/** The rate limiter the options ask for, logging once per bucket and window while it limits. */
function rateLimiter(opts: ServerOptions): RateLimiter | null {
  if (!opts.rrl?.enabled) return null;
  const rrl = new RateLimiter(opts.rrl, opts.now);
  const mode = opts.rrl.logOnly ? 'would limit (log_only)' : 'limiting';
  rrl.onLimit = (e) =>
    opts.log.warn(
      { network: e.network, class: e.class, rate: opts.rrl!.responsesPerSecond },
      `rrl: ${mode} ${e.class} responses to ${e.network}`,
    );
  return rrl;
}
