// The etcd v3 client geosteer uses: npm `etcd3` (gRPC over @grpc/grpc-js), checked against
// Debian's etcd 3.4 and Node 24. Its defaults suit a batch job, not a DNS server: calls without a
// deadline can wait 30 s for a dead endpoint and watches back off up to 30 s, so a fleet would
// notice etcd coming back half a minute late. Here every unary call has a deadline and watches
// retry within a second; the per-host circuit breaker stays, so with three endpoints a dead member
// is skipped and the others answer (docs/fleet.md#failure-behaviour).
import { readFile } from 'node:fs/promises';
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  circuitBreaker,
  retry,
} from 'cockatiel';
import { Etcd3, type IOptions, isRecoverableError } from 'etcd3';
import type { FleetConfig } from './config.js';

/** A unary call (put, get, txn, lease grant) that takes longer than this has failed. */
export const CALL_DEADLINE_MS = 2000;

/** Read the TLS and password files and make a client. Throws when a file cannot be read. */
export async function connectEtcd(cfg: FleetConfig): Promise<Etcd3> {
  const read = async (what: string, path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`fleet.${what}: cannot read ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  const opts: IOptions = {
    hosts: [...cfg.endpoints],
    dialTimeout: CALL_DEADLINE_MS,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    faultHandling: {
      // Each retry of the global policy picks another endpoint.
      global: retry(handleWhen(isRecoverableError), { maxAttempts: cfg.endpoints.length }),
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: 1000,
          breaker: new ConsecutiveBreaker(3),
        }),
      // etcd3 declares IBackoff but calls .next() on it, a factory's method (lib/watch.js).
      watchBackoff: new ExponentialBackoff({
        initialDelay: 100,
        maxDelay: 1000,
      }) as unknown as IBackoff<unknown>,
    },
  };
  if (cfg.tls) {
    opts.credentials = {
      rootCertificate: cfg.tls.ca ? await read('tls.ca', cfg.tls.ca) : Buffer.alloc(0),
      ...(cfg.tls.key ? { privateKey: await read('tls.key', cfg.tls.key) } : {}),
      ...(cfg.tls.cert ? { certChain: await read('tls.cert', cfg.tls.cert) } : {}),
    };
  }
  if (cfg.auth) {
    const password = (await read('auth.password_file', cfg.auth.passwordFile)).toString('utf8');
    opts.auth = { username: cfg.auth.user, password: password.replace(/\r?\n$/, '') };
  }
  return new Etcd3(opts);
}
