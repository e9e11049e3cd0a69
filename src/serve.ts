// Starts the DNS server with the admin API attached, and with answer threads when asked: the one
// place, besides the CLI, that knows all three. The server (src/server/) exposes hooks and a read
// view (src/server/attachment.ts, src/server/answer-pool.ts); the admin API (src/admin/) and the
// answer threads (src/threads/) implement them; none imports another's start-up.
import { Admin, type AdminOptions } from './admin/index.js';
import type { LogLevel } from './base/log.js';
import { GeosteerServer, type ServerOptions } from './server/server.js';
import { reusePortAvailable, startAnswerThreads } from './threads/pool.js';

export interface ServeOptions extends Omit<ServerOptions, 'attach' | 'pool'> {
  /** The admin API and metrics (docs/admin.md); none: neither. */
  admin?: AdminOptions | null;
  /**
   * Answer threads (docs/deployment.md#threads). 1 or none: the main thread answers, as it does
   * everything else. More: that many answer threads, each binding every listen address.
   */
  threads?: number;
  /** The answer threads' log level (they log queries and errors themselves). */
  logLevel?: LogLevel;
}

export interface Serving {
  readonly server: GeosteerServer;
  /** The admin API, when configured; `admin.address` says where it listens. */
  readonly admin: Admin | null;
}

/** GeosteerServer.start, with the admin API created once the zones have loaded, and attached. */
export async function startServing(opts: ServeOptions): Promise<Serving> {
  const { admin: adminOptions, threads = 1, logLevel = 'info', ...rest } = opts;
  let admin: Admin | null = null;
  const attach = adminOptions
    ? async () => (admin = await Admin.create(adminOptions, opts.log))
    : null;
  let count = threads;
  if (count > 1 && !(await reusePortAvailable())) {
    opts.log.warn(
      { threads: count },
      'SO_REUSEPORT is not available here (it needs Linux 3.9+ or a BSD): answering on one thread',
    );
    count = 1;
  }
  const pool =
    count > 1
      ? (ctx: Parameters<NonNullable<ServerOptions['pool']>>[0]) =>
          startAnswerThreads(
            {
              count,
              listen: rest.listen,
              udp: rest.udp,
              tcp: rest.tcp,
              tcpOptions: rest.tcpOptions,
              queryLog: rest.queryLog,
              logLevel,
              rrl: rest.rrl ?? null,
              cookies: rest.cookies ?? null,
              site: rest.site ?? null,
              zonesDir: rest.zonesDir,
              ...(rest.geo ? { geo: rest.geo } : {}),
              log: opts.log,
            },
            ctx,
          )
      : null;
  const server = await GeosteerServer.start({ ...rest, attach, pool });
  return { server, admin };
}
