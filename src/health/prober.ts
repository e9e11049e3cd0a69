// The scheduler: runs every check of the loaded zones on its own timer and writes the results
// into the health table. It lives beside the query path, never in it: a query reads the table
// synchronously, a probe is asynchronous I/O that only ever ends in `table.record`.
//
// Timing. Each check fires on a fixed grid, base + phase + k * interval, where base is when the
// check was created and phase is drawn once from the injected rng in [0, interval): thousands of
// checks spread over the interval instead of firing together, and the grid never drifts. A new
// check also runs once at once (the cold-start round, and new sites after a reload). A tick that
// finds the check still running or queued is skipped rather than stacked.
//
// Concurrency. At most `concurrency` probes are in flight; the rest wait in FIFO order. A probe's
// timeout starts when it leaves the queue.
//
// Reload. `sync(zones)` diffs checks by key (src/health/spec.ts): an unchanged check keeps its
// timer and its addresses keep their state; a removed one stops (a result in flight is dropped);
// a new one starts and runs at once.
import { type Clock, realClock } from '../base/clock.js';
import {
  checksOf,
  DEFAULT_CONCURRENCY,
  type HealthProber,
  type ProberOptions,
  type ProberStats,
  type ProbeRunner,
  type ProbeSink,
  type RoundResult,
  type Subscriber,
  targetsOf,
} from './checks.js';
import { runProbe } from './probes/index.js';
import type { Check, ProbeOutcome } from './spec.js';
import type { ProbedZone, ProbeResult, SiteTargets } from './types.js';

export { checksOf, DEFAULT_CONCURRENCY, targetsOf } from './checks.js';
export type {
  HealthProber,
  ProberOptions,
  ProberStats,
  ProbeRunner,
  ProbeSink,
  RoundResult,
  Subscriber,
} from './checks.js';

interface Job {
  readonly check: Check;
  subs: Subscriber[];
  readonly base: number;
  readonly phase: number;
  timer: unknown;
  busy: boolean;
  removed: boolean;
  results: number;
  controller: AbortController | null;
  /** The run made when the check was created. */
  first: Promise<void>;
}

/** Runs the checks on this thread: tests (injected clock, rng and runner) and the probe thread. */
export class Prober implements HealthProber {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly rng: () => number;
  private readonly runner: ProbeRunner;
  private readonly limit: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private stopped = false;
  private runs = 0;
  private skipped = 0;
  private readonly onResult: ProberOptions['onResult'];

  constructor(
    private readonly sink: ProbeSink,
    opts: ProberOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.rng = opts.rng ?? Math.random;
    this.runner = opts.run ?? runProbe;
    this.limit = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
    this.onResult = opts.onResult;
  }

  /**
   * Register the zones and probe every check once, then wait for those first results, at most
   * `waitMs` (the cold-start round: the server opens its listeners after it).
   */
  async start(zones: readonly ProbedZone[], waitMs: number): Promise<RoundResult> {
    const t0 = this.clock.now();
    this.sync(zones);
    const firsts = [...this.jobs.values()].map((j) => j.first);
    let timer: unknown = null;
    const complete =
      firsts.length === 0 ||
      (await Promise.race([
        Promise.all(firsts).then(() => true),
        new Promise<boolean>((r) => (timer = this.clock.setTimeout(() => r(false), waitMs))),
      ]));
    if (timer !== null) this.clock.clearTimeout(timer);
    let pending = 0;
    for (const j of this.jobs.values()) if (j.results === 0) pending++;
    return { complete, checks: firsts.length, pending, elapsedMs: this.clock.now() - t0 };
  }

  /** Install the zones' sites and checks (start, and every reload). */
  sync(zones: readonly ProbedZone[]): void {
    this.syncTargets(targetsOf(zones));
  }

  /** `sync` from the sites alone (the probe thread is sent these, not zones). */
  syncTargets(targets: readonly SiteTargets[]): void {
    if (this.stopped) return;
    this.sink.sync(targets);
    const want = checksOf(targets);
    for (const [key, job] of this.jobs)
      if (!want.has(key)) {
        job.removed = true;
        if (job.timer !== null) this.clock.clearTimeout(job.timer);
        job.controller?.abort();
        this.jobs.delete(key);
      }
    for (const [key, w] of want) {
      const job = this.jobs.get(key);
      if (job) job.subs = w.subs;
      else this.create(w.check, w.subs);
    }
  }

  /** Stop every timer, abort probes in flight, and wait for them to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) {
      job.removed = true;
      if (job.timer !== null) this.clock.clearTimeout(job.timer);
      job.controller?.abort();
    }
    this.jobs.clear();
    // Queued runs wake up, see `stopped`, and end without probing.
    for (const w of this.waiting.splice(0)) {
      this.active++;
      w();
    }
    await Promise.all([...this.running]);
  }

  stats(): ProberStats {
    return {
      checks: this.jobs.size,
      inFlight: this.active,
      queued: this.waiting.length,
      runs: this.runs,
      skipped: this.skipped,
      thread: null,
    };
  }

  /** The checks being run, for /status and tests. */
  checks(): { check: Check; addresses: Subscriber[] }[] {
    return [...this.jobs.values()].map((j) => ({ check: j.check, addresses: [...j.subs] }));
  }

  private create(check: Check, subs: Subscriber[]): void {
    const job: Job = {
      check,
      subs,
      base: this.clock.now(),
      phase: Math.floor(this.rng() * check.spec.intervalMs),
      timer: null,
      busy: false,
      removed: false,
      results: 0,
      controller: null,
      first: Promise.resolve(),
    };
    this.jobs.set(check.key, job);
    job.first = this.run(job);
    this.schedule(job);
  }

  /**
   * Set the timer for the first grid point after `after` (default: now). A tick passes its own
   * grid point, because a real timer may fire while the clock still reads a millisecond short of
   * it: counted from the clock alone, that same point would come round again a moment later.
   */
  private schedule(job: Job, after = this.clock.now()): void {
    const now = this.clock.now();
    const i = job.check.spec.intervalMs;
    const elapsed = Math.max(now, after) - job.base - job.phase;
    const k = elapsed < 0 ? 0 : Math.floor(elapsed / i) + 1;
    const next = job.base + job.phase + k * i;
    job.timer = this.clock.setTimeout(
      () => {
        job.timer = null;
        if (job.removed) return;
        if (job.busy) this.skipped++;
        else void this.run(job);
        this.schedule(job, next);
      },
      Math.max(0, next - now),
    );
  }

  private run(job: Job): Promise<void> {
    job.busy = true;
    const p = this.probe(job).finally(() => {
      job.busy = false;
      this.running.delete(p);
    });
    this.running.add(p);
    return p;
  }

  private async probe(job: Job): Promise<void> {
    await this.acquire();
    try {
      if (job.removed || this.stopped) return;
      const controller = new AbortController();
      job.controller = controller;
      const t0 = this.clock.now();
      let outcome: ProbeOutcome;
      try {
        outcome = await this.runner(job.check, controller.signal);
      } catch (err) {
        outcome = { ok: false, reason: `probe error: ${(err as Error).message}` };
      }
      job.controller = null;
      if (job.removed || this.stopped) return;
      this.runs++;
      job.results++;
      const result: ProbeResult = {
        ok: outcome.ok,
        reason: outcome.reason,
        latencyMs: this.clock.now() - t0,
      };
      for (const s of job.subs) this.sink.record(s.zone, s.site, s.address, result);
      this.onResult?.(job.check, result);
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
