// One log line per transition (docs/health.md#logs): zone, site, address, probe, from, to and the
// reason, as fields for machines and in the message for people.
import type { Logger } from '../base/log.js';
import type { HealthTable, Transition } from './table.js';

/** Log every transition of `table`; returns the function that stops it. */
export function logTransitions(table: HealthTable, log: Logger): () => void {
  return table.onTransition((t) => {
    const fields = {
      kind: t.kind,
      zone: t.zone,
      site: t.site,
      address: t.address,
      probe: t.probe,
      from: t.from,
      to: t.to,
      reason: t.reason,
      consecutive: t.consecutive,
    };
    const msg = transitionMessage(t);
    if (t.to === 'down' || t.to === 'unavailable') log.warn(fields, msg);
    else log.info(fields, msg);
  });
}

/**
 * `health: example.org fra 192.0.2.10 up → down after 3 failures in a row: connect ECONNREFUSED
 * (tcp://192.0.2.10:443)`
 */
export function transitionMessage(t: Transition): string {
  const why = t.reason ? `: ${t.reason}` : '';
  switch (t.kind) {
    case 'address': {
      const n = t.consecutive;
      const what =
        t.to === 'up' ? (n === 1 ? 'success' : 'successes') : n === 1 ? 'failure' : 'failures';
      const streak = n === null ? '' : ` after ${n} ${what} in a row`;
      return `health: ${t.zone} ${t.site} ${t.address} ${t.from} → ${t.to}${streak}${why} (${t.probe})`;
    }
    case 'site':
      return `health: ${t.zone} site ${t.site} ${t.from} → ${t.to}${why}`;
    case 'override':
      return `health: ${t.zone} ${t.site}${t.address ? ` ${t.address}` : ''} override ${t.from} → ${t.to}${why}`;
  }
}
