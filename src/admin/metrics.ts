// /metrics: Prometheus text from prom-client, one registry per server (tests run several servers
// in one process, so never the global default registry). See docs/admin.md#metrics.
//
// The query path never calls prom-client. The handler counts every answered query into an
// AnswerTally held by the memoised reply (one increment per query, src/server/handler.ts), and
// the collect() callbacks below fold those tallies into the counters when Prometheus scrapes.
// Probe results are counted per check as they come and folded onto the check's addresses at
// scrape time; health gauges are read from the health table's snapshot then.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthProber } from '../health/prober.js';
import type { HealthTable, ProbeResult } from '../health/table.js';
import type { Check } from '../health/spec.js';
import type { QueryHandler } from '../server/handler.js';
import type { ReloadOutcome, Reloader } from '../server/reloader.js';
import type { TcpStats } from '../server/tcp-table.js';
import type { AnswerCounts } from '../server/answer-pool.js';
import { rcodeName, typeName } from '../wire/constants.js';
import { COOKIE_VERDICT_NAMES } from '../server/cookies.js';
import { RRL_CLASS_NAMES } from '../server/rrl.js';
import { registerProcessMetrics } from './process-metrics.js';
import { registerTcpMetrics } from './tcp-metrics.js';
import { version } from '../base/version.js';

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

/** Probe latency buckets, in seconds: loopback checks take a millisecond, timeouts seconds. */
export const PROBE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

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

/** How a reload ended, as `geosteer_reloads_total{outcome}` says it. */
export type ReloadResult = 'changed' | 'unchanged' | 'rejected';

export function reloadResult(o: ReloadOutcome): ReloadResult {
  if (!o.ok) return 'rejected';
  return o.added.length || o.removed.length || o.changed.length ? 'changed' : 'unchanged';
}

interface ProbeTotal {
  readonly labels: { zone: string; site: string; address: string; result: 'ok' | 'fail' };
  n: number;
}

export class Metrics {
  readonly registry = new Registry();
  private src: MetricsSource | null = null;
  private readonly stops: (() => void)[] = [];
  /** Probe results by check key since the last scrape; folded onto its addresses at scrape. */
  private readonly pending = new Map<string, { ok: number; fail: number }>();
  /** Probe results per address and result, since start. */
  private readonly probeTotals = new Map<string, ProbeTotal>();
  private readonly probeDuration: Histogram<'type'>;
  private readonly reloads: Counter<'outcome'>;
  private readonly transitions: Counter<'kind' | 'to'>;

  constructor() {
    const registers = [this.registry];
    defaultProcessMetrics(this.registry);
    const src = () => this.src;

    new Gauge({
      name: 'geosteer_build_info',
      help: 'Always 1; the labels say which geosteer and Node.js are running.',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: version(), node: process.version }, 1);

    const queries = new Counter({
      name: 'geosteer_queries_total',
      help: 'Queries answered, by zone ("" when in no zone), query type ("other" for types without a name), rcode, steering policy ("none" when not steered) and transport.',
      labelNames: ['zone', 'qtype', 'rcode', 'policy', 'transport'],
      registers,
      collect() {
        const s = src();
        if (!s) return;
        queries.reset();
        for (const t of s.answers.answered()) {
          const labels = {
            zone: t.zone ?? '',
            qtype: t.qtype < 0 ? 'other' : typeName(t.qtype),
            rcode: rcodeName(t.rcode),
            policy: t.policy ?? 'none',
          };
          if (t.udp) queries.inc({ ...labels, transport: 'udp' }, t.udp);
          if (t.tcp) queries.inc({ ...labels, transport: 'tcp' }, t.tcp);
        }
      },
    });

    const answers = new Counter({
      name: 'geosteer_answers_total',
      help: 'Steered answers holding each site: one per answer per site whose addresses are in it.',
      labelNames: ['zone', 'site'],
      registers,
      collect() {
        const s = src();
        if (!s) return;
        answers.reset();
        const sums = new Map<string, { zone: string; site: string; n: number }>();
        for (const t of s.answers.answered()) {
          const n = t.udp + t.tcp;
          if (n === 0) continue;
          for (const site of t.sites) {
            const k = `${t.zone ?? ''}\u0000${site}`;
            const sum = sums.get(k);
            if (sum) sum.n += n;
            else sums.set(k, { zone: t.zone ?? '', site, n });
          }
        }
        for (const { zone, site, n } of sums.values()) answers.inc({ zone, site }, n);
      },
    });

    const rrlResponses = new Counter({
      name: 'geosteer_rrl_responses_total',
      help: 'UDP responses held back by response rate limiting, by class (answer, nxdomain, nodata, referral, error) and action (dropped; slipped: sent truncated, or as BADCOOKIE to a query with a cookie). With rrl.log_only, those it would have held back.',
      labelNames: ['class', 'action'],
      registers,
      collect() {
        const rrl = src()?.answers.rrl;
        rrlResponses.reset();
        if (!rrl) return;
        RRL_CLASS_NAMES.forEach((cls, i) => {
          rrlResponses.inc({ class: cls, action: 'dropped' }, rrl.dropped[i]!);
          rrlResponses.inc({ class: cls, action: 'slipped' }, rrl.slipped[i]!);
        });
      },
    });

    const cookies = new Counter({
      name: 'geosteer_cookies_total',
      help: 'Queries with a DNS COOKIE option, by what it held (verdict: client_only, valid, invalid), and BADCOOKIE replies sent (verdict: badcookie_sent).',
      labelNames: ['verdict'],
      registers,
      collect() {
        const c = src()?.answers.cookies;
        cookies.reset();
        if (!c) return;
        COOKIE_VERDICT_NAMES.forEach((v, i) => cookies.inc({ verdict: v }, c.verdicts[i]!));
        cookies.inc({ verdict: 'badcookie_sent' }, c.badcookies);
      },
    });

    const threadQueries = new Counter({
      name: 'geosteer_thread_queries_total',
      help: 'Queries answered by each answer thread (thread "0" alone when the main thread answers: threads: 1).',
      labelNames: ['thread'],
      registers,
      collect() {
        const s = src();
        if (!s) return;
        threadQueries.reset();
        s.answers.perThread().forEach((n, i) => threadQueries.inc({ thread: String(i) }, n));
      },
    });

    const probeResults = new Counter({
      name: 'geosteer_probe_results_total',
      help: 'Health probe results per address (result: ok or fail). A check shared by several addresses counts for each.',
      labelNames: ['zone', 'site', 'address', 'result'],
      registers,
      collect: () => {
        const s = src();
        if (!s) return;
        this.foldProbes(s.prober);
        probeResults.reset();
        for (const t of this.probeTotals.values()) probeResults.inc(t.labels, t.n);
      },
    });

    const threadCpu = new Counter({
      name: 'geosteer_probe_thread_cpu_seconds_total',
      help: 'CPU time (user + system) of the thread that runs the health probes: what probing costs, apart from answering.',
      registers,
      collect: () => {
        const cpu = src()?.prober.stats().thread?.cpuSeconds;
        threadCpu.reset();
        if (cpu != null) threadCpu.inc(cpu);
      },
    });

    this.probeDuration = new Histogram({
      name: 'geosteer_probe_duration_seconds',
      help: 'How long health probes took, by probe type (a timeout counts its full time).',
      labelNames: ['type'],
      buckets: PROBE_BUCKETS,
      registers,
    });

    const siteAvailable = new Gauge({
      name: 'geosteer_site_available',
      help: '1 when the site may be given out (not drained, not forced down, enough addresses up), else 0.',
      labelNames: ['zone', 'site'],
      registers,
      collect() {
        const s = src();
        if (!s) return;
        siteAvailable.reset();
        for (const z of s.health.snapshot().zones)
          for (const site of z.sites)
            siteAvailable.set({ zone: z.zone, site: site.site }, site.available ? 1 : 0);
      },
    });

    const addressUp = new Gauge({
      name: 'geosteer_address_up',
      help: '1 when the address may be given out (its probe verdict after overrides), else 0; unknown counts as 0.',
      labelNames: ['zone', 'site', 'address'],
      registers,
      collect() {
        const s = src();
        if (!s) return;
        addressUp.reset();
        for (const z of s.health.snapshot().zones)
          for (const site of z.sites)
            for (const a of site.addresses)
              addressUp.set({ zone: z.zone, site: site.site, address: a.address }, a.up ? 1 : 0);
      },
    });

    const overrides = new Gauge({
      name: 'geosteer_override_timestamp_seconds',
      help: 'When each manual override in force was set (Unix time); address is "" for a site override.',
      labelNames: ['zone', 'site', 'address', 'state'],
      registers,
      collect() {
        const s = src();
        if (!s) return;
        overrides.reset();
        for (const o of s.health.listOverrides())
          overrides.set(
            { zone: o.zone, site: o.site, address: o.address ?? '', state: o.state },
            o.at / 1000,
          );
      },
    });

    this.transitions = new Counter({
      name: 'geosteer_health_transitions_total',
      help: 'Health changes: kind address (to up/down/unknown), site (to available/unavailable), override (to up/down/drain/none).',
      labelNames: ['kind', 'to'],
      registers,
    });

    this.reloads = new Counter({
      name: 'geosteer_reloads_total',
      help: 'Zone reloads by outcome: changed (a new generation), unchanged, rejected (problems; the last good zones keep serving).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['changed', 'unchanged', 'rejected'] as const)
      this.reloads.inc({ outcome }, 0);

    registerTcpMetrics(this.registry, () => src()?.answers.tcp);

    const generation = new Gauge({
      name: 'geosteer_config_generation',
      help: 'The zone generation being served: 1 at start, one more for each reload that changed something.',
      registers,
      collect() {
        const s = src();
        if (s) generation.set(s.handler.zoneSet.generation);
      },
    });
  }

  /**
   * Count and time one probe result (the prober's onResult: once per check, and only for results
   * it keeps; a run it aborted or whose check a reload removed is dropped there, and here).
   */
  readonly probeResult = (check: Check, result: ProbeResult): void => {
    this.probeDuration.observe({ type: check.spec.type }, result.latencyMs / 1000);
    let p = this.pending.get(check.key);
    if (!p) this.pending.set(check.key, (p = { ok: 0, fail: 0 }));
    if (result.ok) p.ok++;
    else p.fail++;
  };

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

  /**
   * Add the results counted per check since the last scrape to each address the check serves
   * now; every address probed gets both series from its first scrape, at 0 until it has results.
   * Results of a check a reload removed before this scrape are dropped with it.
   */
  private foldProbes(prober: HealthProber): void {
    const add = (zone: string, site: string, address: string, result: 'ok' | 'fail', n: number) => {
      const k = `${zone}\u0000${site}\u0000${address}\u0000${result}`;
      const t = this.probeTotals.get(k);
      if (t) t.n += n;
      else this.probeTotals.set(k, { labels: { zone, site, address, result }, n });
    };
    for (const { check, addresses } of prober.checks()) {
      const p = this.pending.get(check.key) ?? { ok: 0, fail: 0 };
      for (const a of addresses) {
        add(a.zone, a.site, a.address, 'ok', p.ok);
        add(a.zone, a.site, a.address, 'fail', p.fail);
      }
    }
    this.pending.clear();
  }
}
