// Which requests the admin API lets through before it routes them, as Consul, Traefik, the
// Docker daemon and the Kubernetes API server do for a loopback-bound API: a web page open in a
// browser on the same machine can reach 127.0.0.1:8053, so loopback alone protects nothing.
//
// 1. Host (every request): the address the connection arrived on, `localhost` when that is
//    loopback, or a name in admin.allowed_hosts. A DNS-rebinding page reaches the port under its
//    own name (Host: evil.example:8053), so it stops here.
// 2. Authorization (every request): the token when one is set; none when none is set.
// 3. Changes (every method but GET, HEAD and OPTIONS):
//    - an Origin header, when present, must be the origin of the Host asked (or an allowed host's),
//      and Sec-Fetch-Site, when present, `same-origin` or `none` (typed, or a bookmark): a page from
//      elsewhere is refused even if its request would otherwise pass;
//    - Content-Type must be application/json. A page cannot send that to another origin without a
//      CORS preflight (Fetch standard, "CORS-safelisted request-header"), and this API answers
//      OPTIONS with 405 and no Access-Control-Allow-* header, so the preflight always fails.
//      Browsers that send neither Origin nor Sec-Fetch-Site are still stopped by this rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from '../base/log.js';
import { bearerCheck } from './auth.js';
import { AdminError, AdminErrorCode, AdminErrorCode as E } from './errors.js';
import { isLoopback } from './loopback.js';

/** The address a request arrived on (the socket's local end). */
export interface LocalEnd {
  address: string;
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

/** A Host header (RFC 9110 7.2: host [":" port]) as a canonical name and a port, or null. */
export function parseHost(host: string | undefined): { name: string; port: number } | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host ?? '');
  // No port: the scheme's default, 80 for http (RFC 9110 4.2.1).
  return m ? { name: canonicalHost(m[1]!), port: Number(m[2] ?? 80) } : null;
}

/**
 * Whether a Host header names this listener: the address the connection arrived on, `localhost`
 * when that address is loopback, or a name in `allowed`. The port is not compared: a rebinding
 * page is caught by its name whatever the port, and a tunnel (`ssh -L 9000:127.0.0.1:8053`,
 * kubectl port-forward) rightly shows its own port.
 */
export function hostAllowed(
  host: string | undefined,
  local: LocalEnd,
  allowed: ReadonlySet<string>,
): boolean {
  const h = parseHost(host);
  if (!h) return false;
  if (allowed.has(h.name)) return true;
  const own = plainAddress(local.address);
  if (h.name === 'localhost') return isLoopback(own);
  return isIP(h.name) !== 0 && h.name === own;
}

/**
 * Whether an Origin header (RFC 6454 7) is the origin of the page the request's own Host served
 * (`http://` + Host: this listener speaks plain HTTP), or an allowed name's over http or https
 * (a TLS proxy in front). Another port on the same address is another origin, refused.
 */
export function originAllowed(
  origin: string,
  host: string | undefined,
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
  const h = parseHost(host);
  return (
    u.protocol === 'http:' &&
    h !== null &&
    canonicalHost(u.hostname) === h.name &&
    Number(u.port || 80) === h.port
  );
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

  check(req: IncomingMessage, res: ServerResponse, publicFile = false): void {
    const local = { address: req.socket.localAddress ?? '' };
    const own = plainAddress(local.address);
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
        `Host ${h.host === undefined ? '(none)' : JSON.stringify(h.host)} is not this admin API's address: use ${own.includes(':') ? `[${own}]` : own} (any port), or list the name in admin.allowed_hosts`,
      );
    const auth = publicFile ? 'ok' : this.bearer(h.authorization);
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
    if (origin !== undefined && !originAllowed(origin, h.host, this.allowed))
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
