// What a bench run needs before its first row (bench/run.ts): the settings from the environment,
// the tools it runs, the zone both servers serve, the CPUs each process runs on, and the servers.
import { spawnSync } from 'node:child_process';
import { access, constants, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.js';
import { prepareSignedZone } from './dnssec.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import {
  CLI,
  geosteer,
  knot,
  KNOTD,
  type RunningServer,
  type ServerSpec,
  startServer,
} from './servers.js';

export const ORIGIN = 'gslb.example.com';
export const ZONE_YAML = fileURLToPath(new URL(`../zones/${ORIGIN}.yaml`, import.meta.url));
export const SERVER_CPU = 0;
export const DNSPERF_CPU = availableParallelism() - 1;
/** Answer threads of the `threads` rows: 2, and one per core but dnsperf's. */
export const THREAD_COUNTS = [...new Set([2, Math.max(1, DNSPERF_CPU)])].filter((n) => n > 1);
export const THREAD_CPUS = DNSPERF_CPU > 1 ? `0-${DNSPERF_CPU - 1}` : '0';

export interface Settings {
  seconds: number;
  warmup: number;
  rounds: number;
  scenarios: Scenario[];
  /** The reload-under-load row (bench/reload.ts). */
  reload: boolean;
}

export function settings(): Settings {
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

export async function preflight(): Promise<void> {
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

/** The zone both servers serve: geosteer reads the YAML, Knot the master file geosteer exports. */
export async function prepareZone(work: string): Promise<{ zonesDir: string; zoneFile: string }> {
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

/**
 * Knot and geosteer on one core, and the answer-thread and protection servers the scenarios
 * need.
 */
export async function serverSpecs(
  cfg: Settings,
  work: string,
  zonesDir: string,
  zoneFile: string,
): Promise<ServerSpec[]> {
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
  return specs;
}

export async function startServers(
  specs: ServerSpec[],
  work: string,
  track: Cleanup['track'],
  log: (s: string) => void,
): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  for (const spec of specs) {
    log(`starting ${spec.name}`);
    const dir = join(work, spec.name.replace(/\W+/g, '-'));
    servers.push(await startServer(spec, dir, ORIGIN, track));
  }
  return servers;
}
