// One entry point for the prober: run the probe a check describes.
import type { Check, ProbeOutcome } from '../spec.js';
import { dnsProbe } from './dns.js';
import { httpProbe } from './http.js';
import { tcpProbe } from './tcp.js';

export function runProbe(check: Check, signal: AbortSignal): Promise<ProbeOutcome> {
  switch (check.spec.type) {
    case 'http':
    case 'https':
      return httpProbe(check, signal);
    case 'tcp':
      return tcpProbe(check, signal);
    case 'dns':
      return dnsProbe(check, signal);
  }
}
