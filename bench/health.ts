// Probes under load (issue #4: "500 probes running do not move the benchmark's dynamic-name figure
// by more than 10 %"). A scenario with `probes: N` runs on the geosteer that served the scenarios
// before it, after a reload that gives every address of the example zone its own HTTP probe and
// adds sites until N addresses are probed, all against one health target process. So the
// comparison is one process with and without probing, a minute apart, and the judged name's own
// sites are among the probed ones. Afterwards the original zone is reloaded and the probes stop.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { Proc } from './proc.js';

const TARGET_SCRIPT = fileURLToPath(new URL('./health-target.ts', import.meta.url));

/** One probe per address every second: five times geosteer's default rate (5 s). */
export const PROBE_INTERVAL_S = 1;
/** Addresses per added site; they come from 198.18.0.0/15 (RFC 2544, benchmarking). */
const ADDRESSES_PER_SITE = 10;

export interface HealthTarget {
  proc: Proc;
  port: number;
  /** Probe requests answered so far. */
  hits(): Promise<number>;
}

/** Start the health target on `cpus`; `track` hears of the process first (bench cleanup). */
export async function startHealthTarget(
  cpus: string,
  track: (p: Proc, alive: boolean) => void,
): Promise<HealthTarget> {
  // Niced for the reason the probe thread is (pinThread): it must not preempt dnsperf.
  const proc = Proc.spawn('health-target', 'nice', [
    ...['-n', '19', 'taskset', '-c', cpus, process.execPath, '--import', 'tsx', TARGET_SCRIPT],
  ]);
  track(proc, true);
  const deadline = Date.now() + 10_000;
  let port = 0;
  while (!port) {
    port = Number(proc.output().match(/\{"port":(\d+)\}/)?.[1] ?? 0);
    if (port) break;
    if (!proc.running || Date.now() > deadline) {
      await proc.stop();
      track(proc, false);
      throw new Error(`health target did not start:\n${proc.output()}`);
    }
    await sleep(50);
  }
  const hits = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/hits`);
    return ((await res.json()) as { hits: number }).hits;
  };
  return { proc, port, hits };
}

/**
 * The example zone with `count` probed addresses: each existing address gets its own HTTP probe
 * (a per-address `probe:` with a path of its own, so no two share one), then sites `probe-NN` of
 * ten addresses each are added, with a weighted name `pool` over them so they are in use.
 */
export function probedZone(zoneYaml: string, targetPort: number, count: number): string {
  const doc = parseDocument(zoneYaml);
  const sites = doc.get('sites');
  if (!isMap(sites)) throw new Error('the example zone has no sites mapping');
  const probe = (site: string, address: string) => ({
    type: 'http',
    target: `127.0.0.1:${targetPort}`,
    path: `/probe/${site}/${address}`,
    interval: `${PROBE_INTERVAL_S}s`,
  });
  let probed = 0;
  for (const item of sites.items) {
    const name = String(isScalar(item.key) ? item.key.value : item.key);
    const addresses = (item.value as YAMLMap).get('addresses');
    if (!isSeq(addresses)) throw new Error(`site ${name}: no addresses list`);
    addresses.items = addresses.items.map((a) => {
      const address = String(isScalar(a) ? a.value : a);
      probed++;
      return doc.createNode({ address, probe: probe(name, address) });
    });
  }
  if (probed > count) throw new Error(`the example zone alone has ${probed} addresses`);
  const added: string[] = [];
  for (let n = 0; probed < count; n++) {
    const site = `probe-${String(n).padStart(2, '0')}`;
    const addresses = [];
    for (let i = 0; i < ADDRESSES_PER_SITE && probed < count; i++, probed++) {
      const address = `198.18.${n}.${i + 1}`;
      addresses.push({ address, probe: probe(site, address) });
    }
    sites.set(site, doc.createNode({ location: { lat: 0, lon: 0 }, addresses }));
    added.push(site);
  }
  if (added.length) {
    const records = doc.get('records') as YAMLMap;
    records.set('pool', doc.createNode({ steer: 'weighted', sites: added }));
  }
  return doc.toString();
}

interface Status {
  generation: number;
  healthVersion: number;
  probes: {
    checks: number;
    runs: number;
    thread: { tid: number | null; cpuSeconds: number | null } | null;
  };
  zones: { sites: { addresses: { up: boolean; verdict: string; probe: string }[] }[] }[];
}

/** What a reload is waited for: the new generation, with this many probes and all up. */
export interface HealthSnapshot {
  at: number;
  generation: number;
  healthVersion: number;
  checks: number;
  runs: number;
  probed: number;
  up: number;
  /** The probe thread's kernel task ID and CPU seconds so far, when it runs. */
  threadId: number | null;
  threadCpuSeconds: number | null;
}

export async function snapshot(adminPort: number): Promise<HealthSnapshot> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/status`);
  if (!res.ok) throw new Error(`GET /status: HTTP ${res.status}`);
  const s = (await res.json()) as Status;
  const addresses = s.zones.flatMap((z) => z.sites.flatMap((site) => site.addresses));
  const probed = addresses.filter((a) => a.probe !== 'none');
  return {
    at: Date.now(),
    generation: s.generation,
    healthVersion: s.healthVersion,
    checks: s.probes.checks,
    runs: s.probes.runs,
    probed: probed.length,
    up: probed.filter((a) => a.verdict === 'up').length,
    threadId: s.probes.thread?.tid ?? null,
    threadCpuSeconds: s.probes.thread?.cpuSeconds ?? null,
  };
}

/**
 * Write `text` as the zone file, have `pid` reload it (SIGHUP; the bench runs --no-watch), and
 * wait until /status shows the new generation with `probes` checks, every probed address up.
 */
export async function reloadZone(opts: {
  file: string;
  text: string;
  pid: number;
  adminPort: number;
  probes: number;
}): Promise<HealthSnapshot> {
  const before = await snapshot(opts.adminPort);
  await writeFile(opts.file, opts.text);
  process.kill(opts.pid, 'SIGHUP');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const s = await snapshot(opts.adminPort);
    if (
      s.generation > before.generation &&
      s.checks === opts.probes &&
      s.probed === opts.probes &&
      s.up === s.probed
    )
      return s;
    if (Date.now() > deadline) {
      throw new Error(
        `reload with ${opts.probes} probes not settled within 20 s: generation ${s.generation} ` +
          `(was ${before.generation}), ${s.checks} checks, ${s.up} of ${s.probed} probed addresses up`,
      );
    }
    await sleep(100);
  }
}

/**
 * Move the probe thread to `cpus` at the lowest priority (taskset and renice on its task ID). The
 * server's main thread keeps CPU 0 to itself, as it keeps a core of a real server, and probing
 * runs on dnsperf's core, as on a real server it runs on another core than the answering one.
 * At normal priority it would preempt dnsperf, and with 100 queries outstanding (half a
 * millisecond of the server's work) a preempted dnsperf starves the server: the run would measure
 * the load generator. Niced, it still has the spare half of CPU 1 (dnsperf uses about 45 %).
 */
export function pinThread(tid: number, cpus: string): void {
  for (const [cmd, args] of [
    ['taskset', ['-p', '-c', cpus, String(tid)]],
    ['renice', ['-n', '19', '-p', String(tid)]],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
