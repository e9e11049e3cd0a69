// Run Unbound (Debian's `unbound` package) as the recursive resolver of an end-to-end chain inside
// a network namespace (./netns.ts). It listens on port 53 of one loopback address and sends its
// queries to stub zones' addresses on port 53: Unbound has no per-server port for delegations, so
// the chain must own port 53 on each address, which the namespace allows.
//
// Only the iterator module runs: the test zones are unsigned and have no trust anchor, so a
// validator would add nothing but DS lookups towards a root that is not there.
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig, type Netns, type NetnsProcess, until } from './netns.js';

/** Debian installs the daemon here; UNBOUND overrides it. */
export const UNBOUND = process.env.UNBOUND ?? '/usr/sbin/unbound';

export interface UnboundOptions {
  /** The address it listens on, port 53. */
  address: string;
  /** Stub zones: zone name → authoritative server addresses (port 53). */
  stubs: Record<string, string[]>;
  /** Unbound's verbosity, 0-5; 2 logs lame servers and other detail. */
  verbosity?: number;
}

export interface Unbound {
  address: string;
  dir: string;
  process: NetnsProcess;
  /** Unbound's log file so far (plus anything it wrote to stdout/stderr). */
  log(): Promise<string>;
  /** Stop it by PID and remove its directory. */
  stop(): Promise<void>;
}

export function unboundConfig(dir: string, opts: UnboundOptions): string {
  const lines = [
    'server:',
    `    interface: ${opts.address}`,
    '    port: 53',
    '    do-ip6: no',
    '    num-threads: 1',
    '    so-reuseport: no',
    // Run as the invoking user, in place: no chroot, no privilege drop, files in the temp dir.
    '    username: ""',
    '    chroot: ""',
    `    directory: "${dir}"`,
    `    pidfile: "${join(dir, 'unbound.pid')}"`,
    `    logfile: "${join(dir, 'unbound.log')}"`,
    '    use-syslog: no',
    `    verbosity: ${opts.verbosity ?? 2}`,
    // One line per SERVFAIL with its reason, whatever the verbosity.
    '    log-servfail: yes',
    '    access-control: 127.0.0.0/8 allow',
    // The stub servers are on 127.0.0.0/8, which Unbound refuses to query by default.
    '    do-not-query-localhost: no',
    // RFC 6761 6.2: Unbound answers test. itself (NXDOMAIN) unless told to leave it alone.
    '    local-zone: "test." nodefault',
    // No DNSSEC: the iterator alone (see the header comment).
    '    module-config: "iterator"',
    // Serve TTLs as the servers gave them, so failover timing is the zones' TTLs.
    '    cache-min-ttl: 0',
    '    prefetch: no',
    '    serve-expired: no',
    '    qname-minimisation: yes',
    '',
  ];
  for (const [zone, addrs] of Object.entries(opts.stubs)) {
    lines.push('stub-zone:', `    name: "${zone}"`);
    for (const a of addrs) lines.push(`    stub-addr: ${a}`);
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * Start Unbound in `ns` and wait until it resolves the SOA of every stub zone. Rejects with its
 * log if it is missing, exits, or does not answer within `timeoutMs`.
 */
export async function startUnbound(
  ns: Netns,
  opts: UnboundOptions,
  timeoutMs = 10_000,
): Promise<Unbound> {
  try {
    await access(UNBOUND, constants.X_OK);
  } catch {
    throw new Error(
      `unbound not found at ${UNBOUND}: install it (Debian/Ubuntu: apt-get install unbound) or set UNBOUND to its path`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-unbound-'));
  const conf = join(dir, 'unbound.conf');
  await writeFile(conf, unboundConfig(dir, opts));
  const proc = ns.spawn('unbound', UNBOUND, ['-d', '-c', conf]);
  const log = async () => {
    const file = await readFile(join(dir, 'unbound.log'), 'utf8').catch(() => '');
    return `${file}${proc.output()}`;
  };
  const stop = async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const zone of Object.keys(opts.stubs)) {
      await until(
        async () => {
          if (proc.done())
            throw new Error(`unbound exited (${proc.child.exitCode ?? proc.child.signalCode})`);
          const r = await dig(ns, opts.address, zone, 'SOA', { timeoutS: 1 });
          return r.status === 'NOERROR' && r.data('SOA').length ? r : undefined;
        },
        timeoutMs,
        () => `unbound on ${opts.address} did not resolve ${zone} SOA`,
      );
    }
  } catch (err) {
    const text = await log();
    await stop();
    throw new Error(`${(err as Error).message}\n--- unbound log ---\n${text}`, { cause: err });
  }
  return { address: opts.address, dir, process: proc, log, stop };
}
