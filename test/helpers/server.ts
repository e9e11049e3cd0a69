// Start a real geosteer server on 127.0.0.1 with port 0 over zone files written to a temp dir.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Admin, AdminOptions } from '../../src/admin/index.js';
import { startServing } from '../../src/serve.js';
import type { GeosteerServer } from '../../src/server/server.js';
import type { GeoLocator } from '../../src/geoip/types.js';
import type { HealthTable } from '../../src/health/table.js';
import type { ProbeOptions } from '../../src/server/server.js';
import type { TcpLimits } from '../../src/server/tcp-limits.js';
import type { CookiesConfig, RrlConfig } from '../../src/server/rrl-config.js';

export interface TestServer {
  server: GeosteerServer;
  /** The admin API, when started (`admin.address` has its port). */
  admin: Admin | null;
  port: number;
  dir: string;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  write(file: string, text: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  watch?: boolean;
  idleTimeoutMs?: number;
  maxConnections?: number;
  /** TCP limits other than the two above (default: DEFAULT_TCP_LIMITS). */
  tcp?: Partial<TcpLimits>;
  /** Where clients are, for steered names (default: nowhere known). */
  geo?: GeoLocator;
  /** Site and address availability the test can change while the server runs. */
  health?: HealthTable;
  /** Keep health overrides in this file (survives stop and start). */
  stateFile?: string;
  /** Probe concurrency, cold-start wait, injected rng/clock/runner. */
  probes?: ProbeOptions;
  /** Start the admin API too (listen on 127.0.0.1 port 0; `admin.address` has the port). */
  admin?: AdminOptions;
  /** Serve as this site's nameserver too (--site: the child zones of steer: delegate names). */
  site?: string;
  /** Response rate limiting (docs/rrl.md); default: off. */
  rrl?: RrlConfig;
  /** DNS cookies (docs/rrl.md); default: off. */
  cookies?: CookiesConfig;
  /** The clock RRL and cookies read. */
  now?: () => number;
  /** Listen here instead of 127.0.0.1 (e.g. ::1). */
  host?: string;
}

export async function startServer(
  files: Record<string, string>,
  opts: StartOptions = {},
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'geosteer-test-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const { server, admin } = await startServing({
    listen: [{ host: opts.host ?? '127.0.0.1', port: 0 }],
    udp: true,
    tcp: true,
    zonesDir: dir,
    tcpOptions: {
      ...opts.tcp,
      idleTimeoutMs: opts.idleTimeoutMs ?? 2000,
      maxConnections: opts.maxConnections ?? 64,
    },
    watch: opts.watch ?? false,
    queryLog: false,
    log: pino({ level: 'debug' }, sink),
    ...(opts.geo ? { geo: opts.geo } : {}),
    ...(opts.health ? { health: opts.health } : {}),
    ...(opts.stateFile ? { stateFile: opts.stateFile } : {}),
    ...(opts.probes ? { probes: opts.probes } : {}),
    ...(opts.admin ? { admin: opts.admin } : {}),
    ...(opts.site !== undefined ? { site: opts.site } : {}),
    ...(opts.rrl ? { rrl: opts.rrl } : {}),
    ...(opts.cookies ? { cookies: opts.cookies } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return {
    server,
    admin,
    port: server.port,
    dir,
    logs,
    write: (file, text) => writeFile(join(dir, file), text),
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
