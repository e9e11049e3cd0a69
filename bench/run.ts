// `npm run bench`: geosteer and Knot DNS serve the same zone, dnsperf drives each in turn over
// loopback for a fixed time, and the report gives qps, mean latency and its standard deviation as
// dnsperf measures them, with the ratio geosteer / Knot from the same run. Steered names have no
// Knot counterpart: they run on geosteer alone and are compared with its own static names.
//
// Servers run on CPU 0 and dnsperf on the last CPU (taskset), so each server gets one core and the
// load generator never competes with it. The `threads` scenario adds `geosteer --threads 2` and
// `--threads N` (N = cores - 1) on CPUs 0..N-1; the `reload` row reloads a 100k-record zone under
// a paced load (bench/reload.ts). Environment:
//   BENCH_SECONDS=10      length of each measured dnsperf run
//   BENCH_WARMUP=2        unmeasured seconds per server before each scenario/transport (JIT, caches)
//   BENCH_ROUNDS=1        measured runs per row, interleaved across servers; the median is shown
//   BENCH_SCENARIOS=a,b   run only these scenarios (default: all in bench/scenarios.ts)
//   BENCH_SCENARIOS=threads,reload   the answer-thread rows only (docs/deployment.md#threads)
//   (BENCH_SCENARIOS=rrl,cookies BENCH_SECONDS=2 BENCH_WARMUP=1: a short check of the RRL rows)
//   KNOTD=/usr/sbin/knotd
import { spawnSync } from 'node:child_process';
import {
  access,
  constants,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { askAll, describeMix } from './answers.js';
import { otherShare, sample, sampleChildren } from './cpu.js';
import { runDnsperf } from './dnsperf.js';
import {
  type HealthSnapshot,
  type HealthTarget,
  pinThread,
  PROBE_INTERVAL_S,
  probedZone,
  reloadZone,
  snapshot,
  startHealthTarget,
} from './health.js';
import type { Proc } from './proc.js';
import { lineMessage } from './messages.js';
import { prepareSignedZone } from './dnssec.js';
import { formatTable, loadLabel, type Probing, type Row } from './report.js';
import {
  dynamicVerdict,
  probesVerdict,
  protectionVerdict,
  threadsVerdict,
  verdict,
} from './verdicts.js';
import {
  DYNAMIC_TARGET_RATIO,
  LOADS,
  type Load,
  PROBES_TARGET_RATIO,
  PROTECTION_TARGET_RATIO,
  SCENARIOS,
  type Scenario,
  TARGET_RATIO,
} from './scenarios.js';
import { CLI, geosteer, knot, KNOTD, type RunningServer, startServer } from './servers.js';
import { reloadRows } from './reload.js';

const ORIGIN = 'gslb.example.com';
const ZONE_YAML = fileURLToPath(new URL(`../zones/${ORIGIN}.yaml`, import.meta.url));
const SERVER_CPU = 0;
const DNSPERF_CPU = availableParallelism() - 1;
/** Answer threads of the `threads` rows: 2, and one per core but dnsperf's. */
const THREAD_COUNTS = [...new Set([2, Math.max(1, DNSPERF_CPU)])].filter((n) => n > 1);
const THREAD_CPUS = DNSPERF_CPU > 1 ? `0-${DNSPERF_CPU - 1}` : '0';
/** USER_HZ, the unit of /proc's CPU times (100 on every Linux architecture Node runs on). */
const TICKS_PER_SECOND = 100;

interface Settings {
  seconds: number;
  warmup: number;
  rounds: number;
  scenarios: Scenario[];
  /** The reload-under-load row (bench/reload.ts). */
  reload: boolean;
}

function settings(): Settings {
  const num = (name: string, def: number, min: number): number => {
    const v = process.env[name] === undefined ? def : Number(process.env[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}`);
    return v;
  };
  const wanted = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim());
  const unknown =
    wanted?.filter((w) => w !== 'reload' && !SCENARIOS.some((s) => s.name === w)) ?? [];
  if (unknown.length) {
    const have = [...SCENARIOS.map((s) => s.name), 'reload'].join(', ');
    throw new Error(`BENCH_SCENARIOS: no scenario ${unknown.join(', ')} (have: ${have})`);
  }
  return {
    seconds: num('BENCH_SECONDS', 10, 1),
    warmup: num('BENCH_WARMUP', 2, 0),
    rounds: num('BENCH_ROUNDS', 1, 1),
    scenarios: wanted ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS,
    reload: wanted ? wanted.includes('reload') : true,
  };
}

async function preflight(): Promise<void> {
  for (const [tool, pkg] of [
    ['dnsperf', 'dnsperf'],
    ['taskset', 'util-linux'],
  ]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} not found (Debian: apt-get install ${pkg})`);
    }
  }
  await access(KNOTD, constants.X_OK).catch(() => {
    throw new Error(`${KNOTD} not found (Debian: apt-get install knot, or set KNOTD)`);
  });
  await access(CLI).catch(() => {
    throw new Error(`${CLI} not found: run \`npm run build\` first`);
  });
  if (availableParallelism() < 2)
    throw new Error('needs 2 CPUs: one for the server, one for dnsperf');
}

/**
 * Every process started so far, so that an error or Ctrl-C still stops each one by its PID.
 * After a signal nothing new may start: a process added then is stopped at once.
 */
class Cleanup {
  private readonly procs = new Set<Proc>();
  private running: Promise<void> | null = null;
  interrupted = false;

  constructor(private readonly workDir: string) {}

  readonly track = (p: Proc, alive: boolean): void => {
    if (!alive) this.procs.delete(p);
    else if (this.running) {
      void p.stop();
      throw new Error('interrupted');
    } else this.procs.add(p);
  };

  /** Stop everything; every caller waits for the same single run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      await Promise.all([...this.procs].map((p) => p.stop()));
      await rm(this.workDir, { recursive: true, force: true });
    })();
    return this.running;
  }
}

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

/** The zone both servers serve: geosteer reads the YAML, Knot the master file geosteer exports. */
async function prepareZone(work: string): Promise<{ zonesDir: string; zoneFile: string }> {
  const zonesDir = join(work, 'zones');
  await mkdir(zonesDir);
  await copyFile(ZONE_YAML, join(zonesDir, basename(ZONE_YAML)));
  await prepareSignedZone(CLI, ZONE_YAML, ORIGIN, zonesDir);
  const exported = spawnSync(process.execPath, [CLI, 'export', ORIGIN, '-z', zonesDir], {
    encoding: 'utf8',
  });
  if (exported.status !== 0) throw new Error(`geosteer export failed:\n${exported.stderr}`);
  const zoneFile = join(work, `${ORIGIN}.zone`);
  await writeFile(zoneFile, exported.stdout);
  return { zonesDir, zoneFile };
}

async function main(): Promise<number> {
  const cfg = settings();
  await preflight();
  const work = await mkdtemp(join(tmpdir(), 'geosteer-bench-'));
  const cleanup = new Cleanup(work);
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`\n${sig}: stopping servers and dnsperf\n`);
    cleanup.interrupted = true;
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const log = (s: string) => process.stderr.write(s + '\n');

  try {
    const { zonesDir, zoneFile } = await prepareZone(work);
    const specs = [
      knot({ zoneFile, origin: ORIGIN, cpus: `${SERVER_CPU}` }),
      geosteer({ zonesDir, cpus: `${SERVER_CPU}` }),
    ];
    if (cfg.scenarios.some((s) => s.threads))
      for (const threads of THREAD_COUNTS)
        specs.push({ ...geosteer({ zonesDir, cpus: THREAD_CPUS, threads }), threadRow: true });
    if (cfg.scenarios.some((s) => s.protection)) {
      // The same server with RRL and cookies off, and with RRL counting every loopback query
      // (the default exempts loopback) at a rate above any load, so no reply is limited.
      const off = join(work, 'protection-off.yaml');
      await writeFile(off, 'rrl: false\ncookies: false\n');
      const counting = join(work, 'protection-counting.yaml');
      await writeFile(
        counting,
        'rrl:\n  allow: []\n  responses_per_second: 1000000000\n' +
          `cookies:\n  secret: ${'5e'.repeat(16)}\n`,
      );
      const cpus = `${SERVER_CPU}`;
      specs.push(geosteer({ zonesDir, cpus, config: { file: off, protection: 'off' } }));
      specs.push(geosteer({ zonesDir, cpus, config: { file: counting, protection: 'counting' } }));
    }
    const servers: RunningServer[] = [];
    for (const spec of specs) {
      log(`starting ${spec.name}`);
      const dir = join(work, spec.name.replace(/\W+/g, '-'));
      servers.push(await startServer(spec, dir, ORIGIN, cleanup.track));
    }

    // The backend of the probes scenarios, beside dnsperf: its work is not the server's.
    const target = cfg.scenarios.some((s) => s.probes)
      ? await startHealthTarget(`${DNSPERF_CPU}`, cleanup.track)
      : null;
    const zoneYaml = join(zonesDir, basename(ZONE_YAML));
    const original = await readFile(zoneYaml, 'utf8');

    const rows: Row[] = [];
    const checks: string[] = [];
    for (const scenario of cfg.scenarios) {
      const { file, args } = await writeQueries(scenario, work);
      // Knot has no steering: steered scenarios run on geosteer alone, at max load. Probing is
      // measured on the one-process geosteer, the only one with an admin API to show it.
      const onKnot = scenario.baseline === 'knot';
      const runOn = servers.filter((s) =>
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
      const loads: Load[] = scenario.threads
        ? [{ name: 'max', clients: scenario.threads.clients, outstanding: 100 }]
        : onKnot
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
      if (scenario.check) {
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
          if (s === runOn[0])
            checks.push(`  ${scenario.name} on ${s.spec.name}, ${describeMix(mix)}`);
        }
      }
      for (const transport of scenario.transports) {
        const measure = async (s: RunningServer, load: Load, seconds: number, rate?: number) => {
          // Indicative servers run on several cores, dnsperf's too: neither share would be
          // other processes' alone.
          // With probes, the probe thread and the health target run beside dnsperf (pinThread):
          // theirs are the run's own ticks there, not another process's, and not CPU 0's.
          const tid = probed === s ? probeThreadId : null;
          const thread = tid !== null ? [`/proc/${s.proc.pid}/task/${tid}/stat`] : [];
          const helpers =
            tid !== null && target ? [...thread, `/proc/${target.proc.pid}/stat`] : [];
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
            cleanup.track,
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
        };
        const seconds = Math.min(cfg.seconds, scenario.maxSeconds ?? cfg.seconds);
        if (cfg.warmup > 0 && scenario.warmup !== false) {
          for (const s of runOn) {
            log(`warming up ${s.spec.name}: ${scenario.name} ${transport}`);
            await measure(s, LOADS[0]!, cfg.warmup);
          }
        }
        let knotMax = 0;
        for (const load of loads) {
          const rate = load.name === 'paced' ? knotMax * load.fractionOfKnot : undefined;
          // A paced run of a server that shares dnsperf's core would say nothing.
          const eligible = runOn.filter((s) => load.name === 'max' || (rate && !s.spec.indicative));
          const runs = new Map<RunningServer, Row[]>();
          for (let round = 0; round < cfg.rounds; round++) {
            for (const s of eligible) {
              log(`${scenario.name} ${transport} ${loadLabel(load, rate)}: ${s.spec.name}`);
              const m = await measure(s, load, seconds, rate);
              const row: Row = { scenario: scenario.name, transport, load, server: s.spec, ...m };
              runs.set(s, [...(runs.get(s) ?? []), rate ? { ...row, rate } : row]);
            }
          }
          for (const s of eligible) {
            const sorted = runs.get(s)!.sort((a, b) => a.result.qps - b.result.qps);
            const median = sorted[sorted.length >> 1]!;
            if (s.spec.kind === 'knot' && load.name === 'max') knotMax = median.result.qps;
            rows.push(median);
          }
        }
      }
      if (probed) {
        log(`reloading ${probed.spec.name} without probes`);
        await reloadWith(probed, zoneYaml, original, 0);
      }
    }

    // Alone, after every other row: it runs its own servers, with a 100k-record zone.
    for (const s of servers) {
      await s.proc.stop();
      cleanup.track(s.proc, false);
    }
    const reloadLines = cfg.reload
      ? await reloadRows({
          work,
          zoneYaml: ZONE_YAML,
          origin: ORIGIN,
          servers: [
            [1, `${SERVER_CPU}`],
            ...THREAD_COUNTS.map((n): [number, string] => [n, THREAD_CPUS]),
          ],
          loadCpu: `${DNSPERF_CPU}`,
          track: cleanup.track,
          log,
        }).catch((err: unknown) => {
          // The rows measured so far still print.
          if (cleanup.interrupted) throw err;
          return [`reload under load: failed: ${(err as Error).message}`];
        })
      : [];

    const rounds = cfg.rounds > 1 ? `, median of ${cfg.rounds} interleaved runs` : '';
    const out = [
      `geosteer bench: ${cfg.seconds} s per run after ${cfg.warmup} s warm-up${rounds}, 127.0.0.1`,
      `dnsperf ${dnsperfVersion()} on CPU ${DNSPERF_CPU}; max: fixed queries outstanding, ` +
        `paced: -Q at ${TARGET_RATIO}x knot's max; x static: qps / the same server's static ` +
        `max qps, same transport, this run`,
      ...specs.map(
        (s) => `  ${s.name.padEnd(13)} ${s.describe()}${s.indicative ? ' (indicative only)' : ''}`,
      ),
      '  knot has one worker thread per kind and one core, as geosteer has: a one-core comparison',
      ...cfg.scenarios.map(
        (sc) =>
          `  scenario ${sc.name}: ${sc.description}` +
          (sc.baseline === 'static' ? ' [geosteer only: knot has no steering]' : '') +
          (sc.warmup === false ? ' [no warm-up]' : '') +
          (sc.maxSeconds !== undefined && sc.maxSeconds < cfg.seconds
            ? ` [${sc.maxSeconds} s runs]`
            : ''),
      ),
      ...(checks.length ? ['answers asked once before the load:', ...checks] : []),
      '',
      ...formatTable(rows),
      '',
      ...verdict(rows),
      ...dynamicVerdict(rows, cfg.scenarios, DYNAMIC_TARGET_RATIO),
      ...probesVerdict(rows, cfg.scenarios, PROBES_TARGET_RATIO),
      ...protectionVerdict(rows, cfg.scenarios, PROTECTION_TARGET_RATIO),
      ...threadsVerdict(rows),
      ...reloadLines,
    ];
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } catch (err) {
    if (cleanup.interrupted) return 130;
    throw err;
  } finally {
    await cleanup.run();
  }
}

async function reloadWith(
  s: RunningServer,
  file: string,
  text: string,
  probes: number,
): Promise<HealthSnapshot> {
  return reloadZone({ file, text, pid: s.proc.pid, adminPort: s.adminPort!, probes });
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

function dnsperfVersion(): string {
  const r = spawnSync('dnsperf', ['-h'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.match(/Version (\S+)/)?.[1] ?? '';
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
