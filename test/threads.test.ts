// `geosteer serve --threads 4` through the real CLI: answer threads with their own sockets
// (SO_REUSEPORT), the main thread the one authority. Queries come from fresh sockets (a new source
// port each), so the kernel spreads them over the threads; the per-thread metric and the query
// log's `thread` field prove several threads answered. Every child is stopped by its PID.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Cli, freePort, type LogLine, runCli } from './helpers/cli.js';
import { ecsOption, queryTcp, queryUdp } from './helpers/dns-client.js';
import { parseMetrics, request, sample, series } from './helpers/admin.js';
import { writeSetup } from './explain-fixture.js';

const dirs: string[] = [];
const procs: Cli[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A TCP server on `host` that health probes connect to; closing it fails them. */
async function probeTarget(host: string): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.destroy());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

const failoverZone = (probePort: number) => `
zone: r.test
nameservers:
  ns1.r.test: [192.0.2.53]
sites:
  fra:
    addresses: [127.0.8.1]
    probe: { type: tcp, port: ${probePort}, interval: 200ms, timeout: 100ms, rise: 1, fall: 1 }
  ams:
    addresses: [192.0.2.20]
records:
  www:
    steer: failover
    groups: [[fra], [ams]]
  v:
    TXT: [one]
`;

interface Setup {
  cli: Cli;
  port: number;
  admin: string;
  zonesDir: string;
  probe: Server;
}

/** The explain fixture (GeoIP databases built in code, steered zone) plus r.test, on 4 threads. */
async function serve(extra: string[] = []): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-threads-'));
  dirs.push(dir);
  const { config, zonesDir } = await writeSetup(dir);
  const target = await probeTarget('127.0.8.1');
  await writeFile(join(zonesDir, 'r.test.yaml'), failoverZone(target.port));
  await mkdir(join(dir, 'state'));
  const port = await freePort();
  const cli = runCli([
    'serve',
    '--config',
    config,
    '-l',
    `127.0.0.1:${port}`,
    '--threads',
    '4',
    '--no-watch',
    '--admin',
    '127.0.0.1:0',
    '--state-file',
    join(dir, 'state', 'state.json'),
    ...extra,
  ]);
  procs.push(cli);
  await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
  const admin = String(cli.lines.find((l) => String(l.msg).startsWith('admin API')!)?.admin);
  return { cli, port, admin, zonesDir, probe: target.server };
}

/** `n` queries, each from a new socket (a new source port), 20 at a time: their answers' data. */
async function many(n: number, ask: () => Promise<string[]>): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < n; i += 20)
    out.push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, ask))));
  return out;
}

const data = (p: { answers?: unknown[] }) =>
  (p.answers ?? []).map((a) => {
    const d = (a as { data: unknown }).data;
    return Array.isArray(d) ? d.map(String).join('') : String(d);
  });
const www = (port: number) => async () => data(await queryUdp(port, 'www.r.test', 'A'));

/** Poll `fn` until it holds, for at most `ms`. */
async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) if (Date.now() > end) throw new Error('condition not met in time');
}

describe('serve --threads 4', () => {
  it('answers UDP and TCP on several threads; metrics and the query log count every query', async () => {
    const s = await serve(['--query-log']);
    const udp = await many(200, async () => data(await queryUdp(s.port, 'static.gslb.test', 'A')));
    expect(new Set(udp.map((a) => a.join()))).toEqual(new Set(['192.0.2.1']));
    for (let i = 0; i < 10; i++)
      expect(data(await queryTcp(s.port, 'static.gslb.test', 'A'))).toEqual(['192.0.2.1']);

    const metrics = parseMetrics((await request(s.admin, 'GET', '/metrics')).text);
    const perThread = series(metrics, 'geosteer_thread_queries_total');
    expect(Object.keys(perThread).sort()).toEqual(['thread=0', 'thread=1', 'thread=2', 'thread=3']);
    expect(Object.values(perThread).reduce((a, b) => a + b, 0)).toBe(210);
    expect(Object.values(perThread).filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    const labels = { zone: 'gslb.test', qtype: 'A', rcode: 'NOERROR', policy: 'none' };
    expect(sample(metrics, 'geosteer_queries_total', { ...labels, transport: 'udp' })).toBe(200);
    expect(sample(metrics, 'geosteer_queries_total', { ...labels, transport: 'tcp' })).toBe(10);
    expect(sample(metrics, 'geosteer_tcp_connections_accepted_total')).toBe(10);

    // The query log: one line per query, written by the thread that answered it.
    const isQuery = (l: LogLine) => l.msg === 'query' && l.qname === 'static.gslb.test';
    await until(async () => s.cli.lines.filter(isQuery).length === 210);
    const threads = new Set(s.cli.lines.filter(isQuery).map((l) => l.thread));
    expect(threads.size).toBeGreaterThanOrEqual(2);
  });

  it('steers by the GeoIP databases the main thread opened, in every thread', async () => {
    const s = await serve();
    const near = (subnet: string) => async () =>
      data(
        await queryUdp(s.port, 'www.gslb.test', 'A', {
          edns: 1232,
          ednsOptions: [ecsOption(subnet)],
        }),
      );
    // Paris is nearest Dublin (eu-west), New York nearest Ashburn (us-east).
    const paris = await many(40, near('81.0.1.0/24'));
    expect(new Set(paris.map((a) => a.join()))).toEqual(new Set(['198.51.100.10']));
    const ny = await many(40, near('24.0.1.0/24'));
    for (const a of ny) expect(['192.0.2.10', '192.0.2.11']).toContain(a[0]);
  });

  it('a drain and its clear reach every thread as soon as the admin API answers', async () => {
    const s = await serve();
    await until(async () => (await www(s.port)()).join() === '127.0.8.1');
    expect((await request(s.admin, 'POST', '/sites/fra/drain?zone=r.test')).status).toBe(200);
    expect(new Set((await many(60, www(s.port))).map((a) => a.join()))).toEqual(
      new Set(['192.0.2.20']),
    );
    expect((await request(s.admin, 'POST', '/sites/fra/clear?zone=r.test')).status).toBe(200);
    expect(new Set((await many(60, www(s.port))).map((a) => a.join()))).toEqual(
      new Set(['127.0.8.1']),
    );
  });

  it('one probe per check, on the main thread; a failed site leaves every thread', async () => {
    const s = await serve();
    await until(async () => (await www(s.port)()).join() === '127.0.8.1');
    await new Promise((r) => s.probe.close(r));
    servers.splice(servers.indexOf(s.probe), 1);
    await until(async () => (await www(s.port)()).join() === '192.0.2.20');
    expect(new Set((await many(60, www(s.port))).map((a) => a.join()))).toEqual(
      new Set(['192.0.2.20']),
    );
    // One health log line for the address: the probes run once, not once per thread.
    const downs = s.cli.lines.filter(
      (l) => l.kind === 'address' && l.to === 'down' && l.site === 'fra',
    );
    expect(downs.length).toBe(1);
  });

  it('a reload switches every thread; a broken edit keeps the last good zones in all of them', async () => {
    const s = await serve();
    const txt = async () => data(await queryUdp(s.port, 'v.r.test', 'TXT'));
    const file = join(s.zonesDir, 'r.test.yaml');
    const good = failoverZone(1).replace('TXT: [one]', 'TXT: [two]');
    await writeFile(file, good);
    const from = s.cli.lines.length;
    process.kill(s.cli.child.pid!, 'SIGHUP');
    await s.cli.waitFor((l) => String(l.msg).startsWith('zones reloaded'), 15_000, from);
    expect(new Set((await many(60, txt)).map((a) => a.join()))).toEqual(new Set(['two']));

    await writeFile(file, good.replace('steer: failover', 'steer: nowhere'));
    const from2 = s.cli.lines.length;
    process.kill(s.cli.child.pid!, 'SIGHUP');
    await s.cli.waitFor((l) => String(l.msg).startsWith('reload rejected'), 15_000, from2);
    expect(new Set((await many(60, txt)).map((a) => a.join()))).toEqual(new Set(['two']));
    const metrics = parseMetrics((await request(s.admin, 'GET', '/metrics')).text);
    expect(sample(metrics, 'geosteer_config_generation')).toBe(2);
  });
});

describe('--workers is gone', () => {
  it('the flag is an error that points at --threads', async () => {
    const cli = runCli(['serve', '--workers', '2', '--no-admin']);
    procs.push(cli);
    expect((await cli.exited).code).toBe(2);
    expect(cli.other.join('')).toMatch(/--workers: .*gone: use --threads N or threads: auto/);
  });

  it('the config key is a problem at its line that points at threads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-threads-'));
    dirs.push(dir);
    await writeFile(join(dir, 'geosteer.yaml'), 'zones: zones\nworkers: 2\n');
    const cli = runCli(['serve', '--config', join(dir, 'geosteer.yaml')]);
    procs.push(cli);
    expect((await cli.exited).code).toBe(2);
    expect(cli.other.join('')).toMatch(/geosteer\.yaml:2:10: workers: .*use threads: N/);
  });
});

// `auto` is one answer thread per CPU the process may use (os.availableParallelism: the CPU
// affinity, and the cgroup CPU quota where there is one), so a server pinned with taskset or
// limited by its container starts no more threads than it can run; the start-up line says how
// many. One CPU: the main thread answers.
const cpuLists = availableParallelism() >= 2 ? ['0', '0,1'] : ['0'];
describe('--threads auto', () => {
  it.each(cpuLists)('on CPUs %s starts one answer thread per CPU', async (cpus) => {
    const dir = await mkdtemp(join(tmpdir(), 'geosteer-threads-'));
    dirs.push(dir);
    const { config } = await writeSetup(dir);
    const port = await freePort();
    const cli = runCli(
      [
        ...['serve', '--config', config, '-l', `127.0.0.1:${port}`, '--threads', 'auto'],
        ...['--no-watch', '--no-admin', '--state-file', join(dir, 'state.json')],
      ],
      { wrap: ['taskset', '-c', cpus] },
    );
    procs.push(cli);
    const up = await cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
    const n = cpus.split(',').length;
    expect(up.threads).toBe(n);
    // It answers: steered names too, from whichever thread the kernel picks.
    const ask = async () => data(await queryUdp(port, 'www.gslb.test', 'A'));
    expect((await many(20, ask)).every((a) => a.length > 0)).toBe(true);
  });
});
