// The main thread's side of the answer threads (docs/deployment.md#threads): starts them, hands
// them each zone generation and switches them to it together, keeps their verdict table and GeoIP
// data current, and sums their counts for the metrics. Everything else stays on the main thread.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import type { Endpoint } from '../base/endpoint.js';
import type { Logger, LogLevel } from '../base/log.js';
import { GeoIpLocator } from '../geoip/geo-locator.js';
import type { GeoLocator } from '../geoip/types.js';
import type { AnswerPool, Listener, PoolContext } from '../server/answer-pool.js';
import type { CookiesConfig, RrlConfig } from '../server/rrl-config.js';
import type { TcpOptions } from '../server/tcp.js';
import { SummedCounts } from './counts.js';
import type { FromThread, Generation, ThreadInit, ToThread } from './protocol.js';
import { VerdictWriter } from './shared-verdicts.js';
import { ZoneImages } from './zone-share.js';

export interface ThreadsOptions {
  /** Answer threads to start (at least 1). */
  count: number;
  listen: readonly Endpoint[];
  udp: boolean;
  tcp: boolean;
  tcpOptions: TcpOptions;
  queryLog: boolean;
  logLevel: LogLevel;
  rrl: RrlConfig | null;
  cookies: CookiesConfig | null;
  geo?: GeoLocator;
  log: Logger;
}

/**
 * How often the main thread looks for a reopened GeoIP file to share with the threads. Health
 * verdicts need no looking: each commit of the verdict table is copied at once (the issue asks
 * for a verdict change in every thread within 10 ms); the same tick is a backstop for them.
 */
const SYNC_MS = 100;
/** Counts for the status page between scrapes (a scrape fetches fresh ones). */
const COUNTS_MS = 1000;

/** SO_REUSEPORT on a UDP socket here (Linux 3.9+, and Node 22.12+); without it, one thread. */
export async function reusePortAvailable(): Promise<boolean> {
  const sock = createSocket({ type: 'udp4', reusePort: true });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    sock.close();
  }
}

/** One answer thread and its replies. */
class AnswerThread {
  private readonly waiting = new Set<(m: FromThread) => boolean>();
  exited = false;
  /** Asked to close: its exit is expected. */
  closing = false;

  constructor(
    readonly index: number,
    readonly worker: Worker,
    log: Logger,
  ) {
    worker.on('message', (m: FromThread) => {
      for (const w of this.waiting) if (w(m)) this.waiting.delete(w);
    });
    worker.on('error', (err) => log.error({ err, thread: index }, 'answer thread failed'));
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.closing)
        log.error(
          { thread: index, code },
          `answer thread ${index} exited; its sockets are closed and the kernel spreads its share over the other threads`,
        );
      for (const w of [...this.waiting]) w({ type: 'closed' });
    });
  }

  send(m: ToThread): void {
    if (!this.exited) this.worker.postMessage(m);
  }

  /** The first reply `pick` accepts (undefined: not this one); a thread that exits answers 'closed'. */
  reply<T>(pick: (m: FromThread) => T | undefined): Promise<T | FromThread> {
    if (this.exited) return Promise.resolve({ type: 'closed' } as FromThread);
    return new Promise((resolve) => {
      this.waiting.add((m) => {
        if (m.type === 'closed') return (resolve(m), true);
        const v = pick(m);
        if (v === undefined) return false;
        resolve(v);
        return true;
      });
    });
  }
}

/** Start `count` answer threads on every listen address; resolves once all of them listen. */
export async function startAnswerThreads(o: ThreadsOptions, ctx: PoolContext): Promise<AnswerPool> {
  const verdicts = new VerdictWriter(ctx.health);
  const images = new ZoneImages();
  let current: Generation = {
    generation: ctx.zones.generation,
    zones: images.share(ctx.zones.zones),
    verdicts: verdicts.layout(ctx.zones.zones),
  };
  const locator = o.geo instanceof GeoIpLocator ? o.geo : null;
  let geoVersion = locator?.version ?? 0;
  // Cookies: one secret for every thread, or a client's cookie from one is bad at another.
  const cookies = o.cookies?.enabled
    ? { ...o.cookies, secret: o.cookies.secret ?? new Uint8Array(randomBytes(16)) }
    : null;
  // Each thread keeps its own connection table: the cap is split between them.
  const { clock: _clock, ...tcp } = o.tcpOptions;
  const base: Omit<ThreadInit, 'index' | 'listen' | 'zones' | 'geo'> = {
    udp: o.udp,
    tcp: o.tcp,
    tcpOptions: { ...tcp, maxConnections: Math.max(1, Math.ceil(tcp.maxConnections / o.count)) },
    queryLog: o.queryLog,
    logLevel: o.logLevel,
    rrl: o.rrl?.enabled ? o.rrl : null,
    cookies,
  };
  const threads: AnswerThread[] = [];
  const spawn = async (index: number, listen: readonly Endpoint[]): Promise<Listener[]> => {
    const init: ThreadInit = {
      ...base,
      index,
      listen,
      zones: current,
      geo: locator?.share() ?? null,
    };
    const t = new AnswerThread(index, spawnWorker(init), o.log);
    threads[index] = t;
    const r = await t.reply((m) => (m.type === 'listening' || m.type === 'failed' ? m : undefined));
    if (r.type === 'listening') return r.listeners;
    const failed = r.type === 'failed' ? r : { message: 'exited while starting', code: null };
    throw Object.assign(new Error(failed.message), failed.code ? { code: failed.code } : {});
  };
  const stopAll = () => Promise.all(threads.map((t) => t?.worker.terminate()));

  let listeners: Listener[];
  try {
    // Thread 0 binds first, so a port 0 becomes one port that the others then share.
    listeners = await spawn(0, o.listen);
    const perEndpoint = (o.udp ? 1 : 0) + (o.tcp ? 1 : 0);
    const fixed = o.listen.map((ep, i) => ({
      host: ep.host,
      port: listeners[i * perEndpoint]!.port,
    }));
    await Promise.all(Array.from({ length: o.count - 1 }, (_, i) => spawn(i + 1, fixed)));
  } catch (err) {
    await stopAll();
    throw err;
  }

  const counts = new SummedCounts(threads, o.count, o.tcp);
  const sync = () => {
    verdicts.refresh();
    if (locator && locator.version !== geoVersion) {
      geoVersion = locator.version;
      const geo = locator.share();
      for (const t of threads) t.send({ type: 'geo', geo });
    }
  };
  const stopVerdicts = ctx.health.verdicts.onChange(() => verdicts.refresh());
  const syncTimer = setInterval(sync, SYNC_MS);
  syncTimer.unref();
  const countsTimer = setInterval(() => void counts.refresh(), COUNTS_MS);
  countsTimer.unref();
  o.log.info(
    { threads: o.count, reusePort: true },
    `answering on ${o.count} threads, each with its own sockets (SO_REUSEPORT)`,
  );

  return {
    listeners,
    threads: threads.length,
    counts,
    async install(zones) {
      // A thread that died (a bug) is out of the pool; the others carry on with the reload.
      const live = threads.filter((t) => !t.exited);
      if (live.length === 0) throw new Error('no answer thread is running');
      // Compiled once, off the answering path; each thread only wraps the shares (zone-share.ts).
      const next: Generation = {
        generation: zones.generation,
        zones: images.share(zones.zones),
        verdicts: verdicts.layout(zones.zones),
      };
      for (const t of live) t.send({ type: 'build', zones: next });
      const built = await Promise.all(
        live.map((t) =>
          t.reply((m) => (m.type === 'built' && m.generation === next.generation ? m : undefined)),
        ),
      );
      const bad = built.find((b) => b.type === 'built' && b.error !== null);
      if (bad) {
        for (const t of threads) t.send({ type: 'discard', generation: next.generation });
        verdicts.retain(current.verdicts);
        const why = bad.type === 'built' ? bad.error : '';
        throw new Error(`answer threads could not build generation ${next.generation}: ${why}`);
      }
      // Every thread has the generation built: one message each switches them within a moment
      // of each other, and each thread switches between two queries.
      for (const t of threads) t.send({ type: 'swap', generation: next.generation });
      current = next;
      verdicts.retain(next.verdicts);
    },
    async close() {
      clearInterval(syncTimer);
      clearInterval(countsTimer);
      stopVerdicts();
      for (const t of threads) {
        t.closing = true;
        t.send({ type: 'close' });
      }
      await Promise.race([
        Promise.all(threads.map((t) => t.reply((m) => (m.type === 'closed' ? m : undefined)))),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
      await stopAll();
    },
  };
}

/**
 * The built server runs dist/.../answer-thread.js. From source (vitest, tsx), the entry is
 * TypeScript, which a worker cannot load by itself: a bootstrap registers tsx's loader first (as
 * src/health/probe-thread.ts does).
 */
function spawnWorker(init: ThreadInit): Worker {
  const self = import.meta.url;
  const name = `geosteer answer ${init.index}`;
  if (!self.endsWith('.ts'))
    return new Worker(new URL('./answer-thread.js', self), { workerData: init, name });
  const entry = new URL('./answer-thread.ts', self).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: init, name });
}
