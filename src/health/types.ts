// The health layer's shared vocabulary: verdicts and states, what the prober registers and
// reports. Its own module so the table, the TTL cap, the prober and the probe thread can all use
// it without importing each other. Zones reach health only through ProbedZone, which a compiled
// Zone (src/zone/zone.ts, a layer above) satisfies as it is.
import type { ProbeSpec } from './spec.js';

export type AdminState = 'enabled' | 'drain';
export type Verdict = 'up' | 'down' | 'unknown';
export type SiteState = 'available' | 'unavailable' | 'unknown';

/** A site as the prober registers it from a compiled zone. */
export interface SiteTargets {
  readonly zone: string;
  readonly site: string;
  /** `state:` in the zone file. */
  readonly state: AdminState;
  readonly minHealthy: number;
  readonly addresses: readonly { readonly address: string; readonly probe: ProbeSpec }[];
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly reason: string;
  readonly latencyMs: number;
}

/** One address of a site as the prober needs it. */
export interface ProbedAddress {
  readonly address: string;
  readonly probe: ProbeSpec;
}

/** What the prober reads of a compiled zone: its name and its sites' addresses and probes. */
export interface ProbedZone {
  readonly origin: string;
  readonly sites: ReadonlyMap<
    string,
    {
      readonly name: string;
      readonly state: AdminState;
      readonly minHealthy: number;
      readonly v4: readonly ProbedAddress[];
      readonly v6: readonly ProbedAddress[];
    }
  >;
}

export interface ProbeThreadInfo {
  /** The thread's kernel task ID (Linux; null elsewhere, or before it has started). */
  tid: number | null;
  /** CPU time the thread has used (user + system), from /proc; null when unknown. */
  cpuSeconds: number | null;
  /** Times a thread was started: 1 normally, more if one ever exited. */
  starts: number;
}

/**
 * A second opinion on probe verdicts (the fleet's consensus, src/fleet/): given this instance's
 * own verdict of an address, the verdict the table uses. Called synchronously, per address, when
 * sites are recomputed; never on the answer path (answers are cached per table version).
 */
export interface VerdictSource {
  verdict(zone: string, site: string, address: string, own: Verdict): Verdict;
}
