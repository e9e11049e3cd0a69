// The admin API from a test: real HTTP over loopback (fetch), and the Prometheus text format read
// back into samples, so tests assert exact values by name and labels.
import { request as httpRequest } from 'node:http';
import type { AdminOptions } from '../../src/admin/index.js';

/** The admin API on 127.0.0.1, any free port. */
export const LOOPBACK_ADMIN: AdminOptions = {
  listen: { host: '127.0.0.1', port: 0 },
  token: null,
  tokenFile: null,
};

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** One request to the admin API as a script or the status page sends it (fetch). */
export async function request(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; authorization?: string; body?: unknown } = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  // Changes carry the JSON content type the API requires of them (docs/admin.md#requests).
  const change = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  if (change) headers['content-type'] = 'application/json';
  const body = change && opts.body !== undefined ? JSON.stringify(opts.body) : undefined;
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * One request with exactly these headers (node:http, which fetch is not: it lets a test send
 * any Host, or none, and a browser's Origin and Sec-Fetch-Site). `host: null` sends no Host.
 */
export function rawRequest(
  address: { host: string; port: number },
  method: string,
  path: string,
  headers: Record<string, string | null> = {},
  body = '',
): Promise<HttpReply> {
  const sent: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== null) sent[k] = v;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: address.host,
        port: address.port,
        method,
        path,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...sent },
        setHost: headers.host === undefined,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve({ status: res.statusCode ?? 0, headers: h, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample with this name and exactly these labels; undefined when absent. */
export function sample(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  )?.value;
}

/** Samples of one metric, as `label=value,...` → value, for whole-table assertions. */
export function series(samples: Sample[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples)
    if (s.name === name)
      out[
        Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      ] = s.value;
  return out;
}

/** Poll `check` every 20 ms until it holds; fails with `what` after `limitMs`. */
export async function until(
  check: () => Promise<boolean>,
  limitMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
