// Starts the DNS server with the admin API attached: the one place, besides the CLI, that knows
// both. The server (src/server/) exposes hooks and a read view (src/server/attachment.ts); the
// admin API (src/admin/) implements them; neither imports the other's start-up. With `fleet:` the
// fleet (src/fleet/) is attached too, opened before the admin API and closed after it.
import { Admin, type AdminOptions } from './admin/index.js';
import type { FleetConfig } from './fleet/config.js';
import { FleetAttachment } from './fleet/attachment.js';
import { HealthTable } from './health/table.js';
import type { ServerAttachment } from './server/attachment.js';
import { GeosteerServer, type ServerOptions } from './server/server.js';

export interface ServeOptions extends Omit<ServerOptions, 'attach'> {
  /** The admin API and metrics (docs/admin.md); none: neither. */
  admin?: AdminOptions | null;
  /** Share overrides and verdicts through etcd (docs/fleet.md); none: this instance alone. */
  fleet?: FleetConfig | null;
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
  const { admin: adminOptions, fleet: fleetConfig, ...rest } = opts;
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
  const server = await GeosteerServer.start({
    ...rest,
    ...(health ? { health } : {}),
    attach,
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
