// Every request the page makes: same origin, relative to the page (so it also works under a
// reverse proxy's path), with `Authorization: Bearer` only when the server asked for a token.
// The token lives in sessionStorage (this tab, until it closes): never in a URL, never logged.
// State changes are POSTs with a JSON body and Content-Type: application/json, which a cross-site
// form cannot send and the admin API's anti-forgery checks require.

const KEY = 'geosteer.admin.token';

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export const auth = {
  get token(): string | null {
    return sessionStorage.getItem(KEY);
  },
  set token(t: string | null) {
    if (t === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, t);
  },
};

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = auth.token;
  return t === null ? extra : { ...extra, authorization: `Bearer ${t}` };
}

async function check(res: Response): Promise<Response> {
  if (res.status === 401) throw new Unauthorized();
  if (res.ok) return res;
  let body: unknown = null;
  let code = `HTTP ${res.status}`;
  let message = res.statusText;
  try {
    body = await res.json();
    const e = (body as { error?: { code?: string; message?: string } }).error;
    if (e?.code) code = e.code;
    if (e?.message) message = e.message;
  } catch {
    // Not JSON: the status line says enough.
  }
  throw new ApiError(res.status, code, message, body);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(), cache: 'no-store', signal: signal ?? null });
  return (await (await check(res)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' });
  return (await check(res)).text();
}

export async function post<T>(path: string, body: Record<string, unknown>): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  return (await (await check(res)).json()) as T;
}
