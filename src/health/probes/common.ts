// What every probe shares: one outcome per run, a timeout that starts when the probe starts, and
// reasons an operator can read in a log line.
import type { ProbeOutcome } from '../spec.js';

type Finish = (o: ProbeOutcome) => void;

/**
 * Run `body` until it calls `finish`, the timeout fires ("timeout after N ms"), or `signal`
 * aborts (the prober is stopping or the check was removed). Cleanups run once, whichever ends it.
 */
export function withTimeout(
  timeoutMs: number,
  signal: AbortSignal,
  body: (finish: Finish, onCleanup: (fn: () => void) => void) => void,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const cleanups: (() => void)[] = [];
    let done = false;
    const finish: Finish = (o) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      for (const fn of cleanups) fn();
      resolve(o);
    };
    const onAbort = () => finish({ ok: false, reason: 'aborted' });
    // The verdict waits one turn (setImmediate runs after the poll phase): when the event loop was
    // late, an answer already in the socket buffer is read before the probe is called timed out.
    const timer = setTimeout(
      () => setImmediate(() => finish({ ok: false, reason: `timeout after ${timeoutMs} ms` })),
      timeoutMs,
    );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    try {
      body(finish, (fn) => (done ? fn() : cleanups.push(fn)));
    } catch (err) {
      finish({ ok: false, reason: describeError(err) });
    }
  });
}

/** `connect ECONNREFUSED`, `read ECONNRESET`, `TLS: self-signed certificate`, ... */
export function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : null;
  if (code && e.syscall) return `${e.syscall} ${code}`;
  if (code && /CERT|SSL|TLS|SIGNED|UNABLE_TO|ISSUER/.test(code)) {
    // Node 24 appends advice for its own command line ("; if the root CA is installed locally, try
    // running Node.js with --use-system-ca"): not something a geosteer operator can act on.
    const what = e.message.split('; if the root CA')[0];
    return `TLS: ${what} (${code})`;
  }
  if (code) return `${code}: ${e.message}`;
  return e instanceof Error ? e.message : String(err);
}
