// Start gdnsd 3.x (Debian package `gdnsd`) on 127.0.0.1 as the reference GSLB for the nearest/ECS
// differential test: its geoip plugin in city-auto mode over an .mmdb file, with
// edns_client_subnet on.
//
// Each instance gets its own temp directory (config, zones, run_dir, state_dir) and a free port,
// runs in the foreground (`gdnsd -c DIR start`), and is stopped by its PID; an exit hook kills it
// as well if the test process ends without calling stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { buildQuery, udpExchange } from './dns-client.js';
import { freePort } from './cli.js';

/** Debian's `gdnsd` package installs the daemon here; GDNSD overrides it. */
export const GDNSD = process.env.GDNSD ?? '/usr/sbin/gdnsd';

export interface GdnsdSite {
  name: string;
  lat: number;
  lon: number;
  /** The site's one IPv4 address: its answer for A queries. */
  address: string;
}

export interface GdnsdOptions {
  /** Absolute path of the GeoIP2 City .mmdb the geoip map reads. */
  mmdb?: string;
  sites?: readonly GdnsdSite[];
  /**
   * Instead of the geoip plugin: the body of `plugins => { ... }`, and the zone line for `www`
   * (e.g. `www 30 DYNA weighted!grouped`).
   */
  plugins?: { config: string[]; www: string };
  /** Lines of state_dir/admin_state, which forces monitored states (gdnsd.config(5)). */
  adminState?: string[];
  /** Zone origin without the trailing dot; `www.<origin>` is the geoip resource. */
  origin: string;
  timeoutMs?: number;
}

export interface GdnsdServer {
  port: number;
  pid: number;
  dir: string;
  /** Everything gdnsd wrote to stdout and stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * gdnsd.config(5) and gdnsd-plugin-geoip(8): one map in city-auto mode (auto_dc_coords) over the
 * sites, and one resource answering each site's address. auto_dc_limit stays at its default, 3,
 * so with three sites every network maps to the full distance-ranked list, which is what gdnsd
 * merges adjacent networks by (and what geosteer's nearest widens its ECS scope by).
 */
export function gdnsdConfig(dir: string, port: number, o: GdnsdOptions): string {
  const sites = o.sites ?? [];
  const plugins = o.plugins?.config ?? [
    '  geoip => {',
    '    maps => {',
    '      sites => {',
    `        geoip2_db => "${o.mmdb}"`,
    `        datacenters => [ ${sites.map((s) => s.name).join(', ')} ]`,
    '        auto_dc_coords => {',
    ...sites.map((s) => `          ${s.name} => [ ${s.lat}, ${s.lon} ]`),
    '        }',
    '      }',
    '    }',
    '    resources => {',
    '      www => {',
    '        map => sites',
    '        dcmap => {',
    ...sites.map((s) => `          ${s.name} => ${s.address}`),
    '        }',
    '      }',
    '    }',
    '  }',
  ];
  return [
    'options => {',
    '  listen => [ 127.0.0.1 ]',
    `  dns_port => ${port}`,
    '  edns_client_subnet => true',
    `  run_dir => "${join(dir, 'run')}"`,
    `  state_dir => "${join(dir, 'state')}"`,
    '  udp_threads => 1',
    '  tcp_threads => 1',
    '}',
    'plugins => {',
    ...plugins,
    '}',
    '',
  ].join('\n');
}

/** RFC 1035 master file for the zone: the geoip resource at www, and a static name. */
export function gdnsdZone(origin: string, www = 'www 30 DYNA geoip!www'): string {
  return [
    '$TTL 300',
    `@ SOA ns1.${origin}. hostmaster.${origin}. 1 7200 1800 259200 60`,
    `@ NS ns1.${origin}.`,
    `@ NS ns2.${origin}.`,
    'ns1 A 192.0.2.53',
    'ns2 A 192.0.2.54',
    www,
    'static A 192.0.2.1',
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
 * Start gdnsd and wait until it answers `www.<origin>` A with NOERROR and AA (the zone is loaded
 * and the geoip map compiled). Rejects, with gdnsd's log, if gdnsd is missing, exits, or does not
 * answer within `timeoutMs`.
 */
export async function startGdnsd(o: GdnsdOptions): Promise<GdnsdServer> {
  try {
    await access(GDNSD, constants.X_OK);
  } catch {
    throw new Error(
      `gdnsd not found at ${GDNSD}: install it (Debian/Ubuntu: apt-get install gdnsd) or set GDNSD to its path`,
    );
  }
  const timeoutMs = o.timeoutMs ?? 15_000;
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-gdnsd-'));
  for (const sub of ['run', 'state', 'zones']) await mkdir(join(dir, sub));
  await writeFile(join(dir, 'zones', o.origin), gdnsdZone(o.origin, o.plugins?.www));
  if (o.adminState)
    await writeFile(join(dir, 'state', 'admin_state'), o.adminState.join('\n') + '\n');
  const port = await freePort();
  await writeFile(join(dir, 'config'), gdnsdConfig(dir, port, o));

  // `start` runs in the foreground and logs to stderr (gdnsd(8)).
  const child = spawn(GDNSD, ['-c', dir, 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
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
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`gdnsd exited (${child.exitCode ?? child.signalCode}) before serving`);
      if (Date.now() > deadline)
        throw new Error(`gdnsd did not serve www.${o.origin} within ${timeoutMs} ms`);
      const reply = await Promise.race([
        udpExchange(port, buildQuery(`www.${o.origin}`, 'A'), '127.0.0.1', 200),
        spawnError,
      ]);
      if (reply instanceof Error) throw reply;
      if (reply) {
        const flags = dnsPacket.decode(reply).flags ?? 0;
        if ((flags & 0xf) === 0 && flags & dnsPacket.AUTHORITATIVE_ANSWER) break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- gdnsd log ---\n${output}`, { cause: err });
  }
  return { port, pid: child.pid!, dir, log: () => output, stop };
}
