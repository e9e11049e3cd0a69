// The rows of one scenario (bench/run.ts): the servers and loads it runs on, its answers checked
// once before the load, probes started and stopped around it, and for each transport and load the
// median of the measured runs of each server.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { askAll, describeMix } from './answers.js';
import type { Cleanup } from './cleanup.js';
import {
  type HealthSnapshot,
  type HealthTarget,
  pinThread,
  probedZone,
  reloadZone,
} from './health.js';
import { measure, type MeasureContext } from './measure.js';
import { lineMessage } from './messages.js';
import { loadLabel, type Row } from './report.js';
import { type Load, LOADS, type Scenario, THREAD_LOADS } from './scenarios.js';
import type { RunningServer } from './servers.js';
import { DNSPERF_CPU, type Settings } from './setup.js';

/** What every scenario of a run shares. */
export interface RunContext {
  cfg: Settings;
  work: string;
  servers: RunningServer[];
  /** The backend of the probes scenarios; null when none runs. */
  target: HealthTarget | null;
  /** The zone file the geosteer servers read, and its text without probes. */
  zoneYaml: string;
  original: string;
  track: Cleanup['track'];
  log: (s: string) => void;
}

/** The measured rows of `scenario`, and the line saying what its answers were, if checked. */
export async function scenarioRows(
  ctx: RunContext,
  scenario: Scenario,
): Promise<{ rows: Row[]; checks: string[] }> {
  const { cfg, log, zoneYaml, original, target } = ctx;
  const { file, args } = await writeQueries(scenario, ctx.work);
  const runOn = serversFor(scenario, ctx.servers);
  const loads: Load[] = scenario.threads
    ? THREAD_LOADS.map((l) => ({ ...l, clients: scenario.threads!.clients }))
    : scenario.baseline === 'knot'
      ? LOADS
      : LOADS.filter((l) => l.name === 'max');
  const probed = scenario.probes ? runOn[0] : undefined;
  let probeThreadId: number | null = null;
  if (probed && target && scenario.probes) {
    log(`reloading ${probed.spec.name} with ${scenario.probes} probes`);
    const text = probedZone(original, target.port, scenario.probes);
    const settled = await reloadWith(probed, zoneYaml, text, scenario.probes);
    if (settled.threadId === null) throw new Error('/status names no probe thread');
    probeThreadId = settled.threadId;
    pinThread(probeThreadId, `${DNSPERF_CPU}`);
  }
  const checks = scenario.check ? await checkAnswers(scenario, runOn, log) : [];
  const rows: Row[] = [];
  for (const transport of scenario.transports) {
    const m: MeasureContext = {
      scenario,
      transport,
      file,
      args,
      probed,
      probeThreadId,
      target,
      track: ctx.track,
    };
    const seconds = Math.min(cfg.seconds, scenario.maxSeconds ?? cfg.seconds);
    if (cfg.warmup > 0 && scenario.warmup !== false) {
      for (const s of runOn) {
        log(`warming up ${s.spec.name}: ${scenario.name} ${transport}`);
        await measure(m, s, LOADS[0]!, cfg.warmup);
      }
    }
    rows.push(...(await loadRows(ctx, m, runOn, loads, seconds)));
  }
  if (probed) {
    log(`reloading ${probed.spec.name} without probes`);
    await reloadWith(probed, zoneYaml, original, 0);
  }
  return { rows, checks };
}

/**
 * The servers a scenario runs on. Knot has no steering: steered scenarios run on geosteer alone,
 * at max load. Probing is measured on the one-process geosteer, the only one with an admin API to
 * show it.
 */
function serversFor(scenario: Scenario, servers: RunningServer[]): RunningServer[] {
  const onKnot = scenario.baseline === 'knot';
  return servers.filter((s) =>
    s.spec.threadRow
      ? scenario.threads !== undefined
      : scenario.threads
        ? s.spec.kind === 'geosteer' && !s.spec.protection
        : scenario.protection
          ? s.spec.kind === 'geosteer' && !s.spec.indicative
          : s.spec.protection
            ? false
            : scenario.probes
              ? s.spec.kind === 'geosteer' && s.adminPort !== null
              : onKnot || s.spec.kind === 'geosteer',
  );
}

/** Ask every server each query of `scenario` and fail if any answer is missing or unlocated. */
async function checkAnswers(
  scenario: Scenario,
  runOn: RunningServer[],
  log: (s: string) => void,
): Promise<string[]> {
  const checks: string[] = [];
  const messages = scenario.wire ?? (scenario.lines ?? []).map(lineMessage);
  // Every server is asked (it also fills each one's caches); the report shows the first.
  // Workers have a cache each and the kernel picks one per datagram: ask them more often.
  for (const s of runOn) {
    log(`checking ${s.spec.name}'s answers: ${scenario.name}`);
    const passes = s.spec.indicative ? 4 : 1;
    const mix = await askAll(s.port, messages, Math.max(600, passes * messages.length));
    if (mix.unanswered) throw new Error(`${scenario.name}: ${describeMix(mix)}`);
    if (scenario.check === 'located' && !(mix.scope && mix.scope.max > 0)) {
      throw new Error(
        `${scenario.name}: no answer depends on the client network (${describeMix(mix)}); ` +
          'is the GeoIP database open?',
      );
    }
    if (s === runOn[0]) checks.push(`  ${scenario.name} on ${s.spec.name}, ${describeMix(mix)}`);
  }
  return checks;
}

/**
 * One row per load and server: the median of `cfg.rounds` runs, interleaved across servers. A
 * paced load runs at a share of Knot's max qps, or of the first server's, measured just before it.
 */
async function loadRows(
  ctx: RunContext,
  m: MeasureContext,
  runOn: RunningServer[],
  loads: Load[],
  seconds: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  const { scenario, transport } = m;
  let knotMax = 0;
  let firstMax = 0;
  for (const load of loads) {
    const rate =
      load.name === 'paced'
        ? (load.of === 'knot' ? knotMax : firstMax) * load.fraction || undefined
        : undefined;
    // A paced run of a server that shares dnsperf's core would say nothing.
    const eligible = runOn.filter((s) => load.name === 'max' || (rate && !s.spec.indicative));
    const runs = new Map<RunningServer, Row[]>();
    for (let round = 0; round < ctx.cfg.rounds; round++) {
      for (const s of eligible) {
        ctx.log(`${scenario.name} ${transport} ${loadLabel(load, rate)}: ${s.spec.name}`);
        const r = await measure(m, s, load, seconds, rate);
        const row: Row = { scenario: scenario.name, transport, load, server: s.spec, ...r };
        runs.set(s, [...(runs.get(s) ?? []), rate ? { ...row, rate } : row]);
      }
    }
    for (const s of eligible) {
      const sorted = runs.get(s)!.sort((a, b) => a.result.qps - b.result.qps);
      const median = sorted[sorted.length >> 1]!;
      if (s.spec.kind === 'knot' && load.name === 'max') knotMax = median.result.qps;
      if (s === eligible[0] && load.name === 'max') firstMax = median.result.qps;
      rows.push(median);
    }
  }
  return rows;
}

/** The query file of `scenario` and the dnsperf arguments it needs. */
async function writeQueries(
  scenario: Scenario,
  dir: string,
): Promise<{ file: string; args: string[] }> {
  const file = join(dir, `${scenario.name}.queries`);
  const args = scenario.dnsperfArgs ?? [];
  if (scenario.wire) {
    // dnsperf -B: each message preceded by its 2-octet length, as on a TCP stream (RFC 1035 4.2.2).
    const frames = scenario.wire.map((m) =>
      Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]),
    );
    await writeFile(file, Buffer.concat(frames));
    return { file, args: ['-B', ...args] };
  }
  await writeFile(file, (scenario.lines ?? []).join('\n') + '\n');
  return { file, args };
}

async function reloadWith(
  s: RunningServer,
  file: string,
  text: string,
  probes: number,
): Promise<HealthSnapshot> {
  return reloadZone({ file, text, pid: s.proc.pid, adminPort: s.adminPort!, probes });
}
