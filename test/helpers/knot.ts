// Start Knot DNS (knotd) on 127.0.0.1 as a reference server for differential tests.
//
// Each instance gets its own temp directory for zone files, rundir (control socket) and storage
// (timer database), a free port, and a config that takes host details out of its answers
// (no identity, version or NSID). It is stopped by its PID; an exit hook kills it as well if the
// test process ends without calling stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { buildQuery, udpExchange } from './dns-client.js';
import { freePort } from './cli.js';

/** Debian's `knot` package installs the daemon here; KNOTD overrides it. */
export const KNOTD = process.env.KNOTD ?? '/usr/sbin/knotd';

export interface KnotServer {
  port: number;
  pid: number;
  dir: string;
  /** Everything knotd wrote to stdout and stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Knot modules to load for every zone: their configuration sections and `mod-x/id` names. */
export interface KnotModules {
  /** YAML sections, e.g. "mod-rrl:\n  - id: r\n    rate-limit: 5". */
  sections: string;
  /** Module instances for the default template's global-module, e.g. ["mod-rrl/r"]. */
  global: string[];
  /** More lines for the default template, e.g. ["    dnssec-signing: on"]. */
  template?: string[];
}

/** Knot 3.2 configuration serving `origins` from `<dir>/<origin>.zone`. */
export function knotConfig(
  dir: string,
  port: number,
  origins: string[],
  modules: KnotModules | null = null,
): string {
  return [
    'server:',
    `    rundir: "${join(dir, 'run')}"`,
    `    listen: 127.0.0.1@${port}`,
    `    user: ${userInfo().username}`,
    // Empty strings: no answers to CHAOS id/version queries or NSID that differ per host.
    '    identity: ""',
    '    version: ""',
    '    nsid: ""',
    // udp-max-payload stays at its default, 1232, the size geosteer advertises too.
    '    udp-workers: 1',
    '    tcp-workers: 1',
    '    background-workers: 1',
    '',
    'log:',
    '  - target: stderr',
    '    any: info',
    '',
    'database:',
    `    storage: "${join(dir, 'storage')}"`,
    '',
    ...(modules ? [modules.sections, ''] : []),
    'template:',
    '  - id: default',
    `    storage: "${join(dir, 'zones')}"`,
    '    file: "%s.zone"',
    // Serve the files as written: never write them back, keep no journal, and do not refuse a
    // zone over a semantic check (geosteer's zone compiler does its own).
    '    zonefile-load: whole',
    '    zonefile-sync: -1',
    '    journal-content: none',
    '    semantic-checks: off',
    ...(modules?.global.length ? [`    global-module: [${modules.global.join(', ')}]`] : []),
    ...(modules?.template ?? []),
    '',
    'zone:',
    ...origins.map((o) => `  - domain: ${o.replace(/\.$/, '')}.`),
    '',
  ].join('\n');
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Start knotd serving `zones` (origin → RFC 1035 master file text) and wait until every zone is
 * loaded: an SOA query for each origin is answered NOERROR with AA. Rejects, with knotd's log,
 * if knotd is missing, exits, or does not answer within `timeoutMs`.
 */
export async function startKnot(
  zones: Record<string, string>,
  timeoutMs = 15_000,
  modules: KnotModules | null = null,
): Promise<KnotServer> {
  try {
    await access(KNOTD, constants.X_OK);
  } catch {
    throw new Error(
      `knotd not found at ${KNOTD}: install Knot DNS (Debian/Ubuntu: apt-get install knot) or set KNOTD to its path`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-knot-'));
  for (const sub of ['run', 'storage', 'zones']) await mkdir(join(dir, sub));
  const origins = Object.keys(zones).map((o) => o.replace(/\.$/, ''));
  for (const o of origins)
    await writeFile(join(dir, 'zones', `${o}.zone`), zones[o] ?? zones[`${o}.`]!);
  const port = await freePort();
  const conf = join(dir, 'knot.conf');
  await writeFile(conf, knotConfig(dir, port, origins, modules));

  const child = spawn(KNOTD, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  // Last resort if the test process ends before stop(): never leave a knotd behind.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid, 'SIGTERM');
      const done = exited(child);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(origins);
    while (pending.size) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`knotd exited (${child.exitCode ?? child.signalCode}) before serving`);
      if (Date.now() > deadline)
        throw new Error(`knotd did not serve ${[...pending].join(', ')} within ${timeoutMs} ms`);
      for (const o of [...pending]) {
        const reply = await Promise.race([
          udpExchange(port, buildQuery(o, 'SOA'), '127.0.0.1', 200),
          spawnError,
        ]);
        if (reply instanceof Error) throw reply;
        if (!reply) continue;
        // Until a zone is loaded knotd answers SERVFAIL for it.
        const flags = dnsPacket.decode(reply).flags ?? 0;
        if ((flags & 0xf) === 0 && flags & dnsPacket.AUTHORITATIVE_ANSWER) pending.delete(o);
      }
      if (pending.size) await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- knotd log ---\n${output}`, { cause: err });
  }
  return { port, pid: child.pid!, dir, log: () => output, stop };
}
