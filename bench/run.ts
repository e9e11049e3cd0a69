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
//   BENCH_RELOAD_QPS=N   the reload row's paced rate (default 20,000/s on 4+ cores, else 5,000/s)
//   KNOTD=/usr/sbin/knotd
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Cleanup } from './cleanup.js';
import { startHealthTarget } from './health.js';
import { reloadRate, reloadRows } from './reload.js';
import { formatTable, type Row } from './report.js';
import {
  DYNAMIC_TARGET_RATIO,
  PROBES_TARGET_RATIO,
  PROTECTION_TARGET_RATIO,
  TARGET_RATIO,
} from './scenarios.js';
import { scenarioRows } from './scenario-rows.js';
import type { RunningServer, ServerSpec } from './servers.js';
import {
  DNSPERF_CPU,
  ORIGIN,
  preflight,
  prepareZone,
  SERVER_CPU,
  serverSpecs,
  type Settings,
  settings,
  startServers,
  THREAD_COUNTS,
  THREAD_CPUS,
  ZONE_YAML,
} from './setup.js';
import {
  dynamicVerdict,
  probesVerdict,
  protectionVerdict,
  threadsVerdict,
  verdict,
} from './verdicts.js';

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
    const specs = await serverSpecs(cfg, work, zonesDir, zoneFile);
    const servers = await startServers(specs, work, cleanup.track, log);
    // The backend of the probes scenarios, beside dnsperf: its work is not the server's.
    const target = cfg.scenarios.some((s) => s.probes)
      ? await startHealthTarget(`${DNSPERF_CPU}`, cleanup.track)
      : null;
    const zoneYaml = join(zonesDir, basename(ZONE_YAML));
    const original = await readFile(zoneYaml, 'utf8');
    const ctx = { cfg, work, servers, target, zoneYaml, original, track: cleanup.track, log };

    const rows: Row[] = [];
    const checks: string[] = [];
    for (const scenario of cfg.scenarios) {
      const done = await scenarioRows(ctx, scenario);
      rows.push(...done.rows);
      checks.push(...done.checks);
    }

    // Alone, after every other row: it runs its own servers, with a 100k-record zone.
    await stopServers(servers, cleanup);
    const reloadLines = cfg.reload ? await reloadRowsOf(work, cleanup, log) : [];

    const out = [
      ...header(cfg, specs),
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

async function stopServers(servers: RunningServer[], cleanup: Cleanup): Promise<void> {
  for (const s of servers) {
    await s.proc.stop();
    cleanup.track(s.proc, false);
  }
}

/** The reload-under-load lines (bench/reload.ts), or one saying why they failed. */
function reloadRowsOf(work: string, cleanup: Cleanup, log: (s: string) => void): Promise<string[]> {
  return reloadRows({
    work,
    zoneYaml: ZONE_YAML,
    origin: ORIGIN,
    servers: [
      [1, `${SERVER_CPU}`],
      ...THREAD_COUNTS.map((n): [number, string] => [n, THREAD_CPUS]),
    ],
    loadCpu: `${DNSPERF_CPU}`,
    rate: reloadRate(availableParallelism()),
    track: cleanup.track,
    log,
  }).catch((err: unknown) => {
    // The rows measured so far still print.
    if (cleanup.interrupted) throw err;
    return [`reload under load: failed: ${(err as Error).message}`];
  });
}

/** What ran: the settings, dnsperf, each server and each scenario. */
function header(cfg: Settings, specs: ServerSpec[]): string[] {
  const rounds = cfg.rounds > 1 ? `, median of ${cfg.rounds} interleaved runs` : '';
  return [
    `geosteer bench: ${cfg.seconds} s per run after ${cfg.warmup} s warm-up${rounds}, 127.0.0.1`,
    `dnsperf ${dnsperfVersion()} on CPU ${DNSPERF_CPU}; max: fixed queries outstanding, ` +
      `paced: -Q at ${TARGET_RATIO}x knot's max (threads: 0.25x the main thread's); x static: qps / the same server's static ` +
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
  ];
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
