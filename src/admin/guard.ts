// Which requests the admin API lets through before it routes them, as Consul, Traefik, the
// Docker daemon and the Kubernetes API server do for a loopback-bound API: a web page open in a
// browser on the same machine can reach 127.0.0.1:8053, so loopback alone protects nothing.
//
// 1. Host (every request): the listener's own address with its port, `localhost:PORT` when the
//    connection arrived on loopback, or a name in admin.allowed_hosts (any port). A DNS-rebinding
//    page reaches the port under its own name (Host: evil.example:8053), so it stops here.
// 2. Authorization (every request): the token when one is set; none when none is set.
// 3. Changes (every method but GET, HEAD and OPTIONS):
//    - an Origin header, when present, must be this API's own origin (or an allowed host's), and
//      Sec-Fetch-Site, when present, `same-origin` or `none` (typed, or a bookmark): a page from
//      elsewhere is refused even if its request would otherwise pass;
//    - Content-Type must be application/json. A page cannot send that to another origin without a
//      CORS preflight (Fetch standard, "CORS-safelisted request-header"), and this API answers
//      OPTIONS with 405 and no Access-Control-Allow-* header, so the preflight always fails.
//      Browsers that send neither Origin nor Sec-Fetch-Site are still stopped by this rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import { bearerCheck } from './auth.js';
import { AdminError, AdminErrorCode, AdminErrorCode as E } from './errors.js';
import { isLoopback } from './options.js';

/** The address and port a request arrived on (the socket's local end). */
export interface LocalEnd {
  address: string;
  port: number;
}

/** Methods that change nothing: their replies cannot be read cross-origin (no CORS headers). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A host name or IP literal as compared: lower case, IPv6 without brackets in its short form. */
export function canonicalHost(name: string): string {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  if (isIP(bare) === 6) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return bare.toLowerCase();
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) as `127.0.0.1`. */
function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : canonicalHost(address);
}

/**
 * Whether a Host header (RFC 9110 7.2: host [":" port]) names this listener: its own address
 * (the local end of the connection) with its port, `localhost` with its port when that address
 * is loopback, or a name in `allowed` with any port (a reverse proxy may use 443 or none).
 */
export function hostAllowed(
  host: string | undefined,
  local: LocalEnd,
  allowed: ReadonlySet<string>,
): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host ?? '');
  if (!m) return false;
  const name = canonicalHost(m[1]!);
  if (allowed.has(name)) return true;
  // No port: the scheme's default, 80 for http (RFC 9110 4.2.1).
  if (Number(m[2] ?? 80) !== local.port) return false;
  const own = plainAddress(local.address);
  if (name === 'localhost') return isLoopback(own);
  return isIP(name) !== 0 && name === own;
}

/** Whether an Origin header (RFC 6454 7) is this API's own origin or an allowed host's. */
export function originAllowed(
  origin: string,
  local: LocalEnd,
  allowed: ReadonlySet<string>,
): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed frame, a file: page) and anything else unparsable
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (allowed.has(canonicalHost(u.hostname))) return true;
  // The listener itself speaks plain HTTP: its own origin is http://host:port.
  return u.protocol === 'http:' && hostAllowed(u.host, local, new Set());
}

/** `application/json`, with at most a charset parameter that is UTF-8 (RFC 8259 8.1). */
export function isJsonContentType(value: string | undefined): boolean {
  const [type, ...params] = (value ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || /^charset="?utf-8"?$/.test(p));
}

export interface GuardOptions {
  token: string | null;
  /** Extra names the Host header may carry (admin.allowed_hosts), any port. */
  allowedHosts: readonly string[];
}

/** The checks above for one listener; `check` throws the AdminError to answer with. */
export class RequestGuard {
  private readonly allowed: ReadonlySet<string>;
  private readonly bearer: ReturnType<typeof bearerCheck>;

  constructor(
    opts: GuardOptions,
    private readonly log: Logger,
  ) {
    this.allowed = new Set(opts.allowedHosts.map(canonicalHost));
    this.bearer = bearerCheck(opts.token);
  }

  check(req: IncomingMessage, res: ServerResponse): void {
    const local = { address: req.socket.localAddress ?? '', port: req.socket.localPort ?? 0 };
    const h = req.headers;
    const refuse = (code: AdminErrorCode, why: string, message: string): never => {
      this.log.warn(
        { remote: req.socket.remoteAddress, method: req.method, url: req.url, host: h.host },
        `admin API: refused, ${why}`,
      );
      throw new AdminError(code, message);
    };
    if (!hostAllowed(h.host, local, this.allowed))
      refuse(
        E.forbiddenHost,
        `Host ${JSON.stringify(h.host ?? null)} is not this listener`,
        `Host ${h.host === undefined ? '(none)' : JSON.stringify(h.host)} is not this admin API's address: use ${local.address.includes(':') ? `[${local.address}]` : local.address}:${local.port}, or list the name in admin.allowed_hosts`,
      );
    const auth = this.bearer(h.authorization);
    if (auth === 'unexpected') {
      res.setHeader(
        'WWW-Authenticate',
        'Bearer realm="geosteer admin", error="invalid_request", error_description="no token is configured"',
      );
      refuse(
        E.unexpectedToken,
        'an Authorization header and no token configured',
        'this admin API has no token configured (admin.token or admin.token_file), so it accepts no Authorization header: configure the token, or stop sending it',
      );
    }
    if (auth !== 'ok') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="geosteer admin"');
      refuse(
        E.unauthorized,
        'request without the right bearer token',
        'this admin API needs Authorization: Bearer <token>',
      );
    }
    if (SAFE_METHODS.has(req.method ?? '')) return;
    const origin = h.origin;
    if (origin !== undefined && !originAllowed(origin, local, this.allowed))
      refuse(
        E.forbiddenOrigin,
        `a change from Origin ${origin}`,
        `changes are not accepted from another origin (Origin: ${origin})`,
      );
    const site = h['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      refuse(
        E.forbiddenOrigin,
        `a change with Sec-Fetch-Site: ${site}`,
        `changes are not accepted from another origin (Sec-Fetch-Site: ${site})`,
      );
    if (!isJsonContentType(h['content-type']))
      refuse(
        E.jsonRequired,
        `a change with Content-Type ${JSON.stringify(h['content-type'] ?? null)}`,
        `${req.method} needs Content-Type: application/json (got ${h['content-type'] === undefined ? 'none' : JSON.stringify(h['content-type'])}); the body may be empty or a JSON object`,
      );
  }
}
