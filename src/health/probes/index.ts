// One entry point for the prober: run the probe a check describes.
import { isIP } from 'node:net';
import type { Check, ProbeOutcome } from '../spec.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { tcpProbe } from './tcp.js';

/**
 * `source`: the local address probes leave from (a fleet instance's vantage point, docs/fleet.md);
 * used only for targets of its address family, else the kernel chooses.
 */
export function runProbe(
  check: Check,
  signal: AbortSignal,
  source?: string | null,
): Promise<ProbeOutcome> {
  const from = source && isIP(source) === isIP(check.host) ? source : undefined;
  switch (check.spec.type) {
    case 'http':
    case 'https':
      return httpProbe(check, signal, from);
    case 'tcp':
      return tcpProbe(check, signal, from);
    case 'dns':
      return dnsProbe(check, signal, from);
  }
}
