// Measures the fleet (docs/fleet.md#measurements) on this machine, with the same real parts the
// fleet tests use (test/fleet-harness.ts): a 3-member etcd on loopback, three geosteer instances
// probing from 127.0.1.1-3, health servers answering per source address.
//
//   1. drain propagation: POST a drain to one instance's admin API (round robin), time until all
//      three answer without the site; 100 drains (each undone before the next), p50/p99/max;
//   2. fleet verdict convergence: a backend starts failing for every vantage point, time until
//      all three withdraw it; 20 times (probe interval 400 ms, timeout 300 ms, fall 1);
//   3. the answer path's cost: dnsperf (CPU 1) against instance a (pinned to CPU 0, fleet on and
//      connected) and against a fourth instance without fleet: (same zones, CPU 0), alternately,
//      FLEET_ROUNDS rounds of FLEET_SECONDS each over UDP.
//
//   node --import tsx scripts/fleet-measure.ts          (needs etcd, dnsperf, taskset; ~3 min)
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDnsperf } from '../bench/dnsperf.js';
import {
  answer,
  EtcdCluster,
  type Instance,
  makeInstance,
  startInstance,
  stopInstance,
  tempRoot,
  until,
  VantageServer,
  ZONE,
  zoneText,
} from '../test/fleet-harness.js';
import { freePort, runCli } from '../test/helpers/cli.js';

const SOURCES = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];
const DRAINS = Number(process.env.FLEET_DRAINS ?? 100);
const FAILS = Number(process.env.FLEET_FAILS ?? 20);
const ROUNDS = Number(process.env.FLEET_ROUNDS ?? 3);
const SECONDS = Number(process.env.FLEET_SECONDS ?? 10);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const summary = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const pin = (pid: number, cpus: string) =>
  spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });

async function main(): Promise<void> {
  const root = await tempRoot();
  const etcd = await EtcdCluster.create(3);
  const fra = await new VantageServer('127.0.8.10').start();
  const ams = await new VantageServer('127.0.8.20').start();
  const zone = zoneText(fra, ams);
  const fleet: Instance[] = await Promise.all(
    ['a', 'b', 'c'].map((n, i) => makeInstance(root, n, SOURCES[i]!, etcd.endpoints, zone)),
  );
  const both = JSON.stringify(['127.0.8.10', '127.0.8.20']);
  const all = async (want: string) =>
    (await Promise.all(fleet.map(answer))).every((g) => JSON.stringify(g) === want);
  const post = async (i: Instance, action: string) => {
    const res = await fetch(`${i.admin}/sites/fra/${action}?zone=${ZONE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    if (res.status >= 300) throw new Error(`${action}: HTTP ${res.status}`);
  };
  let alone: { cli: ReturnType<typeof runCli>; port: number } | null = null;
  try {
    await Promise.all(fleet.map(startInstance));
    await until('all answer both', async () => ((await all(both)) ? true : undefined), 20_000);

    const drains: number[] = [];
    for (let k = 0; k < DRAINS; k++) {
      const t0 = performance.now();
      await post(fleet[k % 3]!, 'drain');
      await until('drained everywhere', async () =>
        (await all('["127.0.8.20"]')) ? true : undefined,
      );
      drains.push(performance.now() - t0);
      await post(fleet[(k + 1) % 3]!, 'undrain');
      await until('undrained everywhere', async () => ((await all(both)) ? true : undefined));
    }
    if (DRAINS > 0)
      console.log(
        `drain propagation (admin API of one instance -> all three answer without it): ${summary(drains)}`,
      );

    const converge: number[] = [];
    for (let k = 0; k < FAILS; k++) {
      const t0 = performance.now();
      for (const s of SOURCES) fra.failFor.add(s);
      await until('withdrawn everywhere', async () =>
        (await all('["127.0.8.20"]')) ? true : undefined,
      );
      converge.push(performance.now() - t0);
      fra.failFor.clear();
      await until('back everywhere', async () => ((await all(both)) ? true : undefined));
    }
    if (FAILS > 0)
      console.log(
        `fleet verdict convergence (backend fails for all -> all three withdraw; interval 400 ms, fall 1): ${summary(converge)}`,
      );

    // A fourth instance as the baseline: instance a's own config (admin API, so its metrics count
    // on the answer path too; the same zones and probes) with the fleet: block taken out, so the
    // two differ only by fleet:. (A baseline with --no-admin measured the metrics, not the fleet.)
    const dir = join(root, 'alone');
    await mkdir(join(dir, 'zones'), { recursive: true });
    await writeFile(join(dir, 'zones', `${ZONE}.yaml`), zone);
    const port = await freePort();
    const adminPort = await freePort();
    const own = await readFile(join(fleet[0]!.dir, 'geosteer.yaml'), 'utf8');
    const config = own
      .slice(0, own.indexOf('fleet:'))
      .replace(/listen: \[127\.0\.0\.1:\d+\]/, `listen: [127.0.0.1:${port}]`)
      .replace(
        /admin: \{ listen: 127\.0\.0\.1:\d+ \}/,
        `admin: { listen: 127.0.0.1:${adminPort} }`,
      );
    await writeFile(join(dir, 'geosteer.yaml'), config);
    const cli = runCli([
      ...['serve', '--config', join(dir, 'geosteer.yaml')],
      ...['--state-file', join(dir, 'state.json')],
    ]);
    alone = { cli, port };
    await until(
      'alone answers',
      async () => ((await answer({ ...fleet[0]!, port })).length === 2 ? true : undefined),
      30_000,
    );
    pin(fleet[0]!.cli!.child.pid!, '0');
    pin(cli.child.pid!, '0');
    const data = join(root, 'queries.txt');
    await writeFile(data, `www.${ZONE} A\n`);
    const rows: Record<string, number[]> = { fleet: [], alone: [] };
    for (let r = 0; r < ROUNDS; r++)
      for (const [name, p] of [
        ['fleet', fleet[0]!.port],
        ['alone', port],
      ] as const) {
        const res = await runDnsperf(
          {
            port: p,
            dataFile: data,
            transport: 'udp',
            seconds: SECONDS,
            clients: 4,
            outstanding: 100,
            cpus: '1',
          },
          () => {},
        );
        rows[name]!.push(res.qps);
        console.log(`  round ${r + 1} ${name}: ${Math.round(res.qps)} qps, lost ${res.lost}`);
      }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = (xs: number[]) => pct(xs, 50);
    for (const [what, f] of [
      ['mean', mean],
      ['median', median],
    ] as const) {
      const on = f(rows.fleet!);
      const off = f(rows.alone!);
      console.log(
        `qps (${what} of ${ROUNDS}), steered A over UDP: fleet on ${Math.round(on)}, alone ${Math.round(off)}: ${(((on - off) / off) * 100).toFixed(1)} %`,
      );
    }
  } finally {
    await alone?.cli.stop();
    await Promise.all(fleet.map((i) => stopInstance(i)));
    await etcd.stopAll();
    await fra.stop();
    await ams.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
