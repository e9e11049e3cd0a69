// Transitions: one event per change of state, for the log (one line each, src/health/log.ts), the
// dashboard's activity feed and metrics. The health table reports them after each change.
import type { OverrideChange } from './overrides.js';
import type { AddressProbe, Flip } from './probe-state.js';
import type { SiteState } from './types.js';

/**
 * One change of state, for the log (one line each, src/health/log.ts) and for metrics.
 * - `address`: a probe verdict changed (from/to: unknown | up | down);
 * - `site`: a site became available or unavailable (from/to: unknown | available | unavailable;
 *   a new site is unknown while it is not available and an address of it has not reported yet);
 * - `override`: an override was set or cleared (from/to: none | up | down | drain).
 */
export interface Transition {
  readonly kind: 'address' | 'site' | 'override';
  readonly zone: string;
  readonly site: string;
  readonly address: string | null;
  /** The probe's label (http://192.0.2.10:80/health); null for site and override changes. */
  readonly probe: string | null;
  readonly from: string;
  readonly to: string;
  /** `HTTP 503`, `connect ECONNREFUSED`, `timeout after 2000 ms`, `0 of 2 addresses up (min_healthy 1)`... */
  readonly reason: string;
  /** For an address leaving up or down: the results in a row that moved it (rise or fall); else null. */
  readonly consecutive: number | null;
  /** ms since the epoch (the table's clock). */
  readonly at: number;
}

/** The listeners of a table's transitions. */
export class Transitions {
  private readonly listeners = new Set<(t: Transition) => void>();

  /** Call `fn` on every transition; returns the function that stops it. */
  on(fn: (t: Transition) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(events: readonly Transition[]): void {
    for (const t of events)
      for (const fn of this.listeners) {
        try {
          fn(t);
        } catch {
          // A failing observer (a log stream, a metric) must not stop health from being recorded.
        }
      }
  }
}

/** An address's verdict flipped (nothing when `flip` is null): pushed onto `events`. */
export function addressTransition(
  e: Pick<AddressProbe, 'zone' | 'site' | 'address' | 'label'>,
  flip: Flip | null,
  at: number,
  events: Transition[],
): void {
  if (!flip) return;
  const { from, to, reason, consecutive } = flip;
  const { zone, site, address, label: probe } = e;
  events.push({ kind: 'address', zone, site, address, probe, from, to, reason, consecutive, at });
}

export function siteTransition(
  s: { zone: string; site: string; status: SiteState },
  to: SiteState,
  reason: string,
  at: number,
): Transition {
  const { zone, site, status: from } = s;
  return {
    kind: 'site',
    zone,
    site,
    address: null,
    probe: null,
    from,
    to,
    reason,
    consecutive: null,
    at,
  };
}

export function overrideTransition(c: OverrideChange, at: number): Transition {
  const { zone, site, address, reason } = c;
  const [from, to] = [c.from ?? 'none', c.to ?? 'none'];
  return {
    kind: 'override',
    zone,
    site,
    address,
    probe: null,
    from,
    to,
    reason,
    consecutive: null,
    at,
  };
}
