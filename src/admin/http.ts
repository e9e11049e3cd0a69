// The admin API's HTTP listener: node:http and a table of routes. A handful of routes and small
// JSON bodies do not need a framework, and node:http keeps the dependency list and the attack
// surface of an admin port small. Every request passes src/admin/guard.ts before it is routed.
// Every response is JSON except /metrics (Prometheus text) and /explain?format=text; every error
// is {"error": {"code", "message"}} (src/admin/errors.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../base/log.js';
import { type Body, checkBodyKeys, readJsonBody } from './body.js';
import { AdminError, AdminErrorCode as E } from './errors.js';
import { type GuardOptions, RequestGuard } from './guard.js';

export type Method = 'GET' | 'POST';

/** What a route returns: JSON (any JSON-able value) or text with its content type. */
export type Reply =
  | { json: unknown; status?: number }
  | { text: string; contentType: string; status?: number; headers?: Record<string, string> };

export interface Request {
  /** Path segments after the route's literal ones, URL-decoded: ['fra'] for /sites/fra/drain. */
  params: string[];
  query: URLSearchParams;
  /** The client's address, for the log and override reasons. */
  remote: string;
  /** The JSON object sent (src/admin/body.ts), {} for GET and an empty body. */
  body: Body;
}

export interface Route {
  method: Method;
  /** Literal segments and `*` for a parameter: ['sites', '*', 'drain']. */
  pattern: string[];
  /** The keys a body may have (POST); none given: the body must be empty or {}. */
  bodyKeys?: readonly string[];
  handle(req: Request): Promise<Reply> | Reply;
  /**
   * Served without the bearer token: only the status page's own files, which hold no data (the
   * page asks for the token before it reads anything, src/admin/page/).
   */
  public?: boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export class AdminHttp {
  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** Listen on host:port (port 0: any free port). Rejects when the address cannot be bound. */
  static async listen(
    host: string,
    port: number,
    access: GuardOptions,
    routes: readonly Route[],
    log: Logger,
  ): Promise<AdminHttp> {
    const guard = new RequestGuard(access, log);
    // No Host header is refused by the guard, with the JSON error every refusal has, rather
    // than by node:http's bare 400.
    const server = createServer(
      { requireHostHeader: false },
      (req, res) => void serve(req, res, routes, guard, log),
    );
    // Slow or idle clients must not hold sockets open on an admin port for long.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ err }, 'admin API listener error'));
    return new AdminHttp(server, host, (server.address() as AddressInfo).port);
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  routes: readonly Route[],
  guard: RequestGuard,
  log: Logger,
): Promise<void> {
  const remote = req.socket.remoteAddress ?? '';
  try {
    // Before routing, so that a refused request sees not even the list of routes. The page's own
    // files (public routes) hold no data: they skip only the token, never the Host check.
    guard.check(req, res, publicRoute(req, routes));
    // Safe methods' bodies are read and dropped; a change's is read (bounded) before routing.
    let body: Body = {};
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? '')) req.resume();
    else body = await readJsonBody(req);
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    let segments: string[];
    try {
      segments = url.pathname
        .replace(/\/+$/, '')
        .split('/')
        .slice(1)
        .map((s) => decodeURIComponent(s));
    } catch {
      throw new AdminError(E.badParam, `the path ${url.pathname} is not validly percent-encoded`);
    }
    const matching = routes
      .map((r) => ({ r, params: match(r.pattern, segments) }))
      .filter((m) => m.params !== null);
    if (!matching.length)
      throw new AdminError(
        E.notFound,
        `no route ${url.pathname} (routes: GET / (the status page), GET /status, GET /dashboard, GET /metrics, GET /explain, POST /sites/{site}/{drain|undrain|force-down|clear}, POST /sites/{site}/addresses/{address}/{force-down|force-up|clear})`,
      );
    // HEAD is GET without the body (node:http leaves the body out).
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const hit = matching.find((m) => m.r.method === method);
    if (!hit) {
      const allow = [...new Set(matching.map((m) => m.r.method))];
      res.setHeader(
        'Allow',
        allow.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', '),
      );
      throw new AdminError(
        E.methodNotAllowed,
        `${url.pathname} takes ${allow.join(' or ')}, not ${req.method}`,
      );
    }
    checkBodyKeys(body, hit.r.bodyKeys ?? []);
    const reply = await hit.r.handle({
      params: hit.params!,
      query: url.searchParams,
      remote,
      body,
    });
    if ('json' in reply) send(res, reply.status ?? 200, JSON_TYPE, json(reply.json));
    else {
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      send(res, reply.status ?? 200, reply.contentType, reply.text);
    }
  } catch (err) {
    const e =
      err instanceof AdminError
        ? err
        : new AdminError(E.internal, `internal error: ${(err as Error).message}`);
    // The rest of an oversized body is not read: close rather than parse it as the next request.
    if (e.code === E.bodyTooLarge) {
      res.setHeader('Connection', 'close');
      req.resume();
    }
    if (e.code === E.internal)
      log.error({ err, method: req.method, url: req.url }, 'admin API request failed');
    send(
      res,
      e.status,
      JSON_TYPE,
      json({ error: { code: e.code, message: e.message, ...e.detail } }),
    );
  }
}

/** Whether the request is a GET (or HEAD) of a public route: the page's own files. */
function publicRoute(req: IncomingMessage, routes: readonly Route[]): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = new URL(req.url ?? '/', 'http://admin.invalid').pathname.replace(/\/+$/, '');
  const segments = path.split('/').slice(1);
  return routes.some((r) => r.public === true && match(r.pattern, segments) !== null);
}

/** The parameters of `segments` under `pattern`, or null when it does not match. */
function match(pattern: readonly string[], segments: readonly string[]): string[] | null {
  if (pattern.length !== segments.length) return null;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') {
      if (segments[i] === '') return null;
      params.push(segments[i]!);
    } else if (pattern[i] !== segments[i]) return null;
  }
  return params;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
