// A real fleet on one machine for the fleet tests: Debian's etcd (/usr/bin/etcd) on loopback
// ports with temporary data directories, geosteer instances run by the real CLI, and health
// servers that answer per source address, so instances probing from 127.0.1.1, .2 and .3 can be
// made to disagree. Every process is stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { type Cli, freePort, runCli } from './helpers/cli.js';
import { queryUdp } from './helpers/dns-client.js';

/** Poll `fn` until it returns a value other than undefined; throws after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`${what}: not within ${ms} ms ${last ? String(last) : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Debian's etcd and etcdctl (packages etcd-server and etcd-client); ETCD / ETCDCTL override. */
export const ETCD = process.env.ETCD ?? '/usr/bin/etcd';
export const ETCDCTL = process.env.ETCDCTL ?? '/usr/bin/etcdctl';

export interface EtcdMember {
  name: string;
  client: string;
  peer: string;
  dir: string;
  proc: ChildProcess | null;
}

/** An etcd cluster of `n` members on 127.0.0.1, each with its own temporary data directory. */
export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  private constructor(private readonly root: string) {}

  static async create(n: number): Promise<EtcdCluster> {
    const c = new EtcdCluster(await mkdtemp(join(tmpdir(), 'geosteer-etcd-')));
    for (let i = 0; i < n; i++) {
      const dir = join(c.root, `m${i}`);
      c.members.push({
        name: `m${i}`,
        client: `http://127.0.0.1:${await freePort()}`,
        peer: `http://127.0.0.1:${await freePort()}`,
        dir,
        proc: null,
      });
    }
    await Promise.all(c.members.map((m) => c.start(m)));
    await c.waitHealthy();
    return c;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.client);
  }

  start(m: EtcdMember): Promise<void> {
    const cluster = this.members.map((x) => `${x.name}=${x.peer}`).join(',');
    m.proc = spawn(
      ETCD,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dir}`,
        `--listen-client-urls=${m.client}`,
        `--advertise-client-urls=${m.client}`,
        `--listen-peer-urls=${m.peer}`,
        `--initial-advertise-peer-urls=${m.peer}`,
        `--initial-cluster=${cluster}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=geosteer-test',
        // Loopback: heartbeats and elections can be quick, so a lost member is noticed fast.
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--log-level=error',
      ],
      { stdio: 'ignore' },
    );
    return Promise.resolve();
  }

  async stop(m: EtcdMember): Promise<void> {
    const p = m.proc;
    m.proc = null;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await exited;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.stop(m)));
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.filter((m) => !m.proc).map((m) => this.start(m)));
    await this.waitHealthy();
  }

  /** A write goes through: a leader is elected and a quorum answers. */
  async waitHealthy(): Promise<void> {
    const live = this.members.filter((m) => m.proc).map((m) => m.client);
    const client = new Etcd3({ hosts: live });
    try {
      await until(
        'etcd healthy',
        async () => {
          await client
            .put('health-check')
            .value('1')
            .options({ deadline: Date.now() + 1000 })
            .exec();
          return true;
        },
        30_000,
      );
    } finally {
      client.close();
    }
  }

  client(): Etcd3 {
    return new Etcd3({ hosts: this.endpoints });
  }
}

/** An HTTP health endpoint that fails probes coming from the source addresses in `failFor`. */
export class VantageServer {
  readonly failFor = new Set<string>();
  readonly seen = new Map<string, number>();
  private srv: Server | null = null;
  port = 0;

  constructor(readonly host: string) {}

  async start(): Promise<this> {
    const srv = createServer((req, res) => {
      const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      this.seen.set(from, (this.seen.get(from) ?? 0) + 1);
      res.statusCode = this.failFor.has(from) ? 503 : 200;
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, this.host, () => r()));
    this.port = (srv.address() as { port: number }).port;
    this.srv = srv;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.srv;
    this.srv = null;
    s?.closeAllConnections();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

export interface Instance {
  name: string;
  dir: string;
  port: number;
  adminPort: number;
  source: string;
  cli: Cli | null;
  admin: string;
}

export const ZONE = 'fleet.test';

/** fra and ams probed over HTTP, `www` failing over within them; `extra`: more records, `sites`: more sites. */
export function zoneText(fra: VantageServer, ams: VantageServer, extra = '', sites = ''): string {
  const probe = (s: VantageServer) =>
    `{ type: http, port: ${s.port}, path: /health, interval: 400ms, timeout: 300ms, rise: 1, fall: 1 }`;
  return `zone: ${ZONE}
nameservers:
  ns1.${ZONE}: [192.0.2.53]
sites:
  fra:
    addresses: [${fra.host}]
    probe: ${probe(fra)}
  ams:
    addresses: [${ams.host}]
    probe: ${probe(ams)}
${sites}records:
  www:
    steer: failover
    groups: [[fra, ams]]
${extra}`;
}

/** Write an instance's config and zones (each instance has its own copy, as separate hosts do). */
export async function makeInstance(
  root: string,
  name: string,
  source: string,
  endpoints: string[],
  zone: string,
  leaseTtl = 2,
  more = '',
): Promise<Instance> {
  const dir = join(root, name);
  await mkdir(join(dir, 'zones'), { recursive: true });
  await writeFile(join(dir, 'zones', `${ZONE}.yaml`), zone);
  const port = await freePort();
  const adminPort = await freePort();
  await writeFile(
    join(dir, 'geosteer.yaml'),
    `listen: [127.0.0.1:${port}]
zones: zones
admin: { listen: 127.0.0.1:${adminPort} }
cold_start_ms: 2000
fleet:
  endpoints: [${endpoints.join(', ')}]
  prefix: /fleet-test/
  name: ${name}
  lease_ttl: ${leaseTtl}
  probe_source: ${source}
${more}`,
  );
  return { name, dir, port, adminPort, source, cli: null, admin: `http://127.0.0.1:${adminPort}` };
}

export async function startInstance(i: Instance): Promise<void> {
  i.cli = runCli(['serve', '--config', join(i.dir, 'geosteer.yaml')]);
  await i.cli.waitFor((l) => String(l.msg).startsWith('geosteer listening'), 30_000);
}

/** Stops what a fleet test started: its instances, etcd and the health servers, then removes its files. */
export async function tearDown(
  fleet: Instance[],
  etcd: EtcdCluster | undefined,
  servers: (VantageServer | undefined)[],
  root: string,
): Promise<void> {
  await Promise.all(fleet.map((i) => stopInstance(i)));
  await etcd?.stopAll();
  for (const s of servers) await s?.stop();
  await rm(root, { recursive: true, force: true });
}

export async function stopInstance(i: Instance, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') {
  const cli = i.cli;
  i.cli = null;
  if (!cli) return;
  if (signal === 'SIGKILL' && cli.child.pid !== undefined) {
    process.kill(cli.child.pid, 'SIGKILL');
    await cli.exited;
  } else await cli.stop();
}

/** The addresses `www` answers with, sorted. */
export async function answer(i: Instance): Promise<string[]> {
  const r = await queryUdp(i.port, `www.${ZONE}`, 'A');
  return (r.answers ?? []).map((a) => (a as { data: string }).data).sort();
}

export async function status(i: Instance): Promise<FleetStatusJson> {
  const res = await fetch(`${i.admin}/status`);
  return ((await res.json()) as { fleet: FleetStatusJson }).fleet;
}

export interface FleetStatusJson {
  name: string;
  connected: boolean;
  resyncs: number;
  instances: { name: string; drift: string[] }[];
  drift: string[];
  addresses: {
    site: string;
    address: string;
    votes: Record<string, string>;
    fleet: string;
    probers?: string[];
  }[];
}

export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'geosteer-fleet-'));
}
