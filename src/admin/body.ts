// Request bodies of the admin API's changes: empty, or one JSON object whose keys the route
// declares (an override's `reason` and `zone`). Bounded, so a client cannot make the API buffer
// more than a reason needs; read only after the guard (src/admin/guard.ts) let the request in.
import type { IncomingMessage } from 'node:http';
import { AdminError, AdminErrorCode as E } from './errors.js';

/** 16 KiB: a reason and a zone name need a few hundred octets. */
export const MAX_BODY_OCTETS = 16 * 1024;

export type Body = Readonly<Record<string, unknown>>;

/** The body as an object: {} when empty (or only white space). */
export async function readJsonBody(req: IncomingMessage): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_OCTETS) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_OCTETS) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AdminError(E.badBody, `the body is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new AdminError(E.badBody, 'the body must be a JSON object (or empty)');
  return value as Body;
}

/** Every key of `body` must be one the route takes. */
export function checkBodyKeys(body: Body, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length)
    throw new AdminError(
      E.badBody,
      `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} in the body (${allowed.length ? `expected: ${allowed.join(', ')}` : 'this route takes an empty body'})`,
    );
}

function tooLarge(): AdminError {
  return new AdminError(E.bodyTooLarge, `the body is over ${MAX_BODY_OCTETS} octets`);
}
