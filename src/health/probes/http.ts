// `http` and `https` probes: one request on a fresh connection (no keep-alive, so a dead listener
// is seen at once), the status checked against `expect`, and the body searched for `body`.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Check, HttpProbe, ProbeOutcome } from '../spec.js';
import { describeError, withTimeout } from './common.js';

/** A status page is small; a body that has not shown the text after this much never will. */
export const MAX_BODY_BYTES = 64 * 1024;
export const USER_AGENT = 'geosteer-health/0.1';

export function httpProbe(
  check: Check,
  signal: AbortSignal,
  localAddress?: string,
): Promise<ProbeOutcome> {
  const spec = check.spec as HttpProbe;
  return withTimeout(spec.timeoutMs, signal, (finish, onCleanup) => {
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: '*/*',
      connection: 'close',
    };
    if (spec.host !== null) headers.host = spec.host;
    const base = {
      host: check.host,
      port: check.port,
      path: spec.path,
      method: spec.method,
      headers,
      agent: false as const,
      ...(localAddress ? { localAddress } : {}),
    };
    const req =
      spec.type === 'https'
        ? httpsRequest({
            ...base,
            // RFC 6066 3: the server name is a DNS name, never an address.
            ...(serverName(spec) !== null ? { servername: serverName(spec)! } : {}),
            rejectUnauthorized: !spec.insecure,
          })
        : httpRequest(base);
    onCleanup(() => req.destroy());
    req.on('error', (err) => finish({ ok: false, reason: describeError(err) }));
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (!spec.expect.some(([lo, hi]) => status >= lo && status <= hi)) {
        res.resume();
        finish({ ok: false, reason: `HTTP ${status}` });
        return;
      }
      if (spec.body === null) {
        res.resume();
        finish({ ok: true, reason: `HTTP ${status}` });
        return;
      }
      const want = spec.body;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes(want)) finish({ ok: true, reason: `HTTP ${status}` });
        else if (text.length > MAX_BODY_BYTES)
          finish({
            ok: false,
            reason: `HTTP ${status}, no "${want}" in the first ${MAX_BODY_BYTES} bytes`,
          });
      });
      res.on('end', () =>
        finish({ ok: false, reason: `HTTP ${status}, no "${want}" in the body` }),
      );
      res.on('error', (err) => finish({ ok: false, reason: describeError(err) }));
    });
    req.end();
  });
}

/** `sni:`, else the Host header's name when it is a name; null: no SNI (an address is probed). */
export function serverName(spec: HttpProbe): string | null {
  if (spec.sni !== null) return spec.sni;
  if (spec.host === null) return null;
  const name = spec.host.startsWith('[') ? null : spec.host.replace(/:[0-9]+$/, '');
  return name !== null && isIP(name) === 0 ? name : null;
}
