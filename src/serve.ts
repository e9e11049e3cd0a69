// Starts the DNS server with the admin API attached, the fleet when configured, and answer threads
// when asked: the one place, besides the CLI, that knows them all. The server (src/server/)
// exposes hooks and a read view (src/server/attachment.ts, src/server/answer-pool.ts); the admin
// API (src/admin/), the fleet (src/fleet/) and the answer threads (src/threads/) implement them;
// none imports another's start-up. The fleet opens before the admin API and closes after it.
import { Admin, type AdminOptions } from './admin/index.js';
import type { LogLevel } from './base/log.js';
import type { FleetConfig } from './fleet/config.js';
import { FleetAttachment } from './fleet/attachment.js';
import { HealthTable } from './health/table.js';
import type { ServerAttachment } from './server/attachment.js';
import { GeosteerServer, type ServerOptions } from './server/server.js';
import { reusePortAvailable, startAnswerThreads } from './threads/pool.js';

export interface ServeOptions extends Omit<ServerOptions, 'attach' | 'pool'> {
  /** The admin API and metrics (docs/admin.md); none: neither. */
  admin?: AdminOptions | null;
  /** Share overrides and verdicts through etcd (docs/fleet.md); none: this instance alone. */
  fleet?: FleetConfig | null;
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
  /** The fleet attachment, when `fleet:` is configured. */
  readonly fleet: FleetAttachment | null;
}

/** GeosteerServer.start, with the admin API created once the zones have loaded, and attached. */
export async function startServing(opts: ServeOptions): Promise<Serving> {
  const { admin: adminOptions, fleet: fleetConfig, threads = 1, logLevel = 'info', ...rest } = opts;
  let admin: Admin | null = null;
  const fleet = fleetConfig ? new FleetAttachment(fleetConfig, opts.log) : null;
  const attach =
    adminOptions || fleet
      ? async () => {
          if (adminOptions) admin = await Admin.create(adminOptions, opts.log);
          return both(fleet, admin);
        }
      : null;
  // With a fleet, the health table keeps its overrides in the fleet's store (src/fleet/overrides.ts).
  const health =
    rest.health ?? (fleet ? new HealthTable({ overrides: fleet.overrides }) : undefined);
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
              ...(rest.geo ? { geo: rest.geo } : {}),
              log: opts.log,
            },
            ctx,
          )
      : null;
  const server = await GeosteerServer.start({
    ...rest,
    ...(health ? { health } : {}),
    attach,
    pool,
  });
  return { server, admin, fleet };
}

/** The fleet and the admin API as one attachment: the admin API sees the fleet once it runs. */
function both(fleet: FleetAttachment | null, admin: Admin | null): ServerAttachment {
  if (!fleet) return admin!;
  return {
    instrument: (health, probes) => {
      const p = fleet.instrument(health, probes);
      return admin ? admin.instrument(health, p) : p;
    },
    open: async (view) => {
      await fleet.open(view);
      if (admin) {
        admin.useFleet(fleet.fleet);
        await admin.open(view);
      }
    },
    close: async () => {
      await admin?.close();
      await fleet.close();
    },
  };
}
