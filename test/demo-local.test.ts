// The README's "Watch a site fail, without Docker", step by step: the two stand-in services
// (demo/backend/server.mjs) on their loopback addresses, the real CLI serving demo/local/, a
// failover answer that moves when site a's service is killed, the log line and /status saying
// why, and a's return. Only the DNS and admin ports differ from the README's (free ones here).
// Every process is stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type Cli, freePort, runCli } from './helpers/cli.js';
import { queryUdp } from './helpers/dns-client.js';

const ROOT = join(import.meta.dirname, '..');
const NAME = 'failover.gslb.example.test';
// demo/local/gslb.example.test.yaml: interval 1 s, timeout 500 ms, rise 2, fall 2.
const WITHDRAW_MS = 2 * 1000 + 500;
const RESTORE_MS = 2 * 1000;
/** Scheduling, polling, and a machine running other suites beside this one. */
const SLACK_MS = 1000;

const stops: (() => Promise<void>)[] = [];
let dir = '';
afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `SITE=a HOST=127.0.0.21 node demo/backend/server.mjs &`, once it listens. */
async function backend(site: string, host: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['demo/backend/server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, SITE: site, HOST: host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  stops.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => reject(new Error(`backend ${site} exited:\n${out}`)));
  });
  return child;
}

async function answer(port: number): Promise<string[]> {
  const p = await queryUdp(port, NAME, 'A');
  return (p.answers ?? []).map((a) => String((a as { data: string }).data));
}

/** Poll every 50 ms until `port` answers `want`; the time it took. */
async function answersWithin(port: number, want: string, ms: number): Promise<number> {
  const t0 = Date.now();
  let last: string[] = [];
  while (Date.now() - t0 < ms) {
    last = await answer(port);
    if (last.length === 1 && last[0] === want) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${NAME} still answers ${last.join(', ')} after ${ms} ms, not ${want}`);
}

it('follows the README: a site whose service dies leaves the answers within seconds, and /status says why', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  // The commands this test runs are the README's.
  expect(readme).toContain('SITE=a HOST=127.0.0.21 node demo/backend/server.mjs & A=$!');
  expect(readme).toContain('SITE=b HOST=127.0.0.22 node demo/backend/server.mjs & B=$!');
  expect(readme).toContain('node dist/src/cli.js serve --zones demo/local --listen 127.0.0.1:');

  dir = await mkdtemp(join(tmpdir(), 'geosteer-demo-local-'));
  const a = await backend('a', '127.0.0.21');
  await backend('b', '127.0.0.22');
  const [port, admin] = [await freePort(), await freePort()];
  const cli: Cli = runCli([
    ...['serve', '--zones', 'demo/local', '--listen', `127.0.0.1:${port}`],
    ...['--admin', `127.0.0.1:${admin}`, '--state-file', join(dir, 'state.json')],
  ]);
  stops.push(() => cli.stop());
  await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);

  expect(await answer(port)).toEqual(['127.0.0.21']);

  // kill $A
  const logged = cli.lines.length;
  a.kill('SIGTERM');
  const took = await answersWithin(port, '127.0.0.22', WITHDRAW_MS + SLACK_MS);
  expect(took).toBeLessThan(WITHDRAW_MS + SLACK_MS);
  const down = await cli.waitFor(
    (l) => String(l.msg).startsWith('health: gslb.example.test a 127.0.0.21 up → down'),
    5000,
    logged,
  );
  expect(down.msg).toBe(
    'health: gslb.example.test a 127.0.0.21 up → down after 2 failures in a row: ' +
      'connect ECONNREFUSED (http://127.0.0.21:8080/health)',
  );
  expect(down.level).toBe(40);

  // curl -s 127.0.0.1:8054/status | jq -c '.zones[0].sites[] | {name, available, reason}'
  const status = (await (await fetch(`http://127.0.0.1:${admin}/status`)).json()) as {
    zones: { sites: { name: string; available: boolean; reason: string }[] }[];
  };
  expect(
    status.zones[0]!.sites.map(({ name, available, reason }) => ({ name, available, reason })),
  ).toEqual([
    { name: 'a', available: false, reason: '0 of 1 addresses up (min_healthy 1)' },
    { name: 'b', available: true, reason: '1 of 1 addresses up (min_healthy 1)' },
  ]);

  // Start a's service again: back after rise (2) good probes.
  await backend('a', '127.0.0.21');
  const back = await answersWithin(port, '127.0.0.21', RESTORE_MS + SLACK_MS);
  expect(back).toBeLessThan(RESTORE_MS + SLACK_MS);
});
