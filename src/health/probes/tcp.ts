// `tcp` probe: the port accepts a connection (gdnsd's tcp_connect, PowerDNS's ifportup).
import { connect } from 'node:net';
import type { Check, ProbeOutcome } from '../spec.js';
import { describeError, withTimeout } from './common.js';

export function tcpProbe(
  check: Check,
  signal: AbortSignal,
  localAddress?: string,
): Promise<ProbeOutcome> {
  return withTimeout(check.spec.timeoutMs, signal, (finish, onCleanup) => {
    const sock = connect({
      host: check.host,
      port: check.port,
      ...(localAddress ? { localAddress } : {}),
    });
    onCleanup(() => sock.destroy());
    sock.once('connect', () => finish({ ok: true, reason: 'connected' }));
    sock.once('error', (err) => finish({ ok: false, reason: describeError(err) }));
  });
}
