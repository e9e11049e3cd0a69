// Starts the DNS server with the admin API attached: the one place, besides the CLI, that knows
// both. The server (src/server/) exposes hooks and a read view (src/server/attachment.ts); the
// admin API (src/admin/) implements them; neither imports the other's start-up.
import { Admin, type AdminOptions } from './admin/index.js';
import { GeosteerServer, type ServerOptions } from './server/server.js';

export interface ServeOptions extends Omit<ServerOptions, 'attach'> {
  /** The admin API and metrics (docs/admin.md); none: neither. */
  admin?: AdminOptions | null;
}

export interface Serving {
  readonly server: GeosteerServer;
  /** The admin API, when configured; `admin.address` says where it listens. */
  readonly admin: Admin | null;
}

/** GeosteerServer.start, with the admin API created once the zones have loaded, and attached. */
export async function startServing(opts: ServeOptions): Promise<Serving> {
  const { admin: adminOptions, ...rest } = opts;
  let admin: Admin | null = null;
  const attach = adminOptions
    ? async () => (admin = await Admin.create(adminOptions, opts.log))
    : null;
  const server = await GeosteerServer.start({ ...rest, attach });
  return { server, admin };
}
