// Health endpoints for end-to-end tests: HTTP(S), TCP and DNS servers on loopback addresses
// (127.0.x.y: Linux routes all of 127/8 to lo) that a test stops and starts again on the same
// address and port, to play a datacenter failing and coming back.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Server as TcpServer,
} from 'node:net';

type Kind = 'http' | 'https' | 'tcp' | 'dns';

/** One health endpoint. `port` is fixed after the first start, so a restart comes back on it. */
export class HealthServer {
  /** The HTTP status it answers (http, https); DNS answers NOERROR unless `status` is not 200. */
  status = 200;
  /** Requests (or connections, or queries) it has seen. */
  requests = 0;
  private srv: Server | TcpServer | UdpSocket | null = null;

  constructor(
    readonly kind: Kind,
    readonly host: string,
    public port = 0,
    private readonly tls?: { key: string; cert: string },
  ) {}

  get running(): boolean {
    return this.srv !== null;
  }

  async start(): Promise<this> {
    if (this.srv) return this;
    if (this.kind === 'dns') {
      const sock = createSocket('udp4');
      sock.on('message', (msg, rinfo) => {
        this.requests++;
        const reply = Buffer.from(msg);
        reply[2] = 0x81; // QR, RD
        reply[3] = this.status === 200 ? 0 : 2; // NOERROR or SERVFAIL
        sock.send(reply, rinfo.port, rinfo.address);
      });
      await new Promise<void>((r) => sock.bind(this.port, this.host, () => r()));
      this.port = sock.address().port;
      this.srv = sock;
      return this;
    }
    const srv =
      this.kind === 'tcp'
        ? createTcpServer((s) => {
            this.requests++;
            s.end();
          })
        : (this.kind === 'https' ? createHttpsServer(this.tls ?? {}) : createHttpServer()).on(
            'request',
            (_req, res) => {
              this.requests++;
              res.statusCode = this.status;
              res.end(this.status === 200 ? 'ok\n' : 'unavailable\n');
            },
          );
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.port, this.host, () => resolve());
    });
    this.port = (srv.address() as AddressInfo).port;
    this.srv = srv;
    return this;
  }

  /** Stop listening and drop open connections: new probes are refused at once. */
  async stop(): Promise<void> {
    const srv = this.srv;
    this.srv = null;
    if (!srv) return;
    if ('send' in srv) return new Promise((r) => srv.close(() => r()));
    (srv as Server).closeAllConnections?.();
    await new Promise<void>((r) => srv.close(() => r()));
  }
}

/** Several servers of one kind on consecutive hosts, all on one port (a site-wide probe port). */
export async function healthServers(
  kind: Kind,
  hosts: string[],
  tls?: { key: string; cert: string },
): Promise<HealthServer[]> {
  const first = await new HealthServer(kind, hosts[0]!, 0, tls).start();
  const rest = await Promise.all(
    hosts.slice(1).map((h) => new HealthServer(kind, h, first.port, tls).start()),
  );
  return [first, ...rest];
}

/** Accepts connections on host:port and never answers: a wedged backend. Closing drops them. */
export async function hangingServer(
  host: string,
  port: number,
): Promise<{ stop(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const srv = createTcpServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  return {
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}
