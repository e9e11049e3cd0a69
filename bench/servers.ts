// The servers under test: geosteer from the built CLI and Knot DNS, each a separate process
// pinned with taskset, on its own free port of 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Proc } from './proc.js';

export const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
/** Debian's `knot` package installs the daemon here; KNOTD overrides it. */
export const KNOTD = process.env.KNOTD ?? '/usr/sbin/knotd';

export interface ServerSpec {
  /** Row label: 'knot', 'geosteer', 'geosteer -t2'. */
  name: string;
  kind: 'knot' | 'geosteer';
  /** taskset CPU list for the server. */
  cpus: string;
  /** Shares a core with dnsperf: its figures are indicative only. */
  indicative?: boolean;
  /** An answer-thread server: runs the `threads` scenario only. */
  threadRow?: boolean;
  /**
   * A geosteer run with its own config for the protection scenarios only (bench/scenarios.ts):
   * `off` with RRL and cookies off, `counting` with RRL counting loopback too.
   */
  protection?: 'off' | 'counting';
  /** One line for the report header. */
  describe(): string;
  /** Start on `port`; `dir` is this server's own scratch directory. */
  spawn(dir: string, port: number): Promise<Spawned>;
}

interface Spawned {
  proc: Proc;
  /** geosteer's admin API (/status), when it has one. */
  adminPort?: number;
}

export interface RunningServer {
  spec: ServerSpec;
  port: number;
  proc: Proc;
  adminPort: number | null;
}

export function geosteer(opts: {
  zonesDir: string;
  cpus: string;
  /** Answer threads (--threads); 1: the main thread answers. */
  threads?: number;
  /** A config file and what it sets (protection scenarios). */
  config?: { file: string; protection: 'off' | 'counting' };
}): ServerSpec {
  const threads = opts.threads ?? 1;
  // Otherwise the default config, GeoIP included (serve opens the database before it listens, so
  // an answer means it is open). The admin API takes a free port rather than 8053, which another
  // geosteer may hold, and manual health overrides are kept in the scratch directory. Zone files
  // are read at start and on SIGHUP only (--no-watch), so servers may share a zones directory
  // that one of them reloads.
  const args = (port: number, dir: string, admin: number) => [
    ...[CLI, 'serve', '--zones', opts.zonesDir, '--listen', `127.0.0.1:${port}`],
    ...(opts.config ? ['--config', opts.config.file] : []),
    ...['--no-watch', '--log-level', 'warn', '--state-file', join(dir, 'state.json')],
    ...['--admin', `127.0.0.1:${admin}`, '--threads', String(threads)],
  ];
  const variant = opts.config?.protection;
  return {
    name:
      variant === 'off'
        ? 'geosteer -rrl'
        : variant === 'counting'
          ? 'geosteer +rrl'
          : opts.threads !== undefined
            ? `geosteer -t${threads}`
            : 'geosteer',
    kind: 'geosteer',
    cpus: opts.cpus,
    ...(variant ? { protection: variant } : {}),
    describe: () =>
      `node ${process.version}, ${threads > 1 ? `--threads ${threads} (answer threads, SO_REUSEPORT)` : 'the main thread answers'}, CPU ${opts.cpus}` +
      (variant === 'off'
        ? ', rrl: false, cookies: false'
        : variant === 'counting'
          ? ', RRL counting loopback (rate 10^9/s), a cookie secret'
          : ''),
    spawn: async (dir, port) => {
      const admin = await freePort();
      const cmd = [process.execPath, ...args(port, dir, admin)];
      const proc = Proc.spawn('geosteer', 'taskset', ['-c', opts.cpus, ...cmd]);
      return { proc, adminPort: admin };
    },
  };
}

export function knot(opts: { zoneFile: string; origin: string; cpus: string }): ServerSpec {
  return {
    name: 'knot',
    kind: 'knot',
    cpus: opts.cpus,
    describe: () =>
      `${knotVersion()}, udp-workers 1, tcp-workers 1, background-workers 1, CPU ${opts.cpus}`,
    spawn: async (dir, port) => {
      await mkdir(join(dir, 'run'), { recursive: true });
      await mkdir(join(dir, 'storage'), { recursive: true });
      const conf = join(dir, 'knot.conf');
      await writeFile(conf, knotConfig(dir, port, opts.origin, opts.zoneFile));
      return { proc: Proc.spawn('knotd', 'taskset', ['-c', opts.cpus, KNOTD, '-c', conf]) };
    },
  };
}

export function knotVersion(): string {
  const v = spawnSync(KNOTD, ['-V'], { encoding: 'utf8' }).stdout?.match(/version (\S+)/)?.[1];
  return v ? `knotd ${v}` : 'knotd';
}

/**
 * One worker thread per kind, so Knot gets one core as geosteer does. Identity, version and NSID
 * are empty so its answers carry nothing geosteer's do not.
 */
function knotConfig(dir: string, port: number, origin: string, zoneFile: string): string {
  return `server:
    rundir: "${join(dir, 'run')}"
    listen: 127.0.0.1@${port}
    user: ${userInfo().username}
    identity: ""
    version: ""
    nsid: ""
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

log:
  - target: stderr
    any: warning

database:
    storage: "${join(dir, 'storage')}"

template:
  - id: default
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off

zone:
  - domain: ${origin}.
    file: "${zoneFile}"
`;
}

/** Start `spec` on a free port and wait until it answers; `track` hears of the process first. */
export async function startServer(
  spec: ServerSpec,
  dir: string,
  probeName: string,
  track: (p: Proc, alive: boolean) => void,
  /** Longest wait for the first answer (a 100k-record zone compiles before listening). */
  readyMs = 20_000,
): Promise<RunningServer> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const { proc, adminPort } = await spec.spawn(dir, port);
  track(proc, true);
  try {
    await waitReady(proc, port, probeName, readyMs);
  } catch (err) {
    await proc.stop();
    track(proc, false);
    throw err;
  }
  return { spec, port, proc, adminPort: adminPort ?? null };
}

/** A port on 127.0.0.1 that is free for both TCP and UDP right now. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

/** Ready when a SOA query is answered over UDP and a TCP connection is accepted. */
async function waitReady(proc: Proc, port: number, name: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${proc.name} exited during start-up:\n${proc.output()}`);
    if ((await udpAnswered(port, name)) && (await tcpAccepts(port))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${proc.name} did not answer on 127.0.0.1:${port} within ${ms / 1000} s:\n${proc.output()}`,
  );
}

function soaQuery(name: string): Buffer {
  const labels = name.split('.').map((l) => Buffer.from([l.length, ...Buffer.from(l, 'ascii')]));
  const header = Buffer.from([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 6, 0, 1])]);
}

function udpAnswered(port: number, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    s.once('error', () => done(false));
    s.once('message', (m) => done(m.length >= 12 && m[0] === 0x12 && m[1] === 0x34));
    s.send(soaQuery(name), port, '127.0.0.1');
  });
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
