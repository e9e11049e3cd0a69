// What a prober is, for the server, the admin API and both probers (this thread's, src/health/
// prober.ts, and the probe thread's, src/health/probe-thread.ts): its interface, its options and
// what it reports, and the checks the loaded zones need, each with the addresses it decides for.
import type { Clock } from '../base/clock.js';
import { type Check, checkFor, type ProbeOutcome } from './spec.js';
import type { ProbedZone, ProbeResult, ProbeThreadInfo, SiteTargets } from './types.js';

export type ProbeRunner = (check: Check, signal: AbortSignal) => Promise<ProbeOutcome>;

/**
 * Where results go: the health table (HealthTable is one), or, on the probe thread, nowhere but
 * `onResult` (the main thread's table gets them from there).
 */
export interface ProbeSink {
  sync(sites: readonly SiteTargets[]): void;
  record(zone: string, site: string, address: string, result: ProbeResult): void;
}

/** What the server and the admin API need of a prober: this one, or the probe thread's. */
export interface HealthProber {
  start(zones: readonly ProbedZone[], waitMs: number): Promise<RoundResult>;
  sync(zones: readonly ProbedZone[]): void;
  stop(): Promise<void>;
  stats(): ProberStats;
  checks(): { check: Check; addresses: Subscriber[] }[];
}

export const DEFAULT_CONCURRENCY = 64;

export interface ProberOptions {
  /** Most probes in flight at once (default 64). */
  concurrency?: number;
  /** [0, 1): the phase of each check within its interval (default Math.random). */
  rng?: () => number;
  clock?: Clock;
  /** Runs one probe (default: the real http, https, tcp and dns probes). */
  run?: ProbeRunner;
  /** Hears every result once per check (not per address), after the sink: metrics. */
  onResult?: (check: Check, result: ProbeResult) => void;
}

export interface RoundResult {
  /** Every check reported before the wait ran out. */
  complete: boolean;
  checks: number;
  /** Checks with no result yet (their addresses stay unknown). */
  pending: number;
  elapsedMs: number;
}

export interface ProberStats {
  checks: number;
  inFlight: number;
  queued: number;
  runs: number;
  /** Ticks skipped because the previous run of the check had not finished. */
  skipped: number;
  /** The thread probes run on; null when they run on the main thread (tests, tools). */
  thread: ProbeThreadInfo | null;
}

export interface Subscriber {
  readonly zone: string;
  readonly site: string;
  readonly address: string;
}

/** The checks `targets` need, each with the addresses it decides for. */
export function checksOf(
  targets: readonly SiteTargets[],
): Map<string, { check: Check; subs: Subscriber[] }> {
  const want = new Map<string, { check: Check; subs: Subscriber[] }>();
  for (const t of targets)
    for (const a of t.addresses) {
      if (a.probe.type === 'none') continue;
      const check = checkFor(a.probe, a.address);
      let w = want.get(check.key);
      if (!w) want.set(check.key, (w = { check, subs: [] }));
      w.subs.push({ zone: t.zone, site: t.site, address: a.address });
    }
  return want;
}

/** Every site of the zones, as the health table registers them. */
export function targetsOf(zones: readonly ProbedZone[]): SiteTargets[] {
  const out: SiteTargets[] = [];
  for (const z of zones)
    for (const s of z.sites.values())
      out.push({
        zone: z.origin,
        site: s.name,
        state: s.state,
        minHealthy: s.minHealthy,
        addresses: [...s.v4, ...s.v6].map((a) => ({ address: a.address, probe: a.probe })),
      });
  return out;
}
