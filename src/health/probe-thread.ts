// The prober the server uses: the schedule and the probes run on a thread of their own
// (node:worker_threads, src/health/probe-worker.ts), and the main thread, the one answering
// queries, only applies their results to the health table. A probe is a TCP handshake, maybe a
// TLS session, an HTTP parse, and timers: a few hundred microseconds of CPU apiece. 500 HTTP
// probes a second took a fifth of a core in `npm run bench` when they ran on the main thread, every
// microsecond of it taken from answering. gdnsd splits the same way: monitoring on one thread,
// DNS I/O threads that never wait for it.
//
// The main thread keeps the truth: it registers sites with the table itself, knows which checks
// exist and which addresses each decides for, and computes the cold-start round from the results
// it has applied. The thread is sent the sites (plain data) on start and on every reload, runs a
// Prober (src/health/prober.ts) over them, and sends back one result per check run, in batches.
// A result for a check the main thread no longer has (a reload raced it) is dropped.
//
// If the thread ever exits, the error is logged and a new one starts a second later with the
// current sites; verdicts live in the main thread's table and are kept meanwhile.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../base/log.js';
import {
  checksOf,
  type HealthProber,
  type ProberOptions,
  type ProberStats,
  type RoundResult,
  type Subscriber,
  targetsOf,
} from './checks.js';
import type { Check } from './spec.js';
import type { HealthTable } from './table.js';
import type { ProbedZone, ProbeResult, SiteTargets } from './types.js';

/** Main thread to probe thread. */
export type ToThread =
  { op: 'sync'; sites: readonly SiteTargets[]; concurrency: number | undefined } | { op: 'stop' };

/** Probe thread to main thread, in batches (see BATCH_MS). */
export type FromThread =
  | { op: 'ready'; tid: number | null }
  | { op: 'results'; results: { key: string; result: ProbeResult }[]; stats: ProberStats }
  | { op: 'stopped' };

/**
 * The thread gathers results for this long and posts them as one message. Every message wakes
 * the main thread, and one per probe cost it more than applying the result did; batched, 500
 * probes a second are 100 messages. Results are timed on the thread, so the wait does not show in
 * latencies; it only delays a verdict by this much.
 */
export const BATCH_MS = 10;

/** The longest start-up waits for the thread before its cold-start round is timed anyway. */
const THREAD_START_MS = 10_000;

/** A thread that exited is replaced after this long (a thread failing at start does not spin). */
const RESTART_MS = 1000;

export interface ThreadedProberOptions {
  concurrency?: number;
  onResult?: ProberOptions['onResult'];
  log?: Logger;
}

export class ThreadedProber implements HealthProber {
  private worker: Worker | null = null;
  private sites: readonly SiteTargets[] = [];
  private wanted = new Map<string, { check: Check; subs: Subscriber[] }>();
  /** Checks with a result since they were created (the cold-start round waits for these). */
  private readonly reported = new Set<string>();
  private roundWaiter: (() => void) | null = null;
  private last: Omit<ProberStats, 'thread' | 'checks'> = {
    inFlight: 0,
    queued: 0,
    runs: 0,
    skipped: 0,
  };
  /** Runs and skips of threads that exited, so the counters never go back. */
  private carried = { runs: 0, skipped: 0 };
  private tid: number | null = null;
  private starts = 0;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private stoppedAck: (() => void) | null = null;
  private readySeen = false;
  private readyWaiter: (() => void) | null = null;

  constructor(
    private readonly table: HealthTable,
    private readonly opts: ThreadedProberOptions = {},
  ) {}

  /**
   * Register the zones, start the thread, and wait for the first result of every check, at most
   * `waitMs` from when the thread is up: the cold-start wait is for probes, and a thread takes
   * tens of milliseconds to start (more when run from source), bounded by THREAD_START_MS.
   */
  async start(zones: readonly ProbedZone[], waitMs: number): Promise<RoundResult> {
    const t0 = Date.now();
    this.sync(zones);
    if (this.worker && !this.readySeen) {
      let timer: NodeJS.Timeout | null = null;
      await new Promise<void>((resolve) => {
        this.readyWaiter = resolve;
        timer = setTimeout(resolve, THREAD_START_MS);
      });
      if (timer) clearTimeout(timer);
      this.readyWaiter = null;
    }
    const all = () => [...this.wanted.keys()].every((k) => this.reported.has(k));
    let timer: NodeJS.Timeout | null = null;
    const complete =
      all() ||
      (await new Promise<boolean>((resolve) => {
        this.roundWaiter = () => {
          if (all()) resolve(true);
        };
        timer = setTimeout(() => resolve(false), waitMs);
      }));
    if (timer) clearTimeout(timer);
    this.roundWaiter = null;
    let pending = 0;
    for (const k of this.wanted.keys()) if (!this.reported.has(k)) pending++;
    return { complete, checks: this.wanted.size, pending, elapsedMs: Date.now() - t0 };
  }

  sync(zones: readonly ProbedZone[]): void {
    if (this.stopped) return;
    const sites = targetsOf(zones);
    this.table.sync(sites);
    this.sites = sites;
    this.wanted = checksOf(sites);
    for (const k of [...this.reported]) if (!this.wanted.has(k)) this.reported.delete(k);
    // No thread until there is something to probe; once started, it hears of every reload.
    if (this.worker || this.wanted.size > 0)
      this.post({ op: 'sync', sites, concurrency: this.opts.concurrency });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    // Let the thread stop its probes (aborting those in flight), then end it either way.
    const acked = new Promise<void>((r) => (this.stoppedAck = r));
    w.postMessage({ op: 'stop' } satisfies ToThread);
    await Promise.race([acked, new Promise((r) => setTimeout(r, 2000).unref())]);
    this.worker = null;
    await w.terminate();
  }

  stats(): ProberStats {
    return {
      checks: this.wanted.size,
      inFlight: this.last.inFlight,
      queued: this.last.queued,
      runs: this.carried.runs + this.last.runs,
      skipped: this.carried.skipped + this.last.skipped,
      thread: {
        tid: this.tid,
        cpuSeconds: this.tid === null ? null : threadCpu(this.tid),
        starts: this.starts,
      },
    };
  }

  checks(): { check: Check; addresses: Subscriber[] }[] {
    return [...this.wanted.values()].map((w) => ({ check: w.check, addresses: [...w.subs] }));
  }

  private post(m: ToThread): void {
    (this.worker ?? this.spawn()).postMessage(m);
  }

  private spawn(): Worker {
    const w = spawnWorker();
    this.starts++;
    // Probing alone never keeps a process alive; the listeners do.
    w.unref();
    w.on('message', (batch: FromThread[]) => {
      for (const m of batch) this.receive(m);
    });
    w.on('error', (err) =>
      this.opts.log?.error({ err }, `health: probe thread failed: ${err.message}`),
    );
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.tid = null;
      this.carried.runs += this.last.runs;
      this.carried.skipped += this.last.skipped;
      this.last = { inFlight: 0, queued: 0, runs: 0, skipped: 0 };
      if (this.stopped) return;
      this.opts.log?.error(
        { code },
        `health: probe thread exited (code ${code}); a new one starts in ${RESTART_MS} ms`,
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopped && !this.worker && this.wanted.size > 0)
          this.post({ op: 'sync', sites: this.sites, concurrency: this.opts.concurrency });
      }, RESTART_MS);
      this.restartTimer.unref();
    });
    this.worker = w;
    return w;
  }

  private receive(m: FromThread): void {
    switch (m.op) {
      case 'ready':
        this.tid = m.tid;
        this.readySeen = true;
        this.readyWaiter?.();
        return;
      case 'stopped':
        this.stoppedAck?.();
        return;
      case 'results': {
        const { thread: _t, checks: _c, ...rest } = m.stats;
        this.last = rest;
        if (this.stopped) return;
        for (const { key, result } of m.results) {
          const w = this.wanted.get(key);
          if (!w) continue; // removed by a reload after it ran
          for (const s of w.subs) this.table.record(s.zone, s.site, s.address, result);
          this.reported.add(key);
          this.opts.onResult?.(w.check, result);
        }
        this.roundWaiter?.();
        return;
      }
    }
  }
}

/**
 * The built server runs dist/.../probe-worker.js. From source (vitest), the entry is TypeScript,
 * which a worker cannot load by itself: a bootstrap registers tsx's loader (a dev dependency, there
 * whenever the source is run) in the thread first.
 */
function spawnWorker(): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./probe-worker.js', self));
  const entry = new URL('./probe-worker.ts', self).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

/** utime + stime of a thread of this process, in seconds (proc(5): fields 14 and 15, in ticks). */
function threadCpu(tid: number): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it are split from its ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;
