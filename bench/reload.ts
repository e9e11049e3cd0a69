// The reload-under-load row (issue #11): geosteer serves the example zone and a 100,000-record
// zone; a paced load (bench/paced-load.ts, on the load generator's core) times every answer while
// one record of the big zone changes and SIGHUP reloads it. The row gives how long the reload took
// (SIGHUP to the new generation on /status), and the latency max, p99.9 and p99 and the lost
// queries of the whole run, with the main thread answering and with answer threads.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshot } from './health.js';
import { Proc } from './proc.js';
import { bigZone } from './big-zone.js';
import { geosteer, startServer } from './servers.js';

/** Records in the big zone, and the paced load's rate, length and sockets. */
export const RELOAD_RECORDS = 100_000;
const RATE = 20_000;
const SECONDS = 60;
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
  track: (p: Proc, alive: boolean) => void;
  log: (s: string) => void;
}): Promise<string[]> {
  const lines = [
    `reload under load: ${RATE.toLocaleString('en')} queries/s for ${SECONDS} s from ${SOCKETS} sockets ` +
      `(CPU ${o.loadCpu}); at ${RELOAD_AT_MS / 1000} s one record of a ${RELOAD_RECORDS.toLocaleString('en')}-record zone changes and SIGHUP reloads it`,
  ];
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
    try {
      const load = Proc.spawn('paced-load', 'taskset', [
        ...['-c', o.loadCpu, process.execPath, '--import', 'tsx', PACED],
        ...[server.port, RATE, SECONDS, SOCKETS].map(String),
      ]);
      o.track(load, true);
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
      await load.exited;
      o.track(load, false);
      const r = JSON.parse(load.output().trim().split('\n').pop()!) as LoadResult;
      const ms = (x: number) => `${x.toFixed(1)} ms`;
      lines.push(
        `  ${spec.name.padEnd(12)} CPU ${cpus}: reload ${reloadMs === null ? `not done within the run` : `${reloadMs.toLocaleString('en')} ms`}; ` +
          `latency max ${ms(r.maxMs)}, p99.9 ${ms(r.p999Ms)}, p99 ${ms(r.p99Ms)}; ` +
          `${r.answered.toLocaleString('en')} of ${r.sent.toLocaleString('en')} answered, ${r.lost.toLocaleString('en')} lost`,
      );
    } finally {
      await server.proc.stop();
      o.track(server.proc, false);
    }
  }
  return lines;
}
