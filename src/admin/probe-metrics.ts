// Health probe metrics (docs/admin.md#metrics). Probe results are counted per check as they come
// (one check may serve several addresses) and folded onto the check's addresses at scrape time.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { HealthProber } from '../health/prober.js';
import type { ProbeResult } from '../health/table.js';
import type { Check } from '../health/spec.js';

/** Probe latency buckets, in seconds: loopback checks take a millisecond, timeouts seconds. */
export const PROBE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

interface ProbeTotal {
  readonly labels: { zone: string; site: string; address: string; result: 'ok' | 'fail' };
  n: number;
}

/** Probe results per address, the probe thread's CPU time and probe durations. */
export class ProbeMetrics {
  /** Probe results by check key since the last scrape; folded onto its addresses at scrape. */
  private readonly pending = new Map<string, { ok: number; fail: number }>();
  /** Probe results per address and result, since start. */
  private readonly probeTotals = new Map<string, ProbeTotal>();
  private readonly probeDuration: Histogram<'type'>;

  constructor(registry: Registry, prober: () => HealthProber | undefined) {
    const registers = [registry];

    const probeResults = new Counter({
      name: 'geosteer_probe_results_total',
      help: 'Health probe results per address (result: ok or fail). A check shared by several addresses counts for each.',
      labelNames: ['zone', 'site', 'address', 'result'],
      registers,
      collect: () => {
        const p = prober();
        if (!p) return;
        this.foldProbes(p);
        probeResults.reset();
        for (const t of this.probeTotals.values()) probeResults.inc(t.labels, t.n);
      },
    });

    const threadCpu = new Counter({
      name: 'geosteer_probe_thread_cpu_seconds_total',
      help: 'CPU time (user + system) of the thread that runs the health probes: what probing costs, apart from answering.',
      registers,
      collect: () => {
        const cpu = prober()?.stats().thread?.cpuSeconds;
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
