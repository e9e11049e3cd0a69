// Debian's Unbound as a validating resolver on 127.0.0.1 for the DNSSEC chain tests: it trusts
// only the anchor it is given and reaches each zone through a stub zone at addr@port (on
// loopback, no namespace: stub-addr takes a port, unlike delegations; ./unbound.ts runs Unbound
// in a namespace for the unsigned resolver chain instead).
//
// `env`: more environment for Unbound, such as ./faketime.ts's, which moves its clock with the
// test's injected clock.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './cli.js';
import { run } from '../dnssec-fixture.js';

/**
 * The parent's key-signing key as the server at `port` serves it (Knot signing the parent), written
 * to `file` as Unbound's only trust anchor.
 */
export async function writeParentAnchor(
  port: number,
  parent: string,
  file: string,
  log: () => string = () => '',
): Promise<void> {
  const out = await run('dig', ['@127.0.0.1', '-p', String(port), '+short', parent, 'DNSKEY']);
  const ksk = out.out.split('\n').find((l) => l.startsWith('257 '));
  if (!ksk) throw new Error(`no DNSKEY from the parent's server: ${out.out}\n${log()}`);
  await writeFile(file, `${parent}. IN DNSKEY ${ksk}\n`);
}

export const UNBOUND = process.env.UNBOUND ?? '/usr/sbin/unbound';

export interface ValidatingUnboundOptions {
  /** Working directory: config, log, pid file. */
  dir: string;
  /** A file of trust anchors (DNSKEY or DS lines). */
  anchorFile: string;
  /** Stub zones: zone name → port of its server on 127.0.0.1. */
  stubs: Record<string, number>;
  /** Send ECS (RFC 7871) to the stubs, through the subnetcache module. */
  ecs?: boolean;
  /** More environment variables for Unbound (see the header). */
  env?: Record<string, string>;
  /** A zone to resolve (its SOA) before the resolver is taken as ready. */
  readyZone: string;
}

export interface ValidatingUnbound {
  port: number;
  log(): Promise<string>;
  /** dig through Unbound with DO set; the text of dig's answer. */
  dig(name: string, type: string, ...opts: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startValidatingUnbound(
  o: ValidatingUnboundOptions,
): Promise<ValidatingUnbound> {
  const port = await freePort();
  const conf = [
    'server:',
    '    interface: 127.0.0.1',
    `    port: ${port}`,
    '    do-ip6: no',
    '    num-threads: 1',
    '    so-reuseport: no',
    '    username: ""',
    '    chroot: ""',
    `    directory: "${o.dir}"`,
    `    pidfile: "${join(o.dir, 'unbound.pid')}"`,
    `    logfile: "${join(o.dir, 'unbound.log')}"`,
    '    use-syslog: no',
    '    verbosity: 1',
    '    val-log-level: 2',
    '    log-servfail: yes',
    '    access-control: 127.0.0.0/8 allow',
    '    do-not-query-localhost: no',
    '    local-zone: "test." nodefault',
    ...(o.ecs
      ? [
          // ECS towards the stubs (RFC 7871) so each site's answer can be asked for.
          '    module-config: "subnetcache validator iterator"',
          '    send-client-subnet: 127.0.0.1',
          '    client-subnet-always-forward: yes',
        ]
      : ['    module-config: "validator iterator"']),
    `    trust-anchor-file: "${o.anchorFile}"`,
    '    qname-minimisation: no',
    // The cache holds what the servers said for as long as their TTLs say, no more, no less.
    '    prefetch: no',
    '    prefetch-key: no',
    '    serve-expired: no',
    '    cache-min-ttl: 0',
    '',
    ...Object.entries(o.stubs).flatMap(([zone, p]) => [
      'stub-zone:',
      `    name: "${zone}"`,
      `    stub-addr: 127.0.0.1@${p}`,
      '',
    ]),
  ].join('\n');
  const confFile = join(o.dir, 'unbound.conf');
  await writeFile(confFile, conf);
  const env = { ...process.env, ...o.env };
  const child: ChildProcess = spawn(UNBOUND, ['-d', '-c', confFile], { stdio: 'ignore', env });
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const log = () => readFile(join(o.dir, 'unbound.log'), 'utf8').catch(() => '');
  const dig = async (name: string, type: string, ...opts: string[]) =>
    (
      await run('dig', [
        '@127.0.0.1',
        '-p',
        String(port),
        '+tries=1',
        '+time=3',
        '+dnssec',
        ...opts,
        name,
        type,
      ])
    ).out;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const done = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await done;
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`unbound exited: ${await log()}`);
    if ((await dig(o.readyZone, 'SOA')).includes('status: NOERROR')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`unbound did not answer: ${await log()}`);
    }
  }
  return { port, log, dig, stop };
}
