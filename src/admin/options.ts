// What the admin API is started with, and the checks every way of starting it shares (the
// config file, --admin, tests).
import { readFile } from 'node:fs/promises';
import type { Endpoint } from '../base/endpoint.js';
import { isLoopback } from './loopback.js';

export { isLoopback };

/** 8053: beside DNS's 53, and unprivileged. */
export const DEFAULT_ADMIN_PORT = 8053;

export interface AdminOptions {
  /** Where the admin API listens (port 0: any free port, for tests). */
  readonly listen: Endpoint;
  /** The bearer token every request must carry; null and no tokenFile: no token. */
  readonly token: string | null;
  /** A file holding the token (one line), read at start-up. */
  readonly tokenFile: string | null;
  /**
   * Names the Host header may carry besides the listener's own address (and localhost on
   * loopback): a DNS name operators use for it, a reverse proxy's. Absent: none.
   */
  readonly allowedHosts?: readonly string[];
}

export const DEFAULT_ADMIN: AdminOptions = {
  listen: { host: '127.0.0.1', port: DEFAULT_ADMIN_PORT },
  token: null,
  tokenFile: null,
};

/**
 * The token to require, read from tokenFile when one is given (trailing newline dropped). Throws
 * when the file cannot be read or is empty, and when a non-loopback address has no token.
 */
export async function resolveToken(opts: AdminOptions): Promise<string | null> {
  let token = opts.token;
  if (opts.tokenFile) {
    let text: string;
    try {
      text = await readFile(opts.tokenFile, 'utf8');
    } catch (err) {
      throw new Error(`admin.token_file ${opts.tokenFile}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    token = text.trim();
    if (!token || /\s/.test(token))
      throw new Error(
        `admin.token_file ${opts.tokenFile}: must hold one token (no spaces), got ${token ? 'several words' : 'nothing'}`,
      );
  }
  if (token === null && !isLoopback(opts.listen.host))
    throw new Error(
      `admin API on ${opts.listen.host}, not a loopback address, needs a token (admin.token or admin.token_file): it can drain sites`,
    );
  return token;
}
