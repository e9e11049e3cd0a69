// /metrics: Prometheus text from prom-client, one registry per server (tests run several servers
// in one process, so never the global default registry). See docs/admin.md#metrics.
//
// The query path never calls prom-client. The handler counts every answered query into an
// AnswerTally held by the memoised reply (one increment per query, src/server/handler.ts), and
// the collect() callbacks fold those tallies into the counters when Prometheus scrapes.
// Probe results are counted per check as they come and folded onto the check's addresses at
// scrape time; health gauges are read from the health table's snapshot then.
//
// The metrics themselves are registered by family: answer-metrics.ts (queries and answers),
// probe-metrics.ts, health-metrics.ts, reload-metrics.ts, tcp-metrics.ts, process-metrics.ts.
import { type Counter, Gauge, Registry } from 'prom-client';
import type { HealthProber } from '../health/prober.js';
import type { HealthTable } from '../health/table.js';
import type { QueryHandler } from '../server/handler.js';
import type { Reloader } from '../server/reloader.js';
import type { TcpStats } from '../server/tcp-table.js';
import type { AnswerCounts } from '../server/answer-pool.js';
import { registerAnswerMetrics } from './answer-metrics.js';
import { registerHealthMetrics } from './health-metrics.js';
import { ProbeMetrics } from './probe-metrics.js';
import { registerProcessMetrics } from './process-metrics.js';
import { registerGenerationMetric, registerReloadMetrics, reloadResult } from './reload-metrics.js';
import { registerTcpMetrics } from './tcp-metrics.js';
import { version } from '../base/version.js';

export { reloadResult, type ReloadResult } from './reload-metrics.js';

/** What the metrics read from the running server. */
export interface MetricsSource {
  readonly handler: QueryHandler;
  readonly health: HealthTable;
  readonly prober: HealthProber;
  readonly reloader: Reloader;
  /** TCP connection counts; none: no TCP metrics (tcp: false). */
  readonly tcp?: TcpStats;
  /** What was answered, summed over every answer thread (src/server/answer-pool.ts). */
  readonly answers: AnswerCounts;
}

/**
 * prom-client's default process metrics, less the GC and event-loop delay histograms
 * (src/admin/process-metrics.ts says why), and `nodejs_eventloop_lag_seconds` measured at each
 * scrape instead; test/admin-metrics.test.ts checks they are there.
 */
function defaultProcessMetrics(registry: Registry): void {
  registerProcessMetrics(registry);
  // As prom-client measures it: the delay of a setImmediate, reported at the next scrape.
  let lag = 0;
  const gauge: Gauge = new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds (measured at the previous scrape).',
    registers: [registry],
    collect() {
      const t0 = process.hrtime.bigint();
      setImmediate(() => (lag = Number(process.hrtime.bigint() - t0) / 1e9));
      gauge.set(lag);
    },
  });
}

export class Metrics {
  readonly registry = new Registry();
  private src: MetricsSource | null = null;
  private readonly stops: (() => void)[] = [];
  private readonly probes: ProbeMetrics;
  private readonly reloads: Counter<'outcome'>;
  private readonly transitions: Counter<'kind' | 'to'>;

  constructor() {
    const registry = this.registry;
    defaultProcessMetrics(registry);

    new Gauge({
      name: 'geosteer_build_info',
      help: 'Always 1; the labels say which geosteer and Node.js are running.',
      labelNames: ['version', 'node'],
      registers: [registry],
    }).set({ version: version(), node: process.version }, 1);

    // Registered in this order so the exposition lists them as it always has.
    registerAnswerMetrics(registry, () => this.src?.answers);
    this.probes = new ProbeMetrics(registry, () => this.src?.prober);
    this.transitions = registerHealthMetrics(registry, () => this.src?.health);
    this.reloads = registerReloadMetrics(registry);
    registerTcpMetrics(registry, () => this.src?.answers.tcp);
    registerGenerationMetric(registry, () => this.src?.handler.zoneSet.generation);
  }

  /**
   * Count and time one probe result (the prober's onResult: once per check, and only for results
   * it keeps; a run it aborted or whose check a reload removed is dropped there, and here).
   */
  get probeResult(): ProbeMetrics['probeResult'] {
    return this.probes.probeResult;
  }

  /** Count the table's transitions from now (before the state file and the first probe round). */
  observe(health: HealthTable): void {
    this.stops.push(health.onTransition((t) => this.transitions.inc({ kind: t.kind, to: t.to })));
  }

  /** Start reading the running server; reload outcomes are counted from now. */
  attach(src: MetricsSource): void {
    this.src = src;
    this.stops.push(src.reloader.onOutcome((o) => this.reloads.inc({ outcome: reloadResult(o) })));
  }

  detach(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The exposition. Answer threads count on their own: their numbers are fetched first, once per
   * scrape, so every collector reads the same fresh sums.
   */
  async text(): Promise<string> {
    await this.src?.answers.refresh();
    return this.registry.metrics();
  }
}
