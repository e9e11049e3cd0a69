// The reload-under-load row (issue #11): geosteer serves the example zone and a 100,000-record
// zone; a paced load (bench/paced-load.ts, on the load generator's core) times every answer while
// one record of the big zone changes and SIGHUP reloads it. The row gives how long the reload took
// (SIGHUP to the new generation on /status), and the latency max, p99.9 and p99 and the lost
// queries of the whole run, with the main thread answering and with answer threads. Each server
// first gets the same load with no reload (the control): what the reload costs is the difference,
// and a rate the machine cannot pace shows as loss in the control, not as the reload's fault.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshot } from './health.js';
import { Proc } from './proc.js';
import { bigZone } from './big-zone.js';
import { geosteer, startServer } from './servers.js';

/** Records in the big zone, and the paced load's rate, length and sockets. */
export const RELOAD_RECORDS = 100_000;
/**
 * The issue's 20,000 queries/s where the load generator and the server each have cores of their
 * own; on a 2- or 3-core machine one paced process and the server share too little to pace that
 * (the control loses queries), so 5,000. BENCH_RELOAD_QPS sets it.
 */
export function reloadRate(cores: number, env = process.env.BENCH_RELOAD_QPS): number {
  const set = env === undefined || env === '' ? NaN : Number(env);
  if (Number.isFinite(set) && set > 0 && set <= 200_000) return Math.round(set);
  if (env !== undefined && env !== '')
    throw new Error(`BENCH_RELOAD_QPS must be a rate from 1 to 200000, got "${env}"`);
  return cores >= 4 ? 20_000 : 5_000;
}
const SECONDS = 40;
const SOCKETS = 16;
/** The reload starts this long into the load, so the figures before it are the baseline. */
const RELOAD_AT_MS = 3000;
const PACED = fileURLToPath(new URL('./paced-load.ts', import.meta.url));

interface LoadResult {
  sent: number;
  answered: number;
  lost: number;
  maxMs: number;
  p999Ms: number;
  p99Ms: number;
}

export async function reloadRows(o: {
  work: string;
  zoneYaml: string;
  origin: string;
  /** [threads, server CPUs] per row; 1 thread: the main thread answers. */
  servers: [number, string][];
  loadCpu: string;
  /** Queries per second of the paced load (reloadRate). */
  rate: number;
  track: (p: Proc, alive: boolean) => void;
  log: (s: string) => void;
}): Promise<string[]> {
  const lines = [
    `reload under load: ${o.rate.toLocaleString('en')} queries/s for ${SECONDS} s from ${SOCKETS} sockets ` +
      `(CPU ${o.loadCpu}); at ${RELOAD_AT_MS / 1000} s one record of a ${RELOAD_RECORDS.toLocaleString('en')}-record zone changes and SIGHUP reloads it; ` +
      `before it, the same load with no reload (control)`,
  ];
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const figures = (r: LoadResult) =>
    `latency max ${ms(r.maxMs)}, p99.9 ${ms(r.p999Ms)}, p99 ${ms(r.p99Ms)}; ` +
    `${r.answered.toLocaleString('en')} of ${r.sent.toLocaleString('en')} answered, ${r.lost.toLocaleString('en')} lost`;
  for (const [threads, cpus] of o.servers) {
    const dir = join(o.work, `reload-t${threads}`);
    const zonesDir = join(dir, 'zones');
    await mkdir(zonesDir, { recursive: true });
    await copyFile(o.zoneYaml, join(zonesDir, basename(o.zoneYaml)));
    const big = join(zonesDir, 'big.test.yaml');
    await writeFile(big, bigZone(RELOAD_RECORDS, '192.0.2.1'));
    const spec = geosteer({ zonesDir, cpus, ...(threads > 1 ? { threads } : {}) });
    o.log(`reload under load: starting ${spec.name}`);
    const server = await startServer(spec, dir, o.origin, o.track, 180_000);
    const paced = () => {
      const p = Proc.spawn('paced-load', 'taskset', [
        ...['-c', o.loadCpu, process.execPath, '--import', 'tsx', PACED],
        ...[server.port, o.rate, SECONDS, SOCKETS].map(String),
      ]);
      o.track(p, true);
      return p;
    };
    const result = async (p: Proc): Promise<LoadResult> => {
      await p.exited;
      o.track(p, false);
      return JSON.parse(p.output().trim().split('\n').pop()!) as LoadResult;
    };
    try {
      o.log(`reload under load: ${spec.name}: control, no reload`);
      const control = await result(paced());
      lines.push(`  ${spec.name.padEnd(12)} CPU ${cpus}: control, no reload: ${figures(control)}`);
      const load = paced();
      // The admin API opens once every answer thread listens (the first answers before that).
      let before = -1;
      for (const end = Date.now() + 180_000; before < 0 && Date.now() < end;)
        before = await snapshot(server.adminPort!).then(
          (x) => x.generation,
          () => new Promise<number>((r) => setTimeout(() => r(-1), 200)),
        );
      if (before < 0) throw new Error(`${spec.name}: no admin API within 180 s`);
      await new Promise((r) => setTimeout(r, RELOAD_AT_MS));
      await writeFile(big, bigZone(RELOAD_RECORDS, '192.0.2.2'));
      const t0 = Date.now();
      process.kill(server.proc.pid, 'SIGHUP');
      let reloadMs: number | null = null;
      // Bounded by the load's own length: a reload slower than that is reported as such.
      // The main thread compiles the zone meanwhile, and may not take the connection in time: a
      // failed poll is polled again.
      const generation = () =>
        snapshot(server.adminPort!).then(
          (x) => x.generation,
          () => before,
        );
      while (load.running) {
        if ((await generation()) > before) {
          reloadMs = Date.now() - t0;
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const r = await result(load);
      lines.push(
        `  ${spec.name.padEnd(12)} CPU ${cpus}: reload ${reloadMs === null ? `not done within the run` : `${reloadMs.toLocaleString('en')} ms`}; ${figures(r)}`,
      );
    } finally {
      await server.proc.stop();
      o.track(server.proc, false);
    }
  }
  return lines;
}
