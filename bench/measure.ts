// One measured dnsperf run of one server (bench/scenario-rows.ts): dnsperf's result, the
// server's CPU time per query answered, other processes' share of both cores, and what probing
// did meanwhile.
import type { Cleanup } from './cleanup.js';
import { otherShare, sample, sampleChildren } from './cpu.js';
import { runDnsperf } from './dnsperf.js';
import { type HealthTarget, PROBE_INTERVAL_S, snapshot } from './health.js';
import type { Probing } from './report.js';
import type { Load, Scenario, Transport } from './scenarios.js';
import type { RunningServer } from './servers.js';
import { DNSPERF_CPU, SERVER_CPU } from './setup.js';

/** USER_HZ, the unit of /proc's CPU times (100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/** What the runs of one scenario over one transport share. */
export interface MeasureContext {
  scenario: Scenario;
  transport: Transport;
  /** The query file and dnsperf's extra arguments (bench/scenario-rows.ts writeQueries). */
  file: string;
  args: string[];
  /** The server running probes, and its probe thread (pinned beside dnsperf). */
  probed: RunningServer | undefined;
  probeThreadId: number | null;
  target: HealthTarget | null;
  track: Cleanup['track'];
}

/** One dnsperf run of `s` at `load` for `seconds`, capped at `rate` queries/s if given. */
export async function measure(
  ctx: MeasureContext,
  s: RunningServer,
  load: Load,
  seconds: number,
  rate?: number,
) {
  const { scenario, transport, file, args, probed, probeThreadId, target } = ctx;
  // Indicative servers run on several cores, dnsperf's too: neither share would be
  // other processes' alone.
  // With probes, the probe thread and the health target run beside dnsperf (pinThread):
  // theirs are the run's own ticks there, not another process's, and not CPU 0's.
  const tid = probed === s ? probeThreadId : null;
  const thread = tid !== null ? [`/proc/${s.proc.pid}/task/${tid}/stat`] : [];
  const helpers = tid !== null && target ? [...thread, `/proc/${target.proc.pid}/stat`] : [];
  const probe = () =>
    s.spec.indicative ? null : sample(SERVER_CPU, s.proc.pid, 11, { minus: thread });
  const loadProbe = () =>
    s.spec.indicative ? null : sampleChildren(DNSPERF_CPU, { plus: helpers });
  const health = scenario.probes ? await probingNow(s, target) : null;
  const before = probe();
  const loadBefore = loadProbe();
  const result = await runDnsperf(
    {
      port: s.port,
      dataFile: file,
      transport,
      seconds,
      clients: load.clients,
      outstanding: load.outstanding,
      ...(rate ? { rate } : {}),
      cpus: `${DNSPERF_CPU}`,
      extraArgs: args,
    },
    ctx.track,
  );
  const after = probe();
  const other = otherShare(before, after);
  const loadOther = otherShare(loadBefore, loadProbe());
  const probing = health ? await health() : undefined;
  const answered = result.qps * seconds;
  const cpuUs =
    before && after && answered > 0
      ? ((after.procBusy - before.procBusy) / TICKS_PER_SECOND / answered) * 1e6
      : null;
  return { result, other, loadOther, cpuUs, ...(probing ? { probing } : {}) };
}

/**
 * Start watching probes on `s`; the returned function, called after the run, says what ran in
 * between: probe runs per second by the server's count and requests per second by the target's.
 */
async function probingNow(
  s: RunningServer,
  target: HealthTarget | null,
): Promise<() => Promise<Probing>> {
  if (s.adminPort === null || !target) throw new Error('probes need the admin API and a target');
  const port = s.adminPort;
  const [before, hitsBefore] = await Promise.all([snapshot(port), target.hits()]);
  return async () => {
    const [after, hitsAfter] = await Promise.all([snapshot(port), target.hits()]);
    const seconds = (after.at - before.at) / 1000;
    return {
      probes: after.checks,
      expectedPerSecond: after.checks / PROBE_INTERVAL_S,
      runsPerSecond: (after.runs - before.runs) / seconds,
      hitsPerSecond: (hitsAfter - hitsBefore) / seconds,
      up: after.up,
      healthChanges: after.healthVersion - before.healthVersion,
      threadCpu:
        after.threadCpuSeconds !== null && before.threadCpuSeconds !== null
          ? (after.threadCpuSeconds - before.threadCpuSeconds) / seconds
          : null,
    };
  };
}
