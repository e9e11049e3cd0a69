// A throwaway network namespace for end-to-end tests that need real DNS ports.
//
// Recursive resolvers (Unbound, BIND) always send queries to a delegated nameserver on port 53;
// a delegation cannot name another port. Inside a namespace of its own every server can own port
// 53 on its own loopback address: once `lo` is up, all of 127.0.0.0/8 is local, so 127.0.0.2,
// 127.0.0.3, ... need no `ip addr add`. Creating a namespace needs root (CI runs as root); without
// it the test fails with a message that says so, it does not skip.
//
// Every process is started with `ip netns exec NS cmd ...`. Outside batch mode `ip` execs the
// command in place, so the child's PID is the server's own PID: each one is stopped by that PID,
// and nothing here signals by name. `destroy()` stops whatever is still running, then deletes the
// namespace; an exit hook does both if the test process ends first.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

/** iproute2's `ip` (Debian ships /bin/ip, with /sbin/ip linked to it); IP overrides it. */
export const IP =
  process.env.IP ??
  ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ??
  'ip';

export interface NetnsProcess {
  label: string;
  pid: number;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** True once it has exited. */
  done(): boolean;
  /** SIGTERM by PID, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Netns {
  name: string;
  /** Start a long-running process inside the namespace. */
  spawn(label: string, cmd: string, args: string[], opts?: { cwd?: string }): NetnsProcess;
  /** Run a command inside the namespace to completion (killed by PID after `timeoutMs`). */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<RunResult>;
  /** Every process started with spawn(), for failure messages. */
  processes: NetnsProcess[];
  /** Stop every process still running, by PID, then delete the namespace. Safe to call twice. */
  destroy(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

function ipSync(args: string[]): { ok: boolean; text: string } {
  const r = spawnSync(IP, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { ok: false, text: r.error.message };
  return { ok: r.status === 0, text: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Create `geosteer-test-<random>` and bring its loopback up. Throws with the reason (not root, no
 * `ip`, no namespace support) when that is not possible.
 */
export async function createNetns(): Promise<Netns> {
  if (process.getuid?.() !== 0)
    throw new Error(
      `this test needs root to create a network namespace (ip netns add); running as uid ${process.getuid?.()}. CI runs it as root`,
    );
  const name = `geosteer-test-${randomBytes(4).toString('hex')}`;
  const add = ipSync(['netns', 'add', name]);
  if (!add.ok)
    throw new Error(
      `cannot create network namespace ${name} with ${IP} netns add (install iproute2; needs root and CAP_SYS_ADMIN): ${add.text}`,
    );
  const lo = ipSync(['netns', 'exec', name, IP, 'link', 'set', 'lo', 'up']);
  if (!lo.ok) {
    ipSync(['netns', 'del', name]);
    throw new Error(`cannot bring up lo in network namespace ${name}: ${lo.text}`);
  }

  const processes: NetnsProcess[] = [];
  const running = new Set<ChildProcess>();
  let destroyed = false;
  // Last resort if the test process ends before destroy(): no server or namespace left behind.
  const onExit = () => {
    for (const c of running) if (c.pid !== undefined) c.kill('SIGKILL');
    if (!destroyed) ipSync(['netns', 'del', name]);
  };
  process.once('exit', onExit);

  const start = (cmd: string, args: string[], cwd?: string) => {
    const child = spawn(IP, ['netns', 'exec', name, cmd, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  };

  const spawnIn = (label: string, cmd: string, args: string[], opts: { cwd?: string } = {}) => {
    const child = start(cmd, args, opts.cwd);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err) => (out += `\nspawn error: ${err.message}`));
    const isDone = () => child.exitCode !== null || child.signalCode !== null;
    const proc: NetnsProcess = {
      label,
      pid: child.pid ?? -1,
      child,
      output: () => out,
      done: isDone,
      stop: async (graceMs = 3000) => {
        if (isDone() || child.pid === undefined) return;
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (!isDone() && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        }, graceMs);
        await exited(child);
        clearTimeout(timer);
      },
    };
    processes.push(proc);
    return proc;
  };

  const run = (cmd: string, args: string[], timeoutMs = 10_000) =>
    new Promise<RunResult>((resolve) => {
      const child = start(cmd, args);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr: `${stderr}spawn error: ${err.message}` });
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  const destroy = async () => {
    if (destroyed) return;
    await Promise.all(processes.map((p) => p.stop(2000)));
    // A namespace lives on while any process is in it: delete it only once they have all gone.
    const del = ipSync(['netns', 'del', name]);
    destroyed = true;
    process.removeListener('exit', onExit);
    if (!del.ok) throw new Error(`ip netns del ${name}: ${del.text}`);
  };

  return { name, spawn: spawnIn, run, processes, destroy };
}

/** Wait `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Poll `probe` every `everyMs` until it returns a value other than undefined; throw `what()`
 * (with the last probe's detail) after `timeoutMs`.
 */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: () => string,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what()} (waited ${timeoutMs} ms)`);
    await sleep(everyMs);
  }
}

/** dig (bind9-dnsutils); DIG overrides it. */
export const DIG = process.env.DIG ?? '/usr/bin/dig';

export interface DigAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL, ...; `TIMEOUT` when no reply came. */
  status: string;
  /** Header flags: qr, aa, rd, ra, ... */
  flags: string[];
  /** Answer records as `name ttl TYPE data`, names without the final dot. */
  answer: string[];
  /** Authority records, same form. */
  authority: string[];
  /** The data of the answer's records of `type`, in order (addresses for A). */
  data(type: string): string[];
  /** dig's own output, for failure messages. */
  text: string;
}

/**
 * Ask `server` (port 53) from inside the namespace with dig: one try, `timeoutS` seconds.
 * `recurse: false` sends RD clear, as a resolver does to an authoritative server.
 */
export async function dig(
  ns: Netns,
  server: string,
  name: string,
  type: string,
  opts: { recurse?: boolean; timeoutS?: number } = {},
): Promise<DigAnswer> {
  const args = [
    `@${server}`,
    name,
    type,
    '+noall',
    '+comments',
    '+answer',
    '+authority',
    '+tries=1',
    `+time=${opts.timeoutS ?? 2}`,
    opts.recurse === false ? '+norecurse' : '+recurse',
  ];
  const r = await ns.run(DIG, args, ((opts.timeoutS ?? 2) + 3) * 1000);
  const text = `${r.stdout}${r.stderr}`;
  const status = /status: ([A-Z]+)/.exec(r.stdout)?.[1] ?? 'TIMEOUT';
  const flags = (/;; flags: ([a-z ]+);/.exec(r.stdout)?.[1] ?? '').split(' ').filter(Boolean);
  const section = (title: string) => {
    const out: string[] = [];
    let inside = false;
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith(';; ')) inside = line.startsWith(`;; ${title} SECTION:`);
      else if (inside && line.trim() && !line.startsWith(';')) {
        const [owner, ttl, , rtype, ...rest] = line.split(/\s+/);
        out.push(
          `${owner!.replace(/\.$/, '')} ${ttl} ${rtype} ${rest.join(' ').replace(/\.$/, '')}`,
        );
      }
    }
    return out;
  };
  const answer = section('ANSWER');
  const authority = section('AUTHORITY');
  const data = (t: string) =>
    answer
      .map((l) => l.split(' '))
      .filter((f) => f[2] === t)
      .map((f) => f.slice(3).join(' '));
  return { status, flags, answer, authority, data, text };
}
